"""The queue's wait estimate: the configured handling time until there is history, then the
real waits of recently claimed handoffs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desk.config import Settings
from desk.hub import Hub
from desk.queue import MIN_WAIT_SECONDS, Queue
from desk.state import Mode, Step
from desk.store import Handoff, Store, iso

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def claimed_after(store: Store, agent_id: int, n: int, seconds: int) -> None:
    """Handoff `n`, queued and claimed by the agent `seconds` later."""
    queued_at = START + timedelta(minutes=10 * n)
    store.create_conversation(f"c{n}", {})
    handoff = Handoff(
        id=f"ho_{n}",
        conversation_id=f"c{n}",
        reason="customer_request",
        priority="normal",
        summary="s",
        request={},
        status="queued",
        created_at=iso(queued_at),
        agent_id=None,
        claimed_at=None,
        first_reply_at=None,
        closed_at=None,
        outcome=None,
        response={},
    )
    store.transition(f"c{n}", Step.QUEUE, expected=Mode.BOT, new_handoff=handoff)
    claimed_at = iso(queued_at + timedelta(seconds=seconds))
    store.transition(
        f"c{n}",
        Step.CLAIM,
        expected=Mode.QUEUED,
        handoff_fields={"agent_id": agent_id, "claimed_at": claimed_at},
    )


def test_the_wait_estimate_is_the_median_real_wait_once_five_handoffs_were_claimed(
    database_target: str, settings: Settings
):
    store = Store(database_target, clock=lambda: START + timedelta(hours=2))
    hub = Hub()
    queue = Queue(settings=settings, store=store, hub=hub, clock=store.clock)
    agent = store.add_staff("a@x.example", "A", "h", frozenset())
    waits = [30, 600, 90, 60, 120]  # median 90 s; the configured handling time is 180 s
    for n, seconds in enumerate(waits[:4]):
        claimed_after(store, agent.id, n, seconds)
    assert queue.estimated_wait(2) == 2 * settings.default_handle_seconds  # too little history yet
    claimed_after(store, agent.id, 4, waits[4])
    assert queue.estimated_wait(1) == 90
    assert queue.estimated_wait(3) == 3 * 90
    hub.join_console(agent.id, object())  # type: ignore[arg-type]  # online: only presence counts
    hub.join_console(agent.id + 1, object())  # type: ignore[arg-type]
    assert queue.estimated_wait(3) == 2 * 90  # two agents share the three places
    store.close()


def test_instant_claims_never_promise_a_zero_wait(database_target: str, settings: Settings):
    store = Store(database_target, clock=lambda: START + timedelta(hours=2))
    queue = Queue(settings=settings, store=store, hub=Hub(), clock=store.clock)
    agent = store.add_staff("a@x.example", "A", "h", frozenset())
    for n in range(5):
        claimed_after(store, agent.id, n, 0)
    assert queue.estimated_wait(1) == MIN_WAIT_SECONDS
    store.close()
