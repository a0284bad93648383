"""The soak's verdict, read from what the services stored (the desk's database, SQLite or
PostgreSQL; the action server's handoff outbox) against what each widget sent and received.
Every problem names the ids involved, so a lost or duplicated message can be looked up in the
logs."""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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


@dataclass
class WidgetRecord:
    """What one widget did and saw; `expected` are the client_ids the desk must hold (typed
    messages, and person requests it acknowledged)."""

    name: str
    conversation_ids: set[str]
    expected: list[str]
    acks: dict[str, int]
    delivered: Counter[int]
    unacked: list[str] = field(default_factory=list)
    ack_conflicts: list[tuple[str, int, int]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)


@dataclass
class Findings:
    figures: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@contextmanager
def read_only(path: Path) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    db.row_factory = sqlite3.Row
    try:
        yield db
    finally:
        db.close()


def desk_rows(desk_db: str | Path, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Rows of the desk's database, read only: a SQLite file, or a postgresql:// URL (through
    sqlkit, as the desk itself reads it)."""
    if sqlkit.is_postgres_url(str(desk_db)):
        db = sqlkit.connect(str(desk_db), pool_size=1)
        try:
            return [dict(row) for row in db.rows(sql, params)]
        finally:
            db.close()
    with read_only(Path(desk_db)) as lite:
        return [dict(row) for row in lite.execute(sql, params)]


def watch_outbox(path: Path, timeout: float = 60.0) -> None:
    """Record every handoff the action server writes to its outbox (which deletes a row once
    delivered) with a trigger, so the checks know each one it ever accepted."""
    deadline = time.monotonic() + timeout
    while True:
        db = sqlite3.connect(path, timeout=30)
        try:
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'outbox'").fetchone():
                with db:
                    db.execute(AUDIT_TABLE)
                    db.execute(AUDIT_TRIGGER)
                return
        finally:
            db.close()
        if time.monotonic() > deadline:
            raise TimeoutError(f"the action server never created its outbox at {path}")
        time.sleep(0.2)


def outbox_left(path: Path) -> int:
    with read_only(path) as db:
        return int(db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])


def open_handoffs(desk_db: str | Path) -> int:
    marks = ",".join("?" * len(OPEN_HANDOFF))
    query = f"SELECT COUNT(*) AS n FROM handoffs WHERE status IN ({marks})"  # noqa: S608 - our marks
    return int(desk_rows(desk_db, query, OPEN_HANDOFF)[0]["n"])


def widget_messages(desk_db: str | Path) -> dict[str, set[int]]:
    """Every conversation's messages a widget is sent, by id."""
    found: dict[str, set[int]] = defaultdict(set)
    for row in desk_rows(desk_db, "SELECT id, conversation_id, role FROM messages"):
        if row["role"] in WIDGET_ROLES:
            found[row["conversation_id"]].add(row["id"])
    return found


def check(desk_db: str | Path, outbox_db: Path, widgets: Iterable[WidgetRecord]) -> Findings:
    widgets = list(widgets)
    found = Findings()
    messages = desk_rows(desk_db, "SELECT id, conversation_id, role, client_id, at FROM messages")
    handoffs = desk_rows(desk_db, "SELECT id, conversation_id, request, closed_at FROM handoffs")
    check_messages(found, messages, widgets)
    check_answers(found, messages, handoffs, {c for w in widgets for c in w.conversation_ids})
    check_handoffs(found, outbox_db, handoffs)
    return found


def check_messages(found: Findings, messages: list[dict[str, object]], widgets: list[WidgetRecord]) -> None:
    """Each message typed is stored once, as its ack said; each stored message reached the
    widget exactly once."""
    stored: dict[tuple[object, object], list[int]] = defaultdict(list)
    by_conversation: dict[object, dict[int, str]] = defaultdict(dict)
    for m in messages:
        stored[m["conversation_id"], m["client_id"]].append(int(str(m["id"])))
        if m["role"] in WIDGET_ROLES:
            by_conversation[m["conversation_id"]][int(str(m["id"]))] = str(m["role"])
    figures: Counter[str] = Counter()
    for w in widgets:
        if len(w.conversation_ids) != 1:
            found.problems.append(f"{w.name}: its conversation changed (token lost): {w.conversation_ids}")
            continue
        conversation = next(iter(w.conversation_ids))
        in_db = by_conversation.get(conversation, {})
        _stored_once(found, w, conversation, stored)
        _delivered_once(found, w, conversation, in_db)
        figures["customer messages expected"] += len(w.expected)
        figures["acks"] += len(w.acks)
        figures["messages delivered"] += sum(w.delivered.values())
        figures["duplicate deliveries"] += sum(n - 1 for n in w.delivered.values())
        figures["missing deliveries"] += sum(1 for i in in_db if not w.delivered.get(i))
        figures["lost customer messages"] += sum(1 for c in w.expected if not stored.get((conversation, c)))
    found.figures.update(figures)


def _stored_once(
    found: Findings, w: WidgetRecord, conversation: str, stored: dict[tuple[object, object], list[int]]
) -> None:
    for client_id in w.expected:
        ids = stored.get((conversation, client_id), [])
        if not ids:
            found.problems.append(
                f"LOST: customer message client_id={client_id} of conversation {conversation} "
                f"(acknowledged as id {w.acks.get(client_id)}) is not stored"
            )
        elif len(ids) > 1:
            found.problems.append(f"DUPLICATE: client_id={client_id} stored {len(ids)} times: ids {ids}")
        elif client_id in w.acks and w.acks[client_id] != ids[0]:
            found.problems.append(
                f"{w.name}: {client_id} acknowledged as {w.acks[client_id]}, stored as {ids[0]}"
            )
    for client_id in w.unacked:
        found.problems.append(f"{w.name}: client_id={client_id} ({conversation}) never acknowledged")
    for client_id, first, second in w.ack_conflicts:
        found.problems.append(f"{w.name}: client_id={client_id} acknowledged as {first}, then as {second}")
    for refusal in w.refusals:
        found.problems.append(f"{w.name}: the desk refused a frame: {refusal}")


def _delivered_once(found: Findings, w: WidgetRecord, conversation: str, in_db: dict[int, str]) -> None:
    for message_id, times in sorted(w.delivered.items()):
        if times > 1:
            found.problems.append(f"DUPLICATE: message id {message_id} reached {w.name} {times} times")
        if message_id not in in_db:
            found.problems.append(f"{w.name}: got message id {message_id}, not one of its conversation's")
    for message_id, role in sorted(in_db.items()):
        if not w.delivered.get(message_id):
            found.problems.append(
                f"MISSING: message id {message_id} ({role}) never reached {w.name} ({conversation})"
            )


def check_answers(
    found: Findings,
    messages: list[dict[str, object]],
    handoffs: list[dict[str, object]],
    conversations: set[str],
) -> None:
    """Each customer message is followed by a reply of the assistant or an agent, or is covered
    by a handoff of its conversation (open then, or made after it)."""
    last_reply: dict[object, int] = {}
    for m in messages:
        if m["role"] in ("bot", "agent"):
            last_reply[m["conversation_id"]] = max(last_reply.get(m["conversation_id"], 0), int(str(m["id"])))
    closings: dict[object, list[str | None]] = defaultdict(list)
    for h in handoffs:
        closings[h["conversation_id"]].append(
            h["closed_at"] if h["closed_at"] is None else str(h["closed_at"])
        )
    unanswered = customer = 0
    for m in messages:
        if m["role"] != "customer" or m["conversation_id"] not in conversations:
            continue
        customer += 1
        replied = last_reply.get(m["conversation_id"], 0) > int(str(m["id"]))
        handed = any(c is None or c >= str(m["at"]) for c in closings[m["conversation_id"]])
        if not (replied or handed):
            unanswered += 1
            found.problems.append(
                f"UNANSWERED: customer message id {m['id']} of conversation {m['conversation_id']}"
            )
    found.figures["customer messages stored"] = customer
    found.figures["unanswered"] = unanswered


def check_handoffs(found: Findings, outbox_db: Path, handoffs: list[dict[str, object]]) -> None:
    """Every handoff the action server accepted is in the desk once: a handoff of its own, or
    attached to the one already open for the conversation."""
    with read_only(outbox_db) as db:
        accepted = [str(row[0]) for row in db.execute(f"SELECT handoff_id FROM {AUDIT}")]  # noqa: S608
        left = [dict(row) for row in db.execute("SELECT handoff_id, state, attempts, last_error FROM outbox")]
    rows = {str(h["id"]) for h in handoffs}
    attached: Counter[str] = Counter()
    for h in handoffs:
        for late in json.loads(str(h["request"])).get("attached", []):
            attached[str(late.get("handoff_id"))] += 1
    for handoff_id in accepted:
        times = (handoff_id in rows) + attached[handoff_id]
        if times != 1:
            what = "LOST" if times == 0 else f"DUPLICATE ({times} times)"
            found.problems.append(
                f"{what}: handoff {handoff_id} accepted by the action server, in the desk {times}x"
            )
    for row in left:
        found.problems.append(
            f"handoff {row['handoff_id']} left in the action server's outbox ({row['state']} after "
            f"{row['attempts']} attempts: {row['last_error']})"
        )
    found.figures["handoffs from the action server"] = len(accepted)
    found.figures["handoffs attached to an open one"] = sum(1 for h in accepted if attached[h])
    found.figures["handoffs made by the desk"] = len(rows - set(accepted))
    found.figures["handoffs in the desk"] = len(rows)
    found.figures["handoffs left in the outbox"] = len(left)
