"""The soak's checks (tools/soak/checks.py) over a real desk database, a real handoff outbox (each
on SQLite and PostgreSQL: the outbox audit is a trigger on both) and a tracker store laid out as
Rasa's: a clean run passes, and each kind of loss, duplicate or disorder is reported with its id."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from actions.outbox import Outbox
from desk.store import Store
from sqlkit.testing import temporary_database
from tools.soak.checks import WidgetRecord, check
from tools.soak.stores import watch_outbox


class World:
    """A desk database with one conversation, the action server's outbox, Rasa's tracker store,
    and the widget's view."""

    def __init__(self, desk_db: str, outbox_db: str, tmp_path: Path) -> None:
        self.desk_db, self.outbox_db = desk_db, outbox_db
        self.tracker = tmp_path / "tracker.db"
        self.store = Store(self.desk_db)
        self.store.create_conversation("c1", {})
        self.outbox = Outbox(self.outbox_db)
        watch_outbox(self.outbox_db)
        self.widget = WidgetRecord("widget 0", {"c1"}, [], {}, Counter())
        with sqlite3.connect(self.tracker) as db:  # the columns of Rasa's SQLTrackerStore
            db.execute(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT,"
                " timestamp REAL, intent_name TEXT, action_name TEXT, data TEXT)"
            )

    def customer(self, client_id: str, text: str = "where is my card") -> int:
        message, _ = self.store.add_message("c1", "customer", text, client_id=client_id)
        self.widget.expected.append(client_id)
        self.widget.acks[client_id] = message.id
        self.widget.delivered[message.id] += 1
        self.widget.arrivals.append(message.id)
        return message.id

    def reply(self, role: str = "bot", *, delivered: int = 1, text: str = "it is on its way") -> int:
        message, _ = self.store.add_message("c1", role, text)
        self.widget.delivered[message.id] += delivered
        self.widget.arrivals += [message.id] * delivered
        return message.id

    def rasa(self, *events: tuple[str, str]) -> None:
        """Events of conversation c1 in Rasa's tracker store: ("user" or "bot", text)."""
        with sqlite3.connect(self.tracker) as db:
            db.executemany(
                "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES ('c1', ?, 0, ?)",
                [(kind, json.dumps({"event": kind, "text": text})) for kind, text in events],
            )

    def order(self) -> list[str]:
        findings = check(self.desk_db, self.outbox_db, [self.widget], self.tracker)
        return [p for p in findings.problems if p.startswith("ORDER")]

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
    """The desk's database and the outbox on both engines (a scaled stack keeps both in
    PostgreSQL; the soak reads them through sqlkit)."""
    engine = "postgresql" if database_target.startswith("postgresql://") else "sqlite"
    with ExitStack() as stack:
        outbox_db = stack.enter_context(temporary_database(engine, tmp_path))
        made = World(database_target, outbox_db, tmp_path)
        stack.callback(made.outbox.close)
        stack.callback(made.store.close)
        yield made


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


def test_a_handoff_written_twice_to_the_outbox_is_audited_once(world: World) -> None:
    world.customer("a")
    world.outbox.keep({"handoff_id": "ho_1", "conversation_id": "c1"}, hold_seconds=0)
    world.handoff("ho_1")  # written again (ignored), delivered: its row is gone, its audit stays
    found = check(world.desk_db, world.outbox_db, [world.widget])
    assert found.problems == []
    assert found.figures["handoffs from the action server"] == 1


def test_watching_the_outbox_twice_keeps_one_trigger(world: World) -> None:
    watch_outbox(world.outbox_db)
    world.customer("a")
    world.handoff("ho_1")
    assert check(world.desk_db, world.outbox_db, [world.widget]).figures["handoffs in the desk"] == 1


def test_messages_stored_in_another_order_than_sent_are_out_of_order(world: World) -> None:
    first = world.customer("a")
    second = world.customer("b")
    world.reply()
    world.widget.expected = ["b", "a"]  # the widget sent b first
    assert world.order() == [
        f"ORDER: widget 0 (c1) sent client_id=a after b, but it is stored as id {first}, before id {second}"
    ]


def test_a_frame_arriving_after_a_later_one_is_out_of_order(world: World) -> None:
    question = world.customer("a")
    reply = world.reply()
    world.widget.arrivals = [reply, question]
    assert world.order() == [
        f"ORDER: message id {question} (customer) reached widget 0 (c1) after id {reply} (bot)"
    ]


def test_a_frame_delivered_twice_is_a_duplicate_not_a_reordering(world: World) -> None:
    world.customer("a")
    world.reply(delivered=2)
    problems = check(world.desk_db, world.outbox_db, [world.widget], world.tracker).problems
    assert [p.split(":")[0] for p in problems] == ["DUPLICATE"]


def test_turns_asked_in_the_order_stored_pass_repeats_and_sessions_included(world: World) -> None:
    world.customer("a", "hi")
    world.reply(text="Hello!\n\nHow can I help?")  # the desk joins the paragraphs of one turn
    world.customer("b", "where is my card")
    world.reply(text="it is on its way")
    world.rasa(
        ("user", "/session_start"),
        ("user", "hi"),
        ("bot", "Hello! How can I help?"),
        ("user", "where is my card"),  # asked, the answer lost, asked again
        ("bot", "it is on its way"),
        ("user", "where is my card"),
        ("bot", "it is on its way"),
    )
    assert world.order() == []
    figures = check(world.desk_db, world.outbox_db, [world.widget], world.tracker).figures
    assert (figures["assistant turns"], figures["replies matched"]) == (3, 2)


def test_turns_asked_in_another_order_than_stored_are_out_of_order(world: World) -> None:
    first = world.customer("a", "where is my card")
    second = world.customer("b", "how do I change my PIN")
    world.reply(text="in the app")
    world.reply(text="it is on its way")
    world.rasa(
        ("user", "how do I change my PIN"),
        ("bot", "in the app"),
        ("user", "where is my card"),
        ("bot", "it is on its way"),
    )
    assert world.order() == [
        f"ORDER: the assistant was asked customer message id {first} of conversation c1 after id "
        f"{second}, which was stored after it"
    ]


def test_a_reply_stored_before_its_question_is_out_of_order(world: World) -> None:
    reply = world.reply(text="it is on its way")
    question = world.customer("a", "where is my card")
    world.rasa(("user", "where is my card"), ("bot", "it is on its way"))
    assert world.order() == [
        f"ORDER: reply id {reply} of conversation c1 is stored before customer message id {question}, "
        "which it answers"
    ]


def test_replies_stored_in_another_order_than_their_turns_are_out_of_order(world: World) -> None:
    world.customer("a", "where is my card")
    world.customer("b", "how do I change my PIN")
    world.reply(text="in the app")
    late = world.reply(text="it is on its way")
    world.rasa(
        ("user", "where is my card"),
        ("bot", "it is on its way"),
        ("user", "how do I change my PIN"),
        ("bot", "in the app"),
    )
    assert world.order() == [
        f"ORDER: reply id {late} of conversation c1 answers an earlier turn of the assistant than "
        "the reply stored before it"
    ]
