"""`Database`: the interface each service's store is written over, with a SQLite engine (one
connection, WAL, synchronous=FULL, serialised by a lock) and a PostgreSQL engine (psycopg 3, a
small pool of connections, each transaction on one of them). Transactions nest: a transaction
opened inside another on the same thread joins it and commits or rolls back with it."""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_ONLY = re.compile(r"^\s*--\s*sqlkit:\s*(sqlite|postgresql)\s+only\b", re.I)
MEMORY = ":memory:"


class SqlkitError(Exception):
    """Base of sqlkit's own errors."""


class DatabaseUnavailable(SqlkitError):
    """The database could not be reached (PostgreSQL down, connection lost mid-way)."""


class IntegrityError(SqlkitError):
    """A constraint refused the write (unique, foreign key, check), on either engine. On
    PostgreSQL the enclosing transaction is then over: catch it outside the transaction."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(folder: Path) -> list[Migration]:
    """The migrations in version order; versions must run 1, 2, 3... with no gap or repeat."""
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match is None:
            raise SqlkitError(f"migration file {path.name} must be named NNN_lowercase_name.sql")
        found.append(Migration(int(match.group(1)), path.stem, path.read_text()))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise SqlkitError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return found


def statements(sql: str, dialect: str | None = None) -> list[str]:
    """A script's statements, one by one (comment lines dropped). A statement after a comment
    line `-- sqlkit: sqlite only` (or `-- sqlkit: postgresql only`) is kept for that dialect
    only: for what the engines cannot share (a trigger, a table rebuild SQLite needs)."""
    found: list[str] = []
    current = ""
    only: str | None = None  # the dialect the statement being read is marked for
    for line in sql.splitlines():
        if line.lstrip().startswith("--"):
            marker = _ONLY.match(line)
            if marker is not None and not current.strip():
                only = marker.group(1).lower()
            continue
        current += line + "\n"
        if sqlite3.complete_statement(current):
            if dialect is None or only is None or only == dialect:
                found.append(current.strip())
            current, only = "", None
    if current.strip():
        raise SqlkitError(f"unfinished statement in a migration: {current.strip()[:80]!r}")
    return found


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


class Result:
    """What `execute` returns: rows (`fetchone`, `fetchall`), `rowcount` and `lastrowid`."""

    def __init__(self, rows: list[Any], rowcount: int, lastrowid: Callable[[], int | None]) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount
        self._lastrowid = lastrowid

    @property
    def lastrowid(self) -> int | None:
        return self._lastrowid()

    def fetchone(self) -> Any:
        if self._next >= len(self._rows):
            return None
        row = self._rows[self._next]
        self._next += 1
        return row

    def fetchall(self) -> list[Any]:
        rows, self._next = self._rows[self._next :], len(self._rows)
        return rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class Transaction:
    """The handle a transaction yields: `execute(sql, params)` on its connection."""

    def __init__(self, run: Callable[[str, Sequence[Any]], Result]) -> None:
        self._run = run

    def execute(self, sql: str, params: Iterable[Any] = ()) -> Result:
        return self._run(sql, tuple(params))

    def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        for params in rows:
            self._run(sql, tuple(params))


class Listener:
    """A LISTEN on a channel, delivering payloads to a callback on its own thread."""

    def __init__(self, stop: Callable[[], None]) -> None:
        self._stop = stop

    def close(self) -> None:
        self._stop()


class Database(ABC):
    """The interface; `connect` returns one of the two engines. Each implements the abstract
    methods; migrations are shared."""

    dialect: str = ""
    skip_locked: str = ""

    @abstractmethod
    def transaction(self) -> Any: ...

    @abstractmethod
    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[Any]: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def try_singleton(self, name: str) -> Any: ...

    @abstractmethod
    def notify(self, channel: str, payload: dict[str, Any]) -> None: ...

    @abstractmethod
    def listen(
        self,
        channel: str,
        callback: Callable[[dict[str, Any]], None],
        *,
        on_reconnect: Callable[[], None] | None = None,
    ) -> Listener: ...

    def schema_version(self) -> int:
        rows = self.rows("SELECT COALESCE(MAX(version), 0) AS v FROM schema_version")
        return int(rows[0]["v"])

    def migrate(self, folder: Path, *, check: Callable[[Transaction], None] | None = None) -> int:
        """Apply, each in its own transaction, the migrations newer than the recorded version;
        `check` runs inside each migration's transaction before it commits. Returns the version."""
        with self._migration_guard():
            with self.transaction() as tx:
                tx.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version"
                    " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
            current = self.schema_version()
            for migration in migrations(folder):
                if migration.version <= current:
                    continue
                with self.transaction() as tx:
                    for statement in statements(migration.sql, self.dialect):
                        self._ddl(tx, statement)
                    if check is not None:
                        check(tx)
                    tx.execute(
                        "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                        (
                            migration.version,
                            migration.name,
                            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        ),
                    )
                log.info("%s migrated to %s", folder.parent.name or "database", migration.name)
                current = migration.version
            return current

    def _ddl(self, tx: Transaction, statement: str) -> None:
        tx.execute(statement)

    @contextmanager
    def _migration_guard(self) -> Iterator[None]:
        yield


def connect(target: str | Path, *, pool_size: int = 8, connect_timeout: float = 5.0) -> Database:
    """A `postgresql://` URL opens PostgreSQL; a path (or `:memory:`) opens SQLite."""
    text = str(target)
    if is_postgres_url(text):
        from sqlkit.postgres import PostgresDatabase

        return PostgresDatabase(text, pool_size=pool_size, connect_timeout=connect_timeout)
    if "://" in text:
        raise SqlkitError(
            f"unsupported database URL {text.split('://', maxsplit=1)[0]}://...: use a path or postgresql://"
        )
    from sqlkit.sqlite import SqliteDatabase

    return SqliteDatabase(text)
