"""The soak's checks (tools/soak/checks.py) over a real desk database and a real handoff outbox:
a clean run passes, and each kind of loss or duplicate is reported with its id."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from actions.outbox import Outbox
from desk.store import Store
from tools.soak.checks import WidgetRecord, check, watch_outbox


class World:
    """A desk database with one conversation, the action server's outbox, and the widget's view."""

    def __init__(self, desk_db: str, tmp_path: Path) -> None:
        self.desk_db, self.outbox_db = desk_db, tmp_path / "outbox.sqlite3"
        self.store = Store(self.desk_db)
        self.store.create_conversation("c1", {})
        self.outbox = Outbox(self.outbox_db)
        watch_outbox(self.outbox_db)
        self.widget = WidgetRecord("widget 0", {"c1"}, [], {}, Counter())

    def customer(self, client_id: str) -> int:
        message, _ = self.store.add_message("c1", "customer", "where is my card", client_id=client_id)
        self.widget.expected.append(client_id)
        self.widget.acks[client_id] = message.id
        self.widget.delivered[message.id] += 1
        return message.id

    def reply(self, role: str = "bot", *, delivered: int = 1) -> int:
        message, _ = self.store.add_message("c1", role, "it is on its way")
        self.widget.delivered[message.id] += delivered
        return message.id

    def handoff(self, handoff_id: str, *, in_desk: bool = True, attached: tuple[str, ...] = ()) -> None:
        self.outbox.keep({"handoff_id": handoff_id, "conversation_id": "c1"}, hold_seconds=0)
        self.outbox.delivered(handoff_id)
        if in_desk:
            request = {"handoff_id": handoff_id, "attached": [{"handoff_id": a} for a in attached]}
            with self.store._transaction() as db:
                db.execute(
                    "INSERT INTO handoffs (id, conversation_id, reason, priority, summary, request, status,"
                    " created_at) VALUES (?, 'c1', 'customer_request', 'normal', '', ?, 'queued', ?)",
                    (handoff_id, json.dumps(request), "2020-01-01T00:00:00.000Z"),
                )

    def problems(self) -> list[str]:
        return check(self.desk_db, self.outbox_db, [self.widget]).problems


@pytest.fixture
def world(database_target: str, tmp_path: Path) -> Iterator[World]:
    """The desk's database on both engines (the soak reads a PostgreSQL desk through sqlkit)."""
    made = World(database_target, tmp_path)
    yield made
    made.store.close()


def test_a_clean_run_has_no_problems(world: World) -> None:
    world.customer("a")
    world.reply()
    world.handoff("ho_late", in_desk=False)  # late: the desk attached it to the open one
    world.handoff("ho_1", attached=("ho_late",))
    assert world.problems() == []
    figures = check(world.desk_db, world.outbox_db, [world.widget]).figures
    assert figures["handoffs from the action server"] == 2
    assert figures["handoffs attached to an open one"] == 1


def test_a_message_acknowledged_but_not_stored_is_lost(world: World) -> None:
    world.customer("a")
    world.reply()
    world.widget.expected.append("b")
    world.widget.acks["b"] = 99
    assert any(p.startswith("LOST") and "client_id=b" in p for p in world.problems())


def test_a_message_never_acknowledged_is_reported(world: World) -> None:
    world.customer("a")
    world.reply()
    world.widget.unacked.append("c")
    assert any("client_id=c" in p and "never acknowledged" in p for p in world.problems())


def test_a_message_delivered_twice_is_a_duplicate(world: World) -> None:
    world.customer("a")
    reply = world.reply(delivered=2)
    assert f"DUPLICATE: message id {reply} reached widget 0 2 times" in world.problems()


def test_a_stored_message_the_widget_never_got_is_missing(world: World) -> None:
    world.customer("a")
    reply = world.reply(delivered=0)
    assert any(p.startswith(f"MISSING: message id {reply} (bot)") for p in world.problems())


def test_a_customer_message_without_reply_or_handoff_is_unanswered(world: World) -> None:
    world.reply()
    question = world.customer("a")
    assert f"UNANSWERED: customer message id {question} of conversation c1" in world.problems()


def test_a_handoff_covers_the_messages_after_it(world: World) -> None:
    world.customer("a")
    world.handoff("ho_1")
    assert world.problems() == []


def test_a_handoff_the_desk_never_got_is_lost(world: World) -> None:
    world.customer("a")
    world.reply()
    world.handoff("ho_gone", in_desk=False)
    assert any(p.startswith("LOST: handoff ho_gone") for p in world.problems())


def test_a_handoff_left_in_the_outbox_is_reported(world: World) -> None:
    world.customer("a")
    world.reply()
    world.outbox.keep({"handoff_id": "ho_stuck", "conversation_id": "c1"}, hold_seconds=0)
    assert any("ho_stuck left in the action server's outbox" in p for p in world.problems())
