"""The event log: the sequence a conversation produces, written with the change it records
(a failure between two steps leaves state and events agreeing), the managers' API, late
handoffs, abandoned conversations, and the loop's objects touched only from the loop."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

import sqlkit
from desk.app import create_app
from desk.config import Settings
from desk.hub import Connection
from desk.store import Store
from desk.sweeps import AbandonedSweep
from tests.desk.conftest import (
    AGENT,
    CONSOLE,
    FakeAssistant,
    handoff_request,
    kb_handler,
    receive_until,
    sign_in,
)
from tests.desk.routes.test_console import start_conversation_with_handoff
from tests.desk.routes.test_deps import MANAGER

SERVICE = {"Authorization": "Bearer dev-desk-service-token"}


def types(client: TestClient, conversation_id: str) -> list[str]:
    store: Store = client.app.state.desk.store  # type: ignore[attr-defined]
    return [e.type.value for e in store.events(conversation_id=conversation_id, limit=1000)]


def test_a_whole_conversation_produces_its_events_in_order(client: TestClient):
    cookie = {**sign_in(client), **CONSOLE}
    with client.websocket_connect("/ws/console", headers=cookie) as console:
        widget = client.websocket_connect("/ws/widget").__enter__()
        widget.send_json({"type": "hello", "token": None, "after": 0, "metadata": {}})
        cid = receive_until(widget, lambda f: f["type"] == "welcome")["conversation_id"]
        widget.send_json(
            {"type": "message", "client_id": "m1", "text": "my card 4111 1111 1111 1111 is lost"}
        )
        receive_until(widget, lambda f: f["type"] == "message" and f["message"]["role"] == "bot")
        widget.send_json({"type": "message", "client_id": "m2", "text": "No", "payload": "/not_helpful"})
        receive_until(widget, lambda f: f["type"] == "message" and f["message"]["role"] == "bot")
        widget.send_json({"type": "handoff_request", "client_id": "h1"})
        receive_until(console, lambda f: f["type"] == "handoff_new")
        client.post(f"/api/console/conversations/{cid}/claim", headers=cookie)
        client.post(
            f"/api/console/conversations/{cid}/notes", json={"text": "check the card"}, headers=cookie
        )
        client.post(
            f"/api/console/conversations/{cid}/articles", json={"article_id": "lost-card"}, headers=cookie
        )
        client.post(f"/api/console/conversations/{cid}/resolve", json={"outcome": "resolved"}, headers=cookie)
        widget.send_json({"type": "message", "client_id": "m3", "text": "one more thing"})
        receive_until(widget, lambda f: f["type"] == "message" and f["message"]["role"] == "bot")
        widget.__exit__(None, None, None)
    assert types(client, cid) == [
        "conversation_started",
        "customer_message",
        "assistant_answer",
        "customer_message",
        "feedback",
        "assistant_answer",
        "customer_message",
        "handoff_requested",
        "queued",
        "agent_joined",
        "internal_note",
        "agent_message",
        "resolved",
        "customer_message",
        "reopened",
        "assistant_answer",
    ]
    store: Store = client.app.state.desk.store  # type: ignore[attr-defined]
    events = store.events(conversation_id=cid)
    answer = next(e for e in events if e.type == "assistant_answer")
    assert answer.payload == {
        "article_id": "lost-card",
        "score": 0.81,
        "confidence": 0.93,
        "verdict": "answer",
    }
    assert next(e for e in events if e.type == "feedback").payload == {
        "article_id": "lost-card",
        "helpful": False,
    }
    assert next(e for e in events if e.type == "agent_message").payload["article_id"] == "lost-card"
    assert all(e.actor.startswith("agent:") for e in events if e.type in ("agent_joined", "resolved"))
    stored = json.dumps([e.payload for e in events])
    assert "4111" not in stored
    assert "lost" not in stored.replace("lost-card", "")  # no message text in any event


def test_a_failure_between_two_steps_leaves_state_and_events_agreeing(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    cookie = {**sign_in(client), **CONSOLE}
    with client.websocket_connect("/ws/console", headers=cookie) as console:
        widget, welcome = start_conversation_with_handoff(client, console)
        cid = welcome["conversation_id"]
        store: Store = client.app.state.desk.store  # type: ignore[attr-defined]
        before = types(client, cid)

        def fail(*args: Any, **kwargs: Any) -> None:
            raise sqlite3.OperationalError("disk I/O error (injected)")

        monkeypatch.setattr(store, "_append", fail)  # the event write fails inside the transaction
        with pytest.raises(sqlite3.OperationalError):
            client.post(f"/api/console/conversations/{cid}/claim", headers=cookie)
        conversation = store.conversation(cid)
        assert conversation is not None
        assert conversation.mode == "queued"  # the claim rolled back with its event
        handoff = store.handoff(welcome_handoff(store, cid))
        assert handoff is not None
        assert (handoff.status, handoff.agent_id) == ("queued", None)
        assert types(client, cid) == before
        monkeypatch.undo()
        assert client.post(f"/api/console/conversations/{cid}/claim", headers=cookie).status_code == 200
        assert types(client, cid)[-1] == "agent_joined"
        widget.__exit__(None, None, None)


def welcome_handoff(store: Store, conversation_id: str) -> str:
    conversation = store.conversation(conversation_id)
    assert conversation is not None
    assert conversation.handoff_id is not None
    return conversation.handoff_id


def test_events_are_append_only(client: TestClient):
    client.post("/api/handoffs", json=handoff_request("c_append"), headers=SERVICE)
    store: Store = client.app.state.desk.store  # type: ignore[attr-defined]
    for sql in ("UPDATE events SET type = 'queued'", "DELETE FROM events"):
        with pytest.raises(sqlkit.IntegrityError, match="append-only"), store._transaction() as db:
            db.execute(sql)


def test_managers_page_through_events_with_filters(client: TestClient):
    for n in range(3):
        client.post(
            "/api/handoffs",
            json=handoff_request(f"c_page_{n}", handoff_id=f"ho_page_00000{n}"),
            headers=SERVICE,
        )
    manager = sign_in(client, MANAGER)
    first = client.get("/api/events", params={"limit": 4}, headers=manager).json()
    assert len(first["events"]) == 4
    rest = client.get("/api/events", params={"after": first["next_after"]}, headers=manager).json()
    assert rest["next_after"] is None
    ids = [e["id"] for e in first["events"] + rest["events"]]
    assert ids == sorted(set(ids))
    assert len(ids) == 3 * 3  # started, handoff_requested and queued or ticket_created each
    only = client.get("/api/events", params={"type": "handoff_requested"}, headers=manager).json()["events"]
    assert {e["conversation_id"] for e in only} == {"c_page_0", "c_page_1", "c_page_2"}
    one = client.get("/api/events", params={"conversation_id": "c_page_1"}, headers=manager).json()["events"]
    assert {e["conversation_id"] for e in one} == {"c_page_1"}
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert client.get("/api/events", params={"since": later}, headers=manager).json()["events"] == []
    bad = client.get("/api/events", params={"type": "gossip"}, headers=manager)
    assert bad.status_code == 422
    client.cookies.clear()
    assert client.get("/api/events", headers=sign_in(client, AGENT)).status_code == 403


def test_a_late_handoff_attaches_to_the_open_one_and_the_agent_keeps_it(client: TestClient):
    cookie = {**sign_in(client), **CONSOLE}
    with client.websocket_connect("/ws/console", headers=cookie) as console:
        widget, welcome = start_conversation_with_handoff(client, console)
        cid = welcome["conversation_id"]
        client.post(f"/api/console/conversations/{cid}/claim", headers=cookie)
        late = handoff_request(cid, handoff_id="ho_late_000001", reason="sensitive_topic", priority="high")
        answer = client.post("/api/handoffs", json=late, headers=SERVICE)
        again = client.post("/api/handoffs", json=late, headers=SERVICE)
        widget.__exit__(None, None, None)
    store: Store = client.app.state.desk.store  # type: ignore[attr-defined]
    open_id = welcome_handoff(store, cid)
    assert answer.status_code == 200
    assert answer.json()["handoff_id"] == open_id
    assert answer.json()["status"] == "assigned"
    assert again.json()["handoff_id"] == open_id
    conversation = store.conversation(cid)
    assert conversation is not None
    assert conversation.mode == "agent"
    held = store.handoff(open_id)
    assert held is not None
    assert [a["handoff_id"] for a in held.request["attached"]] == ["ho_late_000001"]
    attached = [e for e in store.events(conversation_id=cid) if e.payload.get("attached_to")]
    assert [e.payload["reason"] for e in attached] == ["sensitive_topic"]


def test_a_conversation_left_after_a_reply_is_abandoned_once(database_target: str):
    moment = [datetime(2026, 12, 1, 9, 0, tzinfo=UTC)]
    store = Store(database_target, clock=lambda: moment[0])

    class NoSockets:
        def customer_connected(self, conversation_id: str) -> bool:
            return False

    sweep = AbandonedSweep(store=store, hub=NoSockets(), after_seconds=1800, clock=lambda: moment[0])  # type: ignore[arg-type]
    for cid in ("c_left", "c_typing"):
        store.create_conversation(cid, {})
        store.add_message(cid, "customer", "hi")
    store.add_message("c_left", "bot", "hello, how can I help?")
    moment[0] += timedelta(minutes=20)
    assert sweep.sweep() == 0
    moment[0] += timedelta(minutes=15)
    assert sweep.sweep() == 1  # c_typing's last word is the customer's: not left by them
    assert sweep.sweep() == 0
    left = store.events(conversation_id="c_left")
    assert [(e.type, e.payload) for e in left] == [("abandoned", {"idle_seconds": 2100, "mode": "bot"})]
    moment[0] += timedelta(minutes=1)
    store.add_message("c_left", "customer", "back again")
    store.add_message("c_left", "bot", "welcome back")
    moment[0] += timedelta(hours=1)
    assert sweep.sweep() == 1  # a new silence, a new event
    store.close()


class FakeSocket:
    """What a Connection writes to: frames land in `sent`."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send_json(self, frame: dict[str, Any]) -> None:
        self.sent.append(frame)

    async def close(self) -> None:
        return None


def test_routes_touch_the_hub_only_from_the_event_loop(settings: Settings, assistant: FakeAssistant):
    """Under asyncio debug mode, a queue touched from a worker thread raises; an agent's reply
    through the real route still reaches the customer's connection."""

    async def scenario() -> list[dict[str, Any]]:
        app = create_app(
            settings,
            rasa_transport=httpx.MockTransport(assistant.handle),
            kb_transport=httpx.MockTransport(kb_handler),
        )
        assistant.app = app
        async with app.router.lifespan_context(app):
            desk = app.state.desk
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://desk") as http:
                signed = await http.post(
                    "/console/login",
                    content=f"email={AGENT[0]}&password={AGENT[2]}",
                    headers={"content-type": "application/x-www-form-urlencoded"},
                )
                headers = {
                    **CONSOLE,
                    "cookie": f"kestrel_desk_session={signed.cookies['kestrel_desk_session']}",
                }
                await http.post("/api/handoffs", json=handoff_request("c_debug"), headers=SERVICE)
                widget = FakeSocket()
                connection = Connection(widget)  # type: ignore[arg-type]
                connection.start()
                desk.hub.join_conversation("c_debug", connection)
                assert (
                    await http.post("/api/console/conversations/c_debug/claim", headers=headers)
                ).is_success
                reply = await http.post(
                    "/api/console/conversations/c_debug/messages", json={"text": "hello"}, headers=headers
                )
                assert reply.is_success, reply.text
                for _ in range(50):
                    if any(f.get("message", {}).get("role") == "agent" for f in widget.sent):
                        break
                    await asyncio.sleep(0.01)
                connection.stop()
                return widget.sent

    outcome: list[Any] = []

    def run() -> None:  # in its own thread: a loop corrupted by another thread hangs, not fails
        try:
            outcome.append(asyncio.run(scenario(), debug=True))
        except BaseException as e:
            outcome.append(e)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(timeout=30)
    assert outcome, "the event loop hung: one of its objects was touched from another thread"
    sent = outcome[0]
    if isinstance(sent, BaseException):
        raise sent
    assert [
        f["message"]["text"] for f in sent if f["type"] == "message" and f["message"]["role"] == "agent"
    ] == ["hello"]
