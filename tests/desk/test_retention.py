"""Closed conversations past the retention period lose what was said in them; their events stay,
conversations still with a person are never purged, and a purged conversation's token stops
working."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from desk import events as ev
from desk.__main__ import main
from desk.config import Settings
from desk.conversations import Conversations
from desk.retention import Retention
from desk.state import Mode, Step
from desk.store import Store
from tests.desk.engines import database_env, database_settings
from tests.desk.test_state import handoff


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def conversation_with_a_resolved_handoff(store: Store, cid: str, *, resolve: bool = True) -> None:
    store.create_conversation(cid, {"page": "http://shop.example/", "customer_id": "cust-1"})
    store.add_message(cid, "customer", "my email is jo@example.com, call 07700 900123")
    store.update_conversation(cid, customer_email="jo@example.com", customer_name="Jo")
    asked = ev.NewEvent(cid, ev.SYSTEM, ev.Queued(handoff_id=f"ho_{cid}", position=1))
    store.transition(
        cid, Step.QUEUE, expected=Mode.BOT, new_handoff=replace(handoff(cid, f"ho_{cid}")), events=[asked]
    )
    if resolve:
        store.transition(cid, Step.RESOLVE, expected=Mode.QUEUED, handoff_fields={"closed_at": "t"})


def test_purge_removes_what_was_said_and_keeps_the_events(database_target: str):
    clock = Clock()
    store = Store(database_target, clock=clock)
    conversation_with_a_resolved_handoff(store, "old")
    conversation_with_a_resolved_handoff(store, "still_queued", resolve=False)
    clock.now += timedelta(days=40)
    conversation_with_a_resolved_handoff(store, "recent")
    clock.now += timedelta(days=1)

    assert Retention(store=store, days=30, clock=clock).purge() == (1, 1)

    old = store.conversation("old")
    assert old is not None
    assert (old.customer_email, old.customer_name, old.metadata) == (None, None, {"purged": True})
    assert store.messages("old") == []
    purged_handoff = store.handoff("ho_old")
    assert purged_handoff is not None
    assert "person" not in purged_handoff.summary
    assert purged_handoff.request == {}
    assert [e.type for e in store.events(conversation_id="old")] == ["queued"]  # the log stays
    for kept in ("still_queued", "recent"):
        assert len(store.messages(kept)) == 1
    assert Retention(store=store, days=30, clock=clock).purge() == (0, 0)  # nothing left to do
    assert Retention(store=store, days=0, clock=clock).purge() == (0, 0)  # zero keeps everything
    store.close()


def test_a_purged_conversations_token_is_refused(database_target: str):
    clock = Clock()
    store = Store(database_target, clock=clock)
    conversations = Conversations(
        settings=Settings(**database_settings(database_target)),
        store=store,
        notify=None,  # type: ignore[arg-type]
        assistant=None,  # type: ignore[arg-type]
        tasks=None,  # type: ignore[arg-type]
    )
    opened = conversations.open(None, {})
    assert opened is not None
    conversation, token = opened
    assert conversations.open(token, {}) is not None
    store.purge([conversation.id])
    assert conversations.open(token, {}) is None
    store.close()


def test_the_purge_command(
    database_target: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    store = Store(database_target, clock=lambda: datetime(2020, 1, 1, tzinfo=UTC))
    conversation_with_a_resolved_handoff(store, "ancient")
    store.close()
    for name, value in database_env(database_target).items():
        monkeypatch.setenv(name, value)
    assert main(["purge", "--days", "30"]) == 0
    assert "purged 1 conversation(s)" in capsys.readouterr().out
    again = Store(database_target)
    assert again.messages("ancient") == []
    again.close()
