"""The PostgreSQL engine (psycopg 3): a small pool of connections, each transaction on one of
them, advisory locks for migrations and singletons, LISTEN/NOTIFY for notifications."""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlkit.database import (
    Database,
    DatabaseUnavailable,
    IntegrityError,
    Listener,
    Result,
    SqlkitError,
    Transaction,
)
from sqlkit.dialect import to_postgres

log = logging.getLogger(__name__)

_INSERT = re.compile(r"^\s*INSERT\s", re.I)
_RETURNING = re.compile(r"\sRETURNING\s", re.I)


class Row(tuple):  # type: ignore[type-arg]
    """A PostgreSQL row that reads like sqlite3.Row: by position, or by column name."""

    __slots__ = ()
    _names: dict[str, int]

    def __new__(cls, values: Sequence[Any], names: dict[str, int]) -> Row:
        return super().__new__(cls, values)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_class(names: list[str]) -> Any:
    return type("Row", (Row,), {"__slots__": (), "_names": {n: i for i, n in enumerate(names)}})


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as e:  # pragma: no cover - an environment without the driver
        raise SqlkitError("PostgreSQL needs the psycopg package (pip install 'psycopg[binary]')") from e
    return psycopg


class PostgresDatabase(Database):
    dialect = "postgresql"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str, *, pool_size: int = 8, connect_timeout: float = 5.0) -> None:
        self.url = url
        self._pg = _psycopg()
        self._connect_timeout = connect_timeout
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(pool_size)
        self._local = threading.local()
        self._closed = False
        self._listeners: list[threading.Event] = []
        conn = self._open()  # fail at start, clearly, when the server cannot be reached
        self._idle.put(conn)

    # connections -----------------------------------------------------------------------------

    def _open(self) -> Any:
        try:
            conn = self._pg.connect(self.url, autocommit=True, connect_timeout=self._connect_timeout)
        except self._pg.OperationalError as e:
            raise DatabaseUnavailable(f"PostgreSQL at {_redacted(self.url)} is unreachable: {e}") from e
        return conn

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        if not self._slots.acquire(timeout=30):
            raise DatabaseUnavailable("no free PostgreSQL connection within 30 s")
        conn = None
        try:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = self._open()
            if conn.closed or conn.broken:
                conn = self._open()
            yield conn
        except self._pg.OperationalError as e:
            if conn is not None:
                conn.close()
                conn = None
            raise DatabaseUnavailable(f"PostgreSQL: {e}") from e
        finally:
            if conn is not None and not conn.closed and not conn.broken:
                self._idle.put(conn)
            self._slots.release()

    def _runner(self, conn: Any) -> Callable[[str, Sequence[Any]], Result]:
        def run(sql: str, params: Sequence[Any]) -> Result:
            text = to_postgres(sql, with_params=bool(params))
            # An INSERT reports its row's `id` as lastrowid, as SQLite does: RETURNING asks for
            # it (only when the statement did not ask for rows itself).
            wants_id = _INSERT.match(text) is not None and _RETURNING.search(text) is None
            if wants_id:
                text += " RETURNING *"
            with conn.cursor() as cursor:
                try:
                    cursor.execute(text, params or None)
                except self._pg.errors.IntegrityError as e:
                    raise IntegrityError(str(e).splitlines()[0]) from e
                rows: list[Any] = []
                if cursor.description:
                    make = _row_class([c.name for c in cursor.description])
                    rows = [make(values, None) for values in cursor.fetchall()]
                count = cursor.rowcount
            last: int | None = None
            if wants_id:
                columns = rows[-1].keys() if rows else []
                if "id" in columns and isinstance(rows[-1]["id"], int):
                    last = rows[-1]["id"]
                rows = []
            return Result(rows, count, lambda: last)

        return run

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield Transaction(self._runner(current))
            return
        with self._connection() as conn:
            conn.execute("BEGIN")
            self._local.conn = conn
            try:
                yield Transaction(self._runner(conn))
            except BaseException:
                self._local.conn = None
                if not conn.broken:
                    conn.execute("ROLLBACK")
                raise
            self._local.conn = None
            conn.execute("COMMIT")

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        current = getattr(self._local, "conn", None)
        if current is not None:
            return self._runner(current)(sql, tuple(params)).fetchall()
        with self._connection() as conn:
            return self._runner(conn)(sql, tuple(params)).fetchall()

    def close(self) -> None:
        self._closed = True
        for stop in self._listeners:
            stop.set()
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                break

    # migrations, singletons, notifications ---------------------------------------------------

    def _ddl(self, tx: Transaction, statement: str) -> None:
        # Run without parameters, so psycopg sends it as it is: a `%` stays one (a LIKE pattern).
        tx.execute(to_postgres(statement, with_params=False, ddl=True))

    @contextmanager
    def _migration_guard(self) -> Iterator[None]:
        """Replicas starting together migrate once: the others wait on the advisory lock."""
        with self._connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (_lock_key("sqlkit-migrate"),))
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (_lock_key("sqlkit-migrate"),))

    @contextmanager
    def try_singleton(self, name: str) -> Iterator[bool]:
        """Whether this process holds the named job for the block (a session advisory lock on a
        connection held meanwhile; released at the end, or by the server if the process dies)."""
        with self._connection() as conn:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (_lock_key(name),)).fetchone()
            held = bool(row and row[0])
            try:
                yield held
            finally:
                if held and not conn.broken:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (_lock_key(name),))

    def notify(self, channel: str, payload: dict[str, Any]) -> None:
        """Delivered to every listener (this process's too) when the enclosing transaction
        commits, at once outside one."""
        with self.transaction() as tx:
            tx.execute("SELECT pg_notify(?, ?)", (channel, json.dumps(payload)))

    def listen(
        self,
        channel: str,
        callback: Callable[[dict[str, Any]], None],
        *,
        on_reconnect: Callable[[], None] | None = None,
    ) -> Listener:
        """LISTEN on its own connection and thread; after a lost connection it reconnects with
        backoff and calls `on_reconnect` (what was missed meanwhile must be re-read)."""
        stop = threading.Event()
        self._listeners.append(stop)
        ready = threading.Event()

        def loop() -> None:
            delay, first = 0.2, True
            while not stop.is_set():
                try:
                    with self._pg.connect(
                        self.url, autocommit=True, connect_timeout=self._connect_timeout
                    ) as conn:
                        conn.execute(f'LISTEN "{channel}"')
                        if not first and on_reconnect is not None:
                            on_reconnect()
                        first, delay = False, 0.2
                        ready.set()
                        while not stop.is_set():
                            for note in conn.notifies(timeout=0.5):
                                try:
                                    callback(json.loads(note.payload))
                                except Exception:
                                    log.exception("a listener of %s failed", channel)
                except Exception as e:
                    if stop.is_set():
                        break
                    log.warning("listening on %s failed (%s); retrying in %.1f s", channel, e, delay)
                    ready.set()
                    stop.wait(delay)
                    delay = min(delay * 2, 5.0)

        thread = threading.Thread(target=loop, name=f"listen-{channel}", daemon=True)
        thread.start()
        ready.wait(10)
        return Listener(stop.set)


def _lock_key(name: str) -> int:
    """A stable 63-bit key for an advisory lock name."""
    return zlib.crc32(name.encode()) | (0x5A17 << 32)


def _redacted(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)
