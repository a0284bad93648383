"""The desk's database, over sqlkit (sqlkit/): SQLite at a path (one process, the default) or
PostgreSQL at a `postgresql://` URL (several replicas). Every write is in a transaction that
commits before anyone is told about it, and the schema comes from numbered SQL migrations
(`migrations/NNN_name.sql`, the same files on both engines) applied at start and recorded in
`schema_version`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlkit
from sqlkit import Migration
from sqlkit import migrations as _migrations
from sqlkit.database import Transaction

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

Clock = Callable[[], datetime]
Target = str | Path  # a SQLite file, or a postgresql:// URL


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations in version order; versions must run 1, 2, 3... with no gap or repeat."""
    return _migrations(folder)


class Database:
    """What every record kind shares: the database, transactions and the clock."""

    def __init__(self, target: Target, *, clock: Clock = now) -> None:
        self.clock = clock
        self.db = sqlkit.connect(target)
        try:
            self.db.migrate(MIGRATIONS_DIR)
        except BaseException:
            self.db.close()
            raise
        # Where a decision is read and written in one transaction, its conversation row is
        # locked first on PostgreSQL; SQLite's one writer already excludes every other.
        self._for_update = " FOR UPDATE" if self.db.dialect == "postgresql" else ""

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def close(self) -> None:
        self.db.close()

    def schema_version(self) -> int:
        return self.db.schema_version()

    def ping(self) -> None:
        """Raises sqlkit's DatabaseUnavailable when the database does not answer (readiness)."""
        self.db.rows("SELECT 1")

    def singleton(self, name: str) -> Any:
        """A context manager yielding whether this process (of all the desk's replicas) holds
        the named job for the block: a background sweep runs on one replica at a time."""
        return self.db.try_singleton(f"kestrel-desk:{name}")

    def _stamp(self) -> str:
        return iso(self.clock())

    @contextmanager
    def _transaction(self) -> Iterator[Transaction]:
        """One transaction; a write made inside another one (a callback of `add_message`, say)
        joins it, and commits or rolls back with it."""
        with self.db.transaction() as tx:
            yield tx

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        return self.db.rows(sql, params)

    def _lock_conversation(self, db: Transaction, conversation_id: str) -> None:
        """Hold the conversation's row until the transaction ends (PostgreSQL): what it reads
        about the conversation meanwhile stays true until it commits."""
        if self._for_update:
            db.execute(
                "SELECT id FROM conversations WHERE id = ?" + self._for_update,  # noqa: S608 - ours
                (conversation_id,),
            )


def marks(values: list[Any]) -> str:
    return ", ".join("?" for _ in values)
