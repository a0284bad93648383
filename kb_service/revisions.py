"""Edit history: every change made through the API, kept as full snapshots per article."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True, slots=True)
class Revision:
    number: int
    at: str
    editor: str
    action: Literal["put", "delete"]
    content_hash: str
    markdown: str


class RevisionLog:
    """Append-only JSON lines, one file per article, fsynced: an edit is never lost."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()

    def _path(self, article_id: str) -> Path:
        return self.directory / f"{article_id}.jsonl"

    def history(self, article_id: str) -> list[Revision]:
        path = self._path(article_id)
        if not path.exists():
            return []
        with path.open(encoding="utf-8") as f:
            return [Revision(**json.loads(line)) for line in f if line.strip()]

    def record(
        self,
        article_id: str,
        *,
        editor: str,
        action: Literal["put", "delete"],
        content_hash: str,
        markdown: str,
    ) -> Revision:
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            revision = Revision(
                number=len(self.history(article_id)) + 1,
                at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                editor=editor,
                action=action,
                content_hash=content_hash,
                markdown=markdown,
            )
            with self._path(article_id).open("a", encoding="utf-8") as f:
                f.write(json.dumps(asdict(revision), ensure_ascii=False) + "\n")
                f.flush()
                os.fsync(f.fileno())
            return revision
