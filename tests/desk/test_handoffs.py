"""Handoffs arriving at the desk: outside business hours they become tickets even with an
agent online (within hours and with an agent online they queue: tests/desk/routes/test_console.py)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from desk.config import Settings
from desk.hours import DAYS
from tests.desk.conftest import handoff_request, receive_until, sign_in

SERVICE = {"Authorization": "Bearer dev-desk-service-token"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Open only on a day three days from today: closed now, whenever the test runs."""
    today = datetime.now(ZoneInfo(settings.timezone)).weekday()
    return settings.model_copy(update={"business_hours": f"{DAYS[(today + 3) % 7]} 09:00-17:00"})


def test_outside_business_hours_a_handoff_is_a_ticket_even_with_an_agent_online(client: TestClient):
    with client.websocket_connect("/ws/console", headers=sign_in(client)) as console:
        receive_until(console, lambda f: f["type"] == "queue")
        assert client.get("/readyz").json()["agents_online"] == 1
        made = client.post("/api/handoffs", json=handoff_request("c_after_hours"), headers=SERVICE)
    assert made.status_code == 201
    assert (made.json()["status"], made.json()["queue_position"]) == ("ticket", None)
    desk = client.app.state.desk  # type: ignore[attr-defined]
    state = desk.queue.state_of(desk.store.conversation("c_after_hours"))
    assert state.reply_expected.startswith("after we open on")
