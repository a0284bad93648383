"""The SQLite engine: one connection (WAL, synchronous=FULL) serialised by a lock; one process
owns the file, so singletons are always its own and notifications reach its own listeners."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlkit.database import (
    MEMORY,
    Database,
    IntegrityError,
    Listener,
    Result,
    SqlkitError,
    Transaction,
)

log = logging.getLogger(__name__)


class SqliteDatabase(Database):
    dialect = "sqlite"
    skip_locked = ""

    def __init__(self, path: str) -> None:
        if path != MEMORY:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._listeners: dict[str, list[Callable[[dict[str, Any]], None]]] = {}
        self._pending: list[tuple] = []  # type: ignore[type-arg]
        if path != MEMORY:
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")

    @property
    def connection(self) -> sqlite3.Connection:
        """The raw connection, for SQLite-only tools (backups, PRAGMA checks)."""
        return self._db

    def _run(self, sql: str, params: Sequence[Any]) -> Result:
        try:
            cursor = self._db.execute(sql, params)
        except sqlite3.IntegrityError as e:
            raise IntegrityError(str(e)) from e
        rows = cursor.fetchall() if cursor.description else []
        last = cursor.lastrowid
        return Result(rows, cursor.rowcount, lambda: last)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._lock:
            if self._db.in_transaction:
                yield Transaction(self._run)
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self._run)
            except BaseException:
                self._db.execute("ROLLBACK")
                self._pending.clear()
                raise
            self._db.execute("COMMIT")
            pending, self._pending = self._pending, []
        for channel, payload in pending:
            self._deliver(channel, payload)

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def try_singleton(self, name: str) -> Iterator[bool]:
        yield True  # one process owns the file: every job is its own

    def notify(self, channel: str, payload: dict[str, Any]) -> None:
        """Local listeners hear it after the enclosing transaction commits (at once outside one)."""
        with self._lock:
            if self._db.in_transaction:
                self._pending.append((channel, payload))
                return
        self._deliver(channel, payload)

    def _deliver(self, channel: str, payload: dict[str, Any]) -> None:
        for callback in list(self._listeners.get(channel, ())):
            try:
                callback(payload)
            except Exception:
                log.exception("a listener of %s failed", channel)

    def listen(
        self,
        channel: str,
        callback: Callable[[dict[str, Any]], None],
        *,
        on_reconnect: Callable[[], None] | None = None,
    ) -> Listener:
        self._listeners.setdefault(channel, []).append(callback)
        return Listener(lambda: self._listeners.get(channel, []).remove(callback))

    def migrate(self, folder: Path, *, check: Callable[[Transaction], None] | None = None) -> int:
        """Foreign keys are off while migrating (SQLite's advice for table changes) and checked
        inside each migration's transaction."""

        def check_references(tx: Transaction) -> None:
            problems = tx.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise SqlkitError(f"a migration broke {len(problems)} references")
            if check is not None:
                check(tx)

        self._db.execute("PRAGMA foreign_keys=OFF")
        try:
            return super().migrate(folder, check=check_references)
        finally:
            self._db.execute("PRAGMA foreign_keys=ON")
