"""The widget and console sockets under hostile input: floods, malformed frames, refusals the
browser can read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from desk.app import create_app
from desk.config import Settings
from desk.flood import MAX_REFUSALS
from tests.desk.conftest import FakeAssistant, FakeKnowledgeService, receive_until


def hello(ws, token=None):
    ws.send_json({"type": "hello", "token": token, "after": 0, "metadata": {}})
    return receive_until(ws, lambda f: f["type"] == "welcome")


def is_error(code):
    return lambda f: f["type"] == "error" and f["code"] == code


def receive_until_closed(ws, limit=500) -> WebSocketDisconnect:
    for _ in range(limit):
        try:
            ws.receive_json()
        except WebSocketDisconnect as closed:
            return closed
    raise AssertionError("the socket stayed open")


def pong(ws):
    ws.send_json({"type": "ping"})
    return receive_until(ws, lambda f: f["type"] == "pong")


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[object]:
    clients: list[TestClient] = []

    def make(**overrides: object) -> TestClient:
        settings = Settings(database_path=tmp_path / "desk.sqlite3", **overrides)  # type: ignore[arg-type]
        app = create_app(
            settings,
            rasa_transport=httpx.MockTransport(FakeAssistant().handle),
            kb_transport=httpx.MockTransport(FakeKnowledgeService().handle),
        )
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def test_a_refused_socket_is_accepted_first_so_the_browser_sees_the_code(make_client):
    client = make_client(allowed_origins=["http://shop.example"])
    evil = {"origin": "http://evil.example"}
    # Entering the block at all means the socket was accepted before it was closed.
    with (
        client.websocket_connect("/ws/widget", headers=evil) as ws,
        pytest.raises(WebSocketDisconnect) as closed,
    ):
        ws.receive_json()
    assert closed.value.code == 4403
    with client.websocket_connect("/ws/console") as ws, pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    assert closed.value.code == 4401


def test_typing_and_acks_are_limited_too_and_a_reconnect_does_not_reset_them(make_client):
    client = make_client(address_frames_per_minute=20)
    with client.websocket_connect("/ws/widget") as ws:
        token = hello(ws)["token"]
        for _ in range(20):  # the address's whole budget
            ws.send_json({"type": "typing", "on": True})
        ws.send_json({"type": "ack", "id": 1})
        assert receive_until(ws, is_error("rate_limited"))["message"].startswith("too many ack")
    with client.websocket_connect("/ws/widget") as ws:
        hello(ws, token)
        ws.send_json({"type": "ping"})
        assert receive_until(ws, is_error("rate_limited"))["message"].startswith("too many ping")


def test_each_address_starts_a_limited_number_of_conversations(make_client):
    client = make_client(new_conversations_per_hour=2)
    tokens = []
    for _ in range(2):
        with client.websocket_connect("/ws/widget") as ws:
            tokens.append(hello(ws)["token"])
    with client.websocket_connect("/ws/widget") as ws:
        ws.send_json({"type": "hello", "token": None, "after": 0, "metadata": {}})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 1013
    with client.websocket_connect("/ws/widget") as ws:  # its existing conversations still open
        assert hello(ws, tokens[0])["token"]


def test_a_binary_frame_closes_the_socket_and_leaves_nothing_in_the_hub(make_client):
    client = make_client()
    desk = client.app.state.desk  # type: ignore[attr-defined]
    with client.websocket_connect("/ws/widget") as ws:
        conversation_id = hello(ws)["conversation_id"]
        assert desk.hub.customer_connected(conversation_id)
        ws.send_bytes(b"\x00\x01binary")
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 1003
    assert not desk.hub.customer_connected(conversation_id)


@pytest.mark.parametrize(
    "frame",
    [
        "[" * 5000 + "]" * 5000,  # deeper than the JSON parser recurses
        json.dumps({"type": "ack", "id": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": 1}}}}}}}}}),
        json.dumps({"type": "ack", "id": 2**64}),  # beyond SQLite's integers
        json.dumps({"type": "older", "before": 10**30}),
    ],
    ids=["deep-array", "deep-object", "huge-ack-id", "huge-older-id"],
)
def test_malformed_frames_get_an_error_and_the_socket_stays_usable(make_client, frame: str):
    client = make_client()
    with client.websocket_connect("/ws/widget") as ws:
        hello(ws)
        ws.send_text(frame)
        assert receive_until(ws, is_error("invalid_frame"))
        assert pong(ws)


def test_a_huge_after_in_the_hello_is_refused_cleanly(make_client):
    client = make_client()
    with client.websocket_connect("/ws/widget") as ws:
        ws.send_json({"type": "hello", "token": None, "after": 2**70, "metadata": {}})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 1008


def test_a_connection_that_ignores_its_limits_is_closed(make_client):
    client = make_client(address_frames_per_minute=10)
    with client.websocket_connect("/ws/widget") as ws:
        hello(ws)
        for _ in range(10 + MAX_REFUSALS):
            ws.send_json({"type": "typing", "on": True})
        closed = receive_until_closed(ws)
    assert closed.code == 1008
