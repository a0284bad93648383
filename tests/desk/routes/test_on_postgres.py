"""One real desk on PostgreSQL (DESK_DATABASE_URL, a database made for the test): a widget
conversation end to end, as the other route tests run it on SQLite, with the same fakes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from desk.config import Settings
from sqlkit.testing import temporary_postgres
from tests.desk.conftest import AGENT, CONSOLE, OTHER_AGENT, receive_until, sign_in
from tests.desk.routes.test_console import start_conversation_with_handoff
from tests.desk.routes.test_sockets import hello, is_message


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The conftest's settings, with the database from the environment, as `python -m desk` reads it."""
    with temporary_postgres() as url:
        monkeypatch.setenv("DESK_DATABASE_URL", url)
        yield Settings(
            database_path=tmp_path / "never-made.sqlite3",
            agents=[":".join(AGENT), ":".join(OTHER_AGENT)],
            allowed_origins=["http://shop.example"],
            kb_service_token="desk-kb-token",
        )
        assert not (tmp_path / "never-made.sqlite3").exists()


def test_a_widget_conversation_end_to_end(client: TestClient, settings: Settings) -> None:
    store = client.app.state.desk.store  # type: ignore[attr-defined]
    assert store.dialect == "postgresql"
    with client.websocket_connect("/ws/widget") as ws:
        welcome = hello(ws)
        ws.send_json({"type": "message", "client_id": "c1", "text": "I lost my card"})
        ack = receive_until(ws, lambda f: f["type"] == "ack")
        reply = receive_until(ws, is_message("bot"))["message"]
        ws.send_json({"type": "message", "client_id": "c1", "text": "I lost my card"})  # a resend
        assert receive_until(ws, lambda f: f["type"] == "ack")["id"] == ack["id"]
        ws.send_json({"type": "message", "client_id": "c2", "text": "No", "payload": "/not_helpful"})
        receive_until(ws, is_message("bot"))
    cid = welcome["conversation_id"]
    assert reply["text"] == "Answer to: I lost my card"
    assert reply["id"] > ack["id"]
    assert store.feedback_counts() == {"lost-card": (0, 1)}

    cookie = {**sign_in(client), **CONSOLE}
    with client.websocket_connect("/ws/console", headers=cookie) as console:
        widget, handed = start_conversation_with_handoff(client, console)
        other = handed["conversation_id"]
        assert client.post(f"/api/console/conversations/{other}/claim", headers=cookie).status_code == 200
        receive_until(widget, lambda f: f["type"] == "state" and f["state"]["mode"] == "agent")
        sent = client.post(
            f"/api/console/conversations/{other}/messages", json={"text": "Hi"}, headers=cookie
        )
        assert receive_until(widget, is_message("agent"))["message"]["id"] == sent.json()["id"]
        resolved = client.post(
            f"/api/console/conversations/{other}/resolve", json={"outcome": "resolved"}, headers=cookie
        )
        assert resolved.json()["status"] == "resolved"
        receive_until(widget, lambda f: f["type"] == "state" and f["state"]["mode"] == "resolved")
        widget.__exit__(None, None, None)

    with client.websocket_connect("/ws/widget") as ws:  # a reconnect replays what came after
        hello(ws, welcome["token"], after=ack["id"])
        replayed = [receive_until(ws, lambda f: f["type"] == "message")["message"] for _ in range(3)]
    assert [m["role"] for m in replayed] == ["bot", "customer", "bot"]
    types = [e.type for e in store.events(conversation_id=other)]
    assert types[-2:] == ["agent_message", "resolved"]
    assert "agent_joined" in types
    assert [e.type for e in store.events(conversation_id=cid)][:2] == [
        "conversation_started",
        "customer_message",
    ]
