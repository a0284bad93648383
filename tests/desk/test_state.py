"""The state machine's table, and the store applying it as a compare-and-set (on both engines)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

import sqlkit
from desk import events as ev
from desk.errors import Conflict
from desk.state import TRANSITIONS, Mode, Step, target_of
from desk.store import Handoff, Store

B, Q, A, T, R = Mode.BOT, Mode.QUEUED, Mode.AGENT, Mode.TICKET, Mode.RESOLVED
# Every (step, from) pair that is allowed, and where it leads; everything else is refused.
ALLOWED = {
    (Step.QUEUE, B): Q,
    (Step.QUEUE, R): Q,
    (Step.TICKET, B): T,
    (Step.TICKET, R): T,
    (Step.CLAIM, Q): A,
    (Step.CLAIM, T): A,
    (Step.RESOLVE, Q): R,
    (Step.RESOLVE, A): R,
    (Step.RESOLVE, T): R,
    (Step.HAND_BACK, A): B,
    (Step.REOPEN, R): B,
    (Step.UNSTAFFED, Q): T,
}


@pytest.mark.parametrize("step", list(Step))
@pytest.mark.parametrize("current", list(Mode))
def test_each_step_from_each_mode(step: Step, current: Mode):
    if (step, current) in ALLOWED:
        assert target_of(step, current) == ALLOWED[step, current]
    else:
        with pytest.raises(Conflict):
            target_of(step, current)


def test_the_table_has_a_rule_for_every_step():
    assert set(TRANSITIONS) == set(Step)


def handoff(conversation_id: str, handoff_id: str = "ho_1") -> Handoff:
    return Handoff(
        id=handoff_id,
        conversation_id=conversation_id,
        reason="customer_request",
        priority="normal",
        summary="s",
        request={},
        status="queued",
        created_at="2026-12-01T00:00:00.000Z",
        agent_id=None,
        claimed_at=None,
        first_reply_at=None,
        closed_at=None,
        outcome=None,
        response={},
    )


@pytest.fixture
def store(database_target: str) -> Iterator[Store]:
    store = Store(database_target)
    store.create_conversation("c1", {})
    yield store
    store.close()


def test_a_transition_moves_the_conversation_and_its_handoff_with_its_events(store: Store):
    queued = ev.NewEvent("c1", ev.SYSTEM, ev.Queued(handoff_id="ho_1", position=1))
    store.transition("c1", Step.QUEUE, expected=B, new_handoff=handoff("c1"), events=[queued])
    agent = store.add_staff("a@x.example", "A", "h", frozenset())
    joined = ev.NewEvent("c1", ev.agent_actor(agent.id), ev.AgentJoined(handoff_id="ho_1"))
    store.transition("c1", Step.CLAIM, expected=Q, handoff_fields={"agent_id": agent.id}, events=[joined])
    conversation = store.conversation("c1")
    assert conversation is not None
    assert conversation.mode == "agent"
    stored = store.handoff("ho_1")
    assert stored is not None
    assert (stored.status, stored.agent_id) == ("assigned", agent.id)
    assert [e.type for e in store.events(conversation_id="c1")] == ["queued", "agent_joined"]


def test_a_transition_that_lost_a_race_changes_nothing(store: Store):
    store.transition("c1", Step.QUEUE, expected=B, new_handoff=handoff("c1"))
    agent = store.add_staff("a@x.example", "A", "h", frozenset())
    store.transition("c1", Step.CLAIM, expected=Q, handoff_fields={"agent_id": agent.id})
    late = ev.NewEvent("c1", ev.SYSTEM, ev.Resolved(handoff_id="ho_1", outcome="resolved"))
    with pytest.raises(Conflict):  # decided while the conversation was still queued
        store.transition("c1", Step.RESOLVE, expected=Q, handoff_fields={"closed_at": "t"}, events=[late])
    conversation = store.conversation("c1")
    assert conversation is not None
    assert conversation.mode == "agent"
    assert [e.type for e in store.events(conversation_id="c1")] == []


def test_the_mode_and_status_change_only_through_transitions(store: Store):
    with pytest.raises(ValueError, match="transition"):
        store.update_conversation("c1", mode="agent")
    store.transition("c1", Step.QUEUE, expected=B, new_handoff=handoff("c1"))
    with pytest.raises(ValueError, match="transition"):
        store.update_handoff("ho_1", status="resolved")


def test_the_schema_refuses_unknown_modes_and_a_second_open_handoff(store: Store):
    with pytest.raises(sqlkit.IntegrityError), store._transaction() as db:
        db.execute("UPDATE conversations SET mode = 'limbo' WHERE id = 'c1'")
    store.transition("c1", Step.QUEUE, expected=B, new_handoff=handoff("c1"))
    with pytest.raises(sqlkit.IntegrityError), store._transaction() as db:
        db.execute(
            "INSERT INTO handoffs"
            " (id, conversation_id, reason, priority, summary, request, status, created_at) VALUES"
            " ('ho_2', 'c1', 'r', 'normal', 's', '{}', 'queued', 't')"
        )


def test_a_tickets_wait_does_not_count_as_a_live_queue_wait(database_target: str):
    store = Store(database_target, clock=lambda: datetime(2026, 12, 1, 9, tzinfo=UTC))
    agent = store.add_staff("a@x.example", "A", "h", frozenset())
    store.create_conversation("live", {})
    store.create_conversation("overnight", {})
    live = replace(handoff("live", "ho_live"), created_at="2026-12-01T09:00:00.000Z")
    store.transition("live", Step.QUEUE, expected=B, new_handoff=live)
    store.transition(
        "live",
        Step.CLAIM,
        expected=Q,
        handoff_fields={"agent_id": agent.id, "claimed_at": "2026-12-01T09:02:00.000Z"},
    )
    night = replace(handoff("overnight", "ho_night"), created_at="2026-11-30T22:00:00.000Z")
    ticket = ev.NewEvent("overnight", ev.SYSTEM, ev.TicketCreated(handoff_id="ho_night"))
    store.transition("overnight", Step.TICKET, expected=B, new_handoff=night, events=[ticket])
    store.transition(
        "overnight",
        Step.CLAIM,
        expected=T,
        handoff_fields={"agent_id": agent.id, "claimed_at": "2026-12-01T09:00:00.000Z"},
    )
    assert store.recent_waits() == [120.0]
    store.close()
