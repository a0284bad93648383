"""Notices of changes to what search returns, for the other replicas: sent on the PostgreSQL
channel `kestrel_kb` (docs/contracts/scale-out.md) from inside the transaction that makes the
change, so they go out when it commits (on SQLite they reach only this process's listeners).

A notice names what to re-read from the store, never the content itself: `kind` (an article
action such as `publish`, `import`, or `examples_*`), `article_id` and `version` for one article,
`source` for examples, and `origin`, the knowledge base that made the change (it applied the
change itself and skips its own notice)."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from dataclasses import asdict, dataclass
from typing import Any

from sqlkit import Database

log = logging.getLogger(__name__)

CHANNEL = "kestrel_kb"
IMPORT = "import"
EXAMPLES_PREFIX = "examples_"  # examples_added, examples_approved, examples_rejected, examples_removed


def new_origin() -> str:
    """A knowledge base's own id in notices: host, process, and a random part (two knowledge
    bases in one process are two origins)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True)
class Notice:
    kind: str
    origin: str
    article_id: str | None = None
    version: int | None = None
    source: str | None = None

    @property
    def about_examples(self) -> bool:
        return self.kind.startswith(EXAMPLES_PREFIX)

    def payload(self) -> dict[str, Any]:
        return {name: value for name, value in asdict(self).items() if value is not None}

    @classmethod
    def read(cls, payload: Any) -> Notice | None:
        """The notice in a payload; None (logged) when it is not one."""
        try:
            notice = cls(
                kind=str(payload["kind"]),
                origin=str(payload.get("origin", "")),
                article_id=_optional(payload, "article_id", str),
                version=_optional(payload, "version", int),
                source=_optional(payload, "source", str),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            log.warning("ignored a malformed notice on %s: %r", CHANNEL, payload)
            return None
        return notice


def announce(database: Database, notice: Notice) -> None:
    """Send `notice` when the enclosing transaction commits (at once outside one)."""
    database.notify(CHANNEL, notice.payload())


def _optional(payload: dict[str, Any], name: str, kind: type[Any]) -> Any:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(name)
    return value
