"""`Database`: the interface each service's store is written over, with a SQLite engine (one
connection, WAL, synchronous=FULL, serialised by a lock) and a PostgreSQL engine (psycopg 3, a
small pool of connections, each transaction on one of them). Transactions nest: a transaction
opened inside another on the same thread joins it and commits or rolls back with it."""

from __future__ import annotations

import json
import logging
import queue
import re
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlkit.dialect import to_postgres

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_INSERT = re.compile(r"^\s*INSERT\s", re.I)
_RETURNING = re.compile(r"\sRETURNING\s", re.I)
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


class Database:
    """The interface; `connect` returns one of the two engines."""

    dialect: str = ""
    skip_locked: str = ""

    def transaction(self) -> Any:
        raise NotImplementedError

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def try_singleton(self, name: str) -> Any:
        raise NotImplementedError

    def notify(self, channel: str, payload: dict[str, Any]) -> None:
        raise NotImplementedError

    def listen(
        self,
        channel: str,
        callback: Callable[[dict[str, Any]], None],
        *,
        on_reconnect: Callable[[], None] | None = None,
    ) -> Listener:
        raise NotImplementedError

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
        return PostgresDatabase(text, pool_size=pool_size, connect_timeout=connect_timeout)
    if "://" in text:
        raise SqlkitError(
            f"unsupported database URL {text.split('://', maxsplit=1)[0]}://...: use a path or postgresql://"
        )
    return SqliteDatabase(text)


# --- SQLite -------------------------------------------------------------------------------------


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


# --- PostgreSQL ---------------------------------------------------------------------------------


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
