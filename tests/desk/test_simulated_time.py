"""Simulated time (desk/simulated_time.py, desk/routes/simulation.py): in development an admin can
play a conversation as of a past moment through the same code as a live one, its widget, its
handoff, the console and the abandoned sweep all on that conversation's own clock; nothing else
moves, and production has none of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from desk.app import create_app
from desk.config import Settings
from desk.errors import InvalidInput
from desk.simulated_time import SimulatedTime, UnknownSimulation, working_on
from desk.staff import DEMO_PASSWORD
from desk.store import parse_time
from tests.desk.conftest import AGENT, CONSOLE, FakeAssistant, receive_until, sign_in

ADMIN = ("admin@kestrel.example", "Ada Admin", DEMO_PASSWORD)
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def test_replicas_over_one_database_apply_the_same_simulated_clocks(database_target: str):
    """A grant made on one desk replica, bound and advanced on another, reads the same on both."""
    from desk.store import Store

    first, second = Store(database_target), Store(database_target)
    try:
        real = [NOW]
        a = SimulatedTime(lambda: real[0], offsets=first)
        b = SimulatedTime(lambda: real[0], offsets=second)
        grant = a.grant(NOW - timedelta(days=3))
        assert b.known(grant)
        assert b.bind(grant, "c_shared") == NOW - timedelta(days=3)
        a.advance("c_shared", 120)
        with working_on("c_shared"):
            assert b.clock() == NOW - timedelta(days=3) + timedelta(seconds=120)
        with pytest.raises(UnknownSimulation):
            b.advance("c_unknown", 1)
    finally:
        first.close()
        second.close()


def test_a_conversations_clock_runs_from_its_grant_and_only_moves_forward():
    real = [NOW]
    time = SimulatedTime(lambda: real[0])
    grant = time.grant(NOW - timedelta(days=10))
    assert time.clock() == NOW  # nobody works for a simulated conversation
    with working_on(grant):
        assert time.clock() == NOW - timedelta(days=10)
    assert time.bind(grant, "c_1") == NOW - timedelta(days=10)
    real[0] += timedelta(seconds=5)  # its clock runs with the real one...
    with working_on("c_1"):
        assert time.clock() == NOW - timedelta(days=10) + timedelta(seconds=5)
    assert time.advance("c_1", 3600) == NOW - timedelta(days=10) + timedelta(seconds=3605)  # ...or jumps
    with working_on("c_other"):
        assert time.clock() == real[0]
    assert time.advance("c_1", 30 * 86_400) == real[0]  # never past the real time
    with pytest.raises(InvalidInput):
        time.grant(NOW + timedelta(hours=1))
    with pytest.raises(InvalidInput):
        time.advance("c_1", -1)
    with pytest.raises(UnknownSimulation):
        time.bind("sim_unknown", "c_2")
    with pytest.raises(UnknownSimulation):
        time.advance("c_2", 1)


def test_a_simulated_conversation_is_stamped_in_the_past_from_widget_to_console_to_sweep(
    client: TestClient,
):
    admin = {**sign_in(client, ADMIN), **CONSOLE}
    as_of = datetime.now(UTC) - timedelta(days=10)
    answer = client.post("/dev/simulation/grants", json={"as_of": as_of.isoformat()}, headers=admin)
    assert answer.status_code == 201, answer.text
    grant = answer.json()["grant"]
    assert answer.json()["abandon_after_seconds"] == 1800
    agent = {**sign_in(client, AGENT), **CONSOLE}
    with (
        client.websocket_connect("/ws/console", headers=agent),  # online: handoffs are queued
        client.websocket_connect(f"/ws/widget?simulation={grant}") as widget,
    ):
        widget.send_json({"type": "hello", "token": None, "after": 0, "metadata": {}})
        cid = receive_until(widget, lambda f: f["type"] == "welcome")["conversation_id"]
        bound = client.post(f"/dev/simulation/conversations/{cid}", json={"grant": grant}, headers=admin)
        assert bound.status_code == 200, bound.text
        widget.send_json({"type": "handoff_request", "client_id": "h1"})
        receive_until(widget, lambda f: f["type"] == "state" and f["state"]["mode"] == "queued")
        client.post(f"/dev/simulation/conversations/{cid}/advance", json={"seconds": 95}, headers=admin)
        claimed = client.post(f"/api/console/conversations/{cid}/claim", headers=agent)
        assert claimed.status_code == 200, claimed.text
        client.post(f"/api/console/conversations/{cid}/messages", json={"text": "Hello"}, headers=agent)
        client.post(f"/api/console/conversations/{cid}/handback", headers=agent)
        receive_until(widget, lambda f: f["type"] == "state" and f["state"]["mode"] == "bot")
    # The customer left after the assistant's greeting: half an hour later, on its clock, that counts.
    client.post(f"/dev/simulation/conversations/{cid}/advance", json={"seconds": 1860}, headers=admin)
    assert client.post("/dev/simulation/sweep", headers=admin).json() == {"abandoned": 1}

    store = client.app.state.desk.store  # type: ignore[attr-defined]
    at = {e.type.value: parse_time(e.at) for e in store.events(conversation_id=cid)}
    assert abs(at["conversation_started"] - as_of) < timedelta(seconds=5)
    assert abs(at["handoff_requested"] - as_of) < timedelta(seconds=5)
    assert abs(at["agent_joined"] - (as_of + timedelta(seconds=95))) < timedelta(seconds=5)
    assert abs(at["handed_back"] - (as_of + timedelta(seconds=95))) < timedelta(seconds=5)
    assert abs(at["abandoned"] - (as_of + timedelta(seconds=1955))) < timedelta(seconds=5)
    conversation = store.conversation(cid)
    assert abs(parse_time(conversation.created_at) - as_of) < timedelta(seconds=5)

    # A live conversation meanwhile keeps the real time, and the staff's sessions too.
    with client.websocket_connect("/ws/widget") as widget:
        widget.send_json({"type": "hello", "token": None, "after": 0, "metadata": {}})
        live = receive_until(widget, lambda f: f["type"] == "welcome")["conversation_id"]
    started = store.events(conversation_id=live)[0]
    assert abs(parse_time(started.at) - datetime.now(UTC)) < timedelta(seconds=30)
    assert client.get("/api/staff", headers=admin).status_code == 200


def test_only_admins_may_simulate_and_a_grant_must_be_real(client: TestClient):
    agent = {**sign_in(client, AGENT), **CONSOLE}
    body = {"as_of": (datetime.now(UTC) - timedelta(days=1)).isoformat()}
    assert client.post("/dev/simulation/grants", json=body, headers=agent).status_code == 403
    admin = {**sign_in(client, ADMIN), **CONSOLE}
    future = {"as_of": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
    assert client.post("/dev/simulation/grants", json=future, headers=admin).status_code == 422
    bind = client.post("/dev/simulation/conversations/c_x", json={"grant": "sim_nope"}, headers=admin)
    assert bind.status_code == 422
    # An unknown grant on the widget's socket is ignored: a live conversation.
    with client.websocket_connect("/ws/widget?simulation=sim_nope") as widget:
        widget.send_json({"type": "hello", "token": None, "after": 0, "metadata": {}})
        assert receive_until(widget, lambda f: f["type"] == "welcome")["conversation_id"]


def test_production_has_no_simulation(settings: Settings, assistant: FakeAssistant):
    production = Settings(
        environment="production",
        database_path=settings.database_path,
        agents=[":".join(AGENT)],
        service_token="a-real-service-token-0123456789abcdef",
        secret_key="a-real-secret-key-0123456789abcdefghij",
        kb_editor_token="a-real-editor-token-0123456789abcdef",
    )
    app = create_app(production, rasa_transport=httpx.MockTransport(assistant.handle))
    with TestClient(app) as client:
        assert app.state.simulated_time is None
        agent = {**sign_in(client, AGENT), **CONSOLE}
        body = {"as_of": (datetime.now(UTC) - timedelta(days=1)).isoformat()}
        assert client.post("/dev/simulation/grants", json=body, headers=agent).status_code == 404
