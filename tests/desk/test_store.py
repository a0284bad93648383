"""The store's schema comes from numbered migrations, the same on SQLite and PostgreSQL (each
test here taking `database_target` runs on both); a desk made before them upgrades in place."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

import sqlkit
from desk import events as ev
from desk.roles import Role
from desk.store import StaffExists, Store
from desk.store.database import MIGRATIONS_DIR, migrations


def test_migrations_are_numbered_without_gaps(tmp_path: Path):
    assert [m.version for m in migrations()] == list(range(1, len(migrations()) + 1))
    (tmp_path / "001_a.sql").write_text("SELECT 1;")
    (tmp_path / "003_b.sql").write_text("SELECT 1;")
    with pytest.raises(sqlkit.SqlkitError, match="without gaps"):
        migrations(tmp_path)


def test_a_new_store_is_at_the_latest_version_and_reopens_without_changes(database_target: str):
    store = Store(database_target)
    latest = len(list(MIGRATIONS_DIR.glob("*.sql")))
    assert store.schema_version() == latest
    store.close()
    again = Store(database_target)
    assert again.schema_version() == latest
    again.close()


def test_a_desk_from_before_migrations_keeps_its_agents_sessions_and_handoffs(tmp_path: Path):
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript((MIGRATIONS_DIR / "001_initial.sql").read_text())
    old.executescript(
        """
        INSERT INTO agents (email, name, password_hash, created_at) VALUES ('ana@x.example', 'Ana', 'h', 't');
        INSERT INTO conversations (id, created_at, updated_at) VALUES ('c1', 't', 't');
        INSERT INTO handoffs
            (id, conversation_id, reason, priority, summary, request, status, created_at, agent_id)
            VALUES ('h1', 'c1', 'customer_request', 'normal', 's', '{}', 'assigned', 't', 1);
        INSERT INTO sessions (token_hash, agent_id, expires_at) VALUES ('tok', 1, '2999-01-01T00:00:00.000Z');
        """
    )
    old.commit()
    old.close()
    store = Store(path, clock=lambda: datetime(2026, 12, 1, tzinfo=UTC))
    member = store.staff_by_email("ana@x.example")
    assert member is not None
    assert member.roles == {Role.AGENT}
    assert store.session_staff("tok") == member
    handoff = store.handoff("h1")
    assert handoff is not None
    assert handoff.agent_id == member.id
    foreign = store._rows("PRAGMA foreign_key_list(handoffs)")
    assert {row["table"] for row in foreign} == {"conversations", "staff"}


def test_roles_are_checked_by_the_schema(database_target: str):
    store = Store(database_target)
    member = store.add_staff("a@x.example", "A", "h", frozenset({Role.AGENT}))
    with pytest.raises(sqlkit.IntegrityError), store._transaction() as db:
        db.execute("INSERT INTO staff_roles (staff_id, role) VALUES (?, 'boss')", (member.id,))
    with pytest.raises(StaffExists):
        store.add_staff("A@x.example", "Another A", "h", frozenset({Role.AGENT}))
    assert [m.name for m in store.all_staff()] == ["A"]
    store.close()


def test_references_and_the_append_only_log_hold_on_both_engines(database_target: str):
    """PostgreSQL's copy of migration 003 rebuilds the conversations table as SQLite's does, and
    gives messages their reference back; its events refuse changes as SQLite's triggers do."""
    store = Store(database_target)
    started = ev.NewEvent("c1", ev.SYSTEM, ev.ConversationStarted(channel="api"))
    store.create_conversation("c1", {}, started=started)
    for sql in (
        "INSERT INTO messages (conversation_id, role, text, at) VALUES ('nobody', 'customer', 'hi', 't')",
        "INSERT INTO events (conversation_id, type, at, actor) VALUES ('nobody', 'queued', 't', 'system')",
        "INSERT INTO sessions (token_hash, staff_id, expires_at) VALUES ('tok', 99, 't')",
        "UPDATE events SET type = 'queued'",
        "DELETE FROM events",
        "INSERT INTO events (conversation_id, type, at, actor) VALUES ('c1', 'queued', 't', 'agents:1')",
    ):
        with pytest.raises(sqlkit.IntegrityError), store._transaction() as db:
            db.execute(sql)
    assert [e.type for e in store.events(conversation_id="c1")] == ["conversation_started"]
    store.close()


def test_the_injected_clock_stamps_records(database_target: str):
    moment = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)
    store = Store(database_target, clock=lambda: moment)
    conversation, _ = store.create_conversation("c1", {})
    message, _ = store.add_message("c1", "customer", "hello")
    assert conversation.created_at == message.at == "2030-05-06T07:08:09.000Z"
    store.close()


def test_feedback_is_counted_the_same_on_both_engines(database_target: str):
    """JSON booleans: 1 and 0 on SQLite, 'true' and 'false' on PostgreSQL."""
    store = Store(database_target)
    store.create_conversation("c1", {})
    votes = [("lost-card", True), ("lost-card", False), ("lost-card", True), ("fees", False)]
    store.append_events(
        ev.NewEvent("c1", ev.CUSTOMER, ev.Feedback(article_id=article, helpful=helpful))
        for article, helpful in votes
    )
    assert store.feedback_counts() == {"lost-card": (2, 1), "fees": (0, 1)}
    store.close()


def test_messages_between_two_ids_are_read_by_the_database(database_target: str):
    store = Store(database_target)
    store.create_conversation("c1", {})
    ids = [store.add_message("c1", "customer", f"m{n}")[0].id for n in range(5)]
    between = store.messages("c1", after=ids[0], before=ids[3])
    assert [m.text for m in between] == ["m1", "m2"]
    assert [m.text for m in store.messages("c1", after=ids[2])] == ["m3", "m4"]
    store.close()
