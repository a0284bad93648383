"""Reading what the soak's services stored, read only: the desk's database, the action server's
handoff outbox (watched by a trigger of the soak's own, since the outbox deletes what it
delivered) and Rasa's tracker store; each a SQLite file, or a PostgreSQL URL for a scaled stack.
The checks (checks.py) judge what these return."""

from __future__ import annotations

import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlkit

WIDGET_ROLES = ("customer", "bot", "agent", "system")  # what the desk sends to a widget
OPEN_HANDOFF = ("queued", "assigned", "ticket")
AUDIT = "soak_outbox_seen"  # every handoff the action server wrote to its outbox
AUDIT_TABLE = "CREATE TABLE IF NOT EXISTS soak_outbox_seen (handoff_id TEXT PRIMARY KEY, payload TEXT)"
AUDIT_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS soak_outbox_seen_insert AFTER INSERT ON outbox BEGIN"
    " INSERT OR IGNORE INTO soak_outbox_seen VALUES (NEW.handoff_id, NEW.payload); END"
)
# The same audit on PostgreSQL (a scaled stack's ACTIONS_OUTBOX_URL): a plpgsql trigger function.
# Created by the soak, in its own run, never by the action server's migrations. An INSERT that
# hits ON CONFLICT DO NOTHING inserts no row, so an AFTER INSERT row trigger sees each handoff once.
AUDIT_POSTGRES = (
    AUDIT_TABLE,
    "CREATE OR REPLACE FUNCTION soak_outbox_seen_insert() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN"
    "  INSERT INTO soak_outbox_seen (handoff_id, payload) VALUES (NEW.handoff_id, NEW.payload)"
    "  ON CONFLICT (handoff_id) DO NOTHING;"
    "  RETURN NEW;"
    " END $$",
    "DROP TRIGGER IF EXISTS soak_outbox_seen_insert ON outbox",
    "CREATE TRIGGER soak_outbox_seen_insert AFTER INSERT ON outbox"
    " FOR EACH ROW EXECUTE FUNCTION soak_outbox_seen_insert()",
)
# Rasa's tracker store (SQLTrackerStore): every event of every conversation, in order.
TRACKER_EVENTS = (
    "SELECT sender_id, type_name, data FROM events WHERE type_name IN ('user', 'bot') ORDER BY id"
)


@contextmanager
def read_only(path: Path) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    db.row_factory = sqlite3.Row
    try:
        yield db
    finally:
        db.close()


def rows(target: str | Path, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Rows of a service's database, read only: a SQLite file, or a postgresql:// URL (through
    sqlkit, as the services themselves read it)."""
    if sqlkit.is_postgres_url(str(target)):
        db = sqlkit.connect(str(target), pool_size=1)
        try:
            return [dict(row) for row in db.rows(sql, params)]
        finally:
            db.close()
    with read_only(Path(target)) as lite:
        return [dict(row) for row in lite.execute(sql, params)]


def watch_outbox(target: str | Path, timeout: float = 60.0) -> None:
    """Record every handoff the action server writes to its outbox (which deletes a row once
    delivered) with a trigger, so the checks know each one it ever accepted."""
    deadline = time.monotonic() + timeout
    watch = _watch_postgres if sqlkit.is_postgres_url(str(target)) else _watch_sqlite
    while not watch(target):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the action server never created its outbox at {target}")
        time.sleep(0.2)


def _watch_sqlite(path: str | Path) -> bool:
    db = sqlite3.connect(path, timeout=30)
    try:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'outbox'").fetchone():
            return False
        with db:
            db.execute(AUDIT_TABLE)
            db.execute(AUDIT_TRIGGER)
        return True
    finally:
        db.close()


def _watch_postgres(url: str | Path) -> bool:
    import psycopg

    with psycopg.connect(str(url), connect_timeout=10) as db:  # one transaction, committed on exit
        if db.execute("SELECT to_regclass('outbox')").fetchone() == (None,):
            return False
        for statement in AUDIT_POSTGRES:
            db.execute(statement)
    return True


def outbox_left(target: str | Path) -> int:
    return int(rows(target, "SELECT COUNT(*) AS n FROM outbox")[0]["n"])


def open_handoffs(desk_db: str | Path) -> int:
    marks = ",".join("?" * len(OPEN_HANDOFF))
    query = f"SELECT COUNT(*) AS n FROM handoffs WHERE status IN ({marks})"  # noqa: S608 - our marks
    return int(rows(desk_db, query, OPEN_HANDOFF)[0]["n"])


def widget_messages(desk_db: str | Path) -> dict[str, set[int]]:
    """Every conversation's messages a widget is sent, by id."""
    found: dict[str, set[int]] = defaultdict(set)
    for row in rows(desk_db, "SELECT id, conversation_id, role FROM messages"):
        if row["role"] in WIDGET_ROLES:
            found[row["conversation_id"]].add(row["id"])
    return found
