"""Background sweeps: an unstaffed queue becomes tickets after its grace period (the abandoned
sweep is tested with the event log, tests/desk/test_events.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from desk.sweeps import UnstaffedQueue
from tests.desk.conftest import CONSOLE, receive_until, sign_in
from tests.desk.routes.test_console import start_conversation_with_handoff


def test_the_queue_goes_to_tickets_only_after_the_grace_period():
    moment = [datetime(2026, 12, 1, 9, 0, tzinfo=UTC)]
    available = [True]
    moved: list[datetime] = []
    sweep = UnstaffedQueue(
        available=lambda _: available[0],
        to_tickets=lambda: moved.append(moment[0]) or 1,
        grace_seconds=60,
        clock=lambda: moment[0],
    )
    assert sweep.check() == 0
    available[0] = False  # the last agent signs out
    assert sweep.check() == 0
    moment[0] += timedelta(seconds=30)
    available[0] = True  # ...and is back after a reload
    assert sweep.check() == 0
    available[0] = False
    moment[0] += timedelta(seconds=30)
    assert sweep.check() == 0  # the grace starts again
    moment[0] += timedelta(seconds=61)
    assert sweep.check() == 1
    assert moved == [moment[0]]


def test_when_the_last_agent_leaves_queued_customers_are_told_and_become_tickets(client: TestClient):
    client.app.state.desk.unstaffed.grace = timedelta(0)  # type: ignore[attr-defined]
    cookie = {**sign_in(client), **CONSOLE}
    with client.websocket_connect("/ws/console", headers=cookie) as console:
        widget, welcome = start_conversation_with_handoff(client, console)
    # The console closed: nobody can serve the queue.
    told = receive_until(widget, lambda f: f["type"] == "message" and f["message"]["role"] == "system")
    state = receive_until(widget, lambda f: f["type"] == "state" and f["state"]["mode"] == "ticket")
    widget.__exit__(None, None, None)
    assert state["state"]["email_needed"] is True
    assert "reply by email" in told["message"]["text"]
    store = client.app.state.desk.store  # type: ignore[attr-defined]
    types = [e.type.value for e in store.events(conversation_id=welcome["conversation_id"])]
    assert types[-2:] == ["queued", "ticket_created"]
    assert store.handoffs(["queued"]) == []
