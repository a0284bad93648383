"""Satisfaction ratings through the widget socket: asked once after the assistant's or an
agent's resolution, answered or dismissed once, the score in the event log and the comment
masked where a manager reads it (desk/csat.py)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.desk.conftest import CONSOLE, FakeAssistant, receive_until, sign_in
from tests.desk.routes.test_console import start_conversation_with_handoff
from tests.desk.routes.test_deps import MANAGER

CARD = "4111 1111 1111 1111"


class ThankfulAssistant(FakeAssistant):
    """Answers questions with an article; "yes" and goodbyes like the real assistant: no new
    answer, and a goodbye carries the action server's `goodbye` decision."""

    def _reply(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        sender, message = body["sender"], body["message"]
        if message == "/affirm":
            return [{"recipient_id": sender, "text": "Great, I'm glad that helped."}]
        if message == "bye":
            return [
                {"recipient_id": sender, "text": "Thanks for chatting with Kestrel. Take care!"},
                {"recipient_id": sender, "custom": {"kind": "goodbye"}},
            ]
        return super()._reply(body)


@pytest.fixture
def assistant() -> FakeAssistant:
    return ThankfulAssistant()


def hello(ws: Any, token: str | None = None, after: int = 0) -> dict[str, Any]:
    ws.send_json(
        {"type": "hello", "token": token, "after": after, "metadata": {"page": "http://shop.example/"}}
    )
    return receive_until(ws, lambda f: f["type"] == "welcome")


def ask_and_confirm(ws: Any, n: int = 1) -> dict[str, Any]:
    """A question answered, then "Yes": the frame that came for the "Yes" (a csat_request or its ack)."""
    ws.send_json({"type": "message", "client_id": f"q{n}", "text": "I lost my card"})
    receive_until(ws, lambda f: f["type"] == "message" and f["message"]["role"] == "bot")
    ws.send_json({"type": "message", "client_id": f"y{n}", "text": "Yes, thanks", "payload": "/affirm"})
    return receive_until(ws, lambda f: f["type"] in ("csat_request", "ack"))


def until_pong(ws: Any) -> list[dict[str, Any]]:
    """Every frame up to the answer to a ping: what the desk sent before it, in order."""
    ws.send_json({"type": "ping"})
    frames = []
    while (frame := ws.receive_json())["type"] != "pong":
        frames.append(frame)
    return frames


def events(client: TestClient, cid: str, kind: str) -> list[dict[str, Any]]:
    cookie = sign_in(client, MANAGER)
    found = client.get("/api/events", params={"conversation_id": cid, "type": kind}, headers=cookie)
    return list(found.json()["events"])


def test_the_assistant_asks_once_and_the_rating_is_stored_once(client: TestClient) -> None:
    with client.websocket_connect("/ws/widget") as ws:
        cid = hello(ws)["conversation_id"]
        request = ask_and_confirm(ws)
        assert request["type"] == "csat_request"
        assert (request["of"], request["agent"]) == ("assistant", None)
        comment = f"Quick! My card {CARD}, write to me at sam@example.com"
        ws.send_json(
            {"type": "csat", "resolution_id": request["resolution_id"], "score": 4, "comment": comment}
        )
        closed = receive_until(ws, lambda f: f["type"] == "csat_closed")
        assert closed == {"type": "csat_closed", "resolution_id": request["resolution_id"], "rated": True}
        ws.send_json({"type": "csat", "resolution_id": request["resolution_id"], "score": 1})  # again
        assert receive_until(ws, lambda f: f["type"] == "csat_closed")["rated"] is True
        # Another confirmed answer in the same conversation: the assistant does not ask again.
        assert ask_and_confirm(ws, 2)["type"] == "ack"
        assert all(f["type"] != "csat_request" for f in until_pong(ws))

    (resolution, again) = events(client, cid, "resolved")
    assert resolution["id"] == request["resolution_id"]
    assert resolution["payload"] == {"outcome": "confirmed", "by": "assistant"}
    assert again["payload"]["by"] == "assistant"  # the second answer resolved too, unrated
    (given,) = events(client, cid, "csat_given")
    assert given["payload"] == {"score": 4, "of": "assistant", "commented": True}
    ratings = client.get("/api/csat", headers=sign_in(client, MANAGER)).json()["ratings"]
    assert [(r["conversation_id"], r["score"], r["of"]) for r in ratings] == [(cid, 4, "assistant")]
    assert CARD not in ratings[0]["comment"]
    assert "sam@example.com" not in ratings[0]["comment"]
    assert ratings[0]["comment"].startswith("Quick! My card ")
    assert "1111" in ratings[0]["comment"]  # the last four digits stay, as everywhere


def test_an_unanswered_request_comes_back_on_reconnecting_until_dismissed(client: TestClient) -> None:
    with client.websocket_connect("/ws/widget") as ws:
        welcome = hello(ws)
        request = ask_and_confirm(ws)
        last_id = receive_until(ws, lambda f: f["type"] == "message" and f["message"]["role"] == "bot")
    with client.websocket_connect("/ws/widget") as ws:
        hello(ws, welcome["token"], after=last_id["message"]["id"])
        again = receive_until(ws, lambda f: f["type"] == "csat_request")
        assert again == request
        ws.send_json({"type": "csat_dismiss", "resolution_id": request["resolution_id"]})
        assert receive_until(ws, lambda f: f["type"] == "csat_closed")["rated"] is False
        ws.send_json({"type": "csat", "resolution_id": request["resolution_id"], "score": 5})
        assert receive_until(ws, lambda f: f["type"] == "csat_closed")["rated"] is False
    with client.websocket_connect("/ws/widget") as ws:
        hello(ws, welcome["token"], after=last_id["message"]["id"])
        assert all(f["type"] != "csat_request" for f in until_pong(ws))
    assert events(client, welcome["conversation_id"], "csat_given") == []


def test_goodbye_after_an_answer_resolves_and_asks(client: TestClient) -> None:
    with client.websocket_connect("/ws/widget") as ws:
        cid = hello(ws)["conversation_id"]
        ws.send_json({"type": "message", "client_id": "q", "text": "I lost my card"})
        receive_until(ws, lambda f: f["type"] == "message" and f["message"]["role"] == "bot")
        ws.send_json({"type": "message", "client_id": "b", "text": "bye"})
        request = receive_until(ws, lambda f: f["type"] == "csat_request")
    assert request["of"] == "assistant"
    (resolution,) = events(client, cid, "resolved")
    assert resolution["payload"] == {"outcome": "goodbye", "by": "assistant"}


def test_goodbye_without_an_answer_resolves_nothing(client: TestClient) -> None:
    with client.websocket_connect("/ws/widget") as ws:
        cid = hello(ws)["conversation_id"]
        ws.send_json({"type": "message", "client_id": "b", "text": "bye"})
        receive_until(ws, lambda f: f["type"] == "message" and f["message"]["role"] == "bot")
        assert all(f["type"] != "csat_request" for f in until_pong(ws))
    assert events(client, cid, "resolved") == []


def test_an_agent_resolution_is_rated_for_that_agent(client: TestClient) -> None:
    cookie = {**sign_in(client), **CONSOLE}
    with client.websocket_connect("/ws/console", headers=cookie) as console:
        widget, welcome = start_conversation_with_handoff(client, console)
        cid = welcome["conversation_id"]
        client.post(f"/api/console/conversations/{cid}/claim", headers=cookie)
        client.post(f"/api/console/conversations/{cid}/messages", json={"text": "Hello Sam"}, headers=cookie)
        client.post(f"/api/console/conversations/{cid}/resolve", json={"outcome": "resolved"}, headers=cookie)
        request = receive_until(widget, lambda f: f["type"] == "csat_request")
        assert (request["of"], request["agent"]) == ("agent", {"name": "Ana Torres"})
        widget.send_json({"type": "csat", "resolution_id": request["resolution_id"], "score": 2})
        receive_until(widget, lambda f: f["type"] == "csat_closed")
        widget.__exit__(None, None, None)
    (given,) = events(client, cid, "csat_given")
    assert given["payload"] == {"score": 2, "of": "agent", "commented": False}
    ratings = client.get("/api/csat", params={"of": "agent"}, headers=sign_in(client, MANAGER)).json()
    assert [(r["score"], r["comment"]) for r in ratings["ratings"]] == [(2, None)]
    assert ratings["ratings"][0]["agent_id"] is not None


def test_spam_is_not_rated_and_an_unknown_request_is_refused(client: TestClient) -> None:
    cookie = {**sign_in(client), **CONSOLE}
    with client.websocket_connect("/ws/console", headers=cookie) as console:
        widget, welcome = start_conversation_with_handoff(client, console)
        cid = welcome["conversation_id"]
        client.post(f"/api/console/conversations/{cid}/claim", headers=cookie)
        client.post(f"/api/console/conversations/{cid}/resolve", json={"outcome": "spam"}, headers=cookie)
        receive_until(widget, lambda f: f["type"] == "state" and f["state"]["mode"] == "resolved")
        assert all(f["type"] != "csat_request" for f in until_pong(widget))
        widget.send_json({"type": "csat", "resolution_id": 999_999, "score": 5})
        error = receive_until(widget, lambda f: f["type"] == "error")
        assert error["code"] == "unknown_rating"
        widget.send_json({"type": "csat", "resolution_id": 1, "score": 9})
        assert receive_until(widget, lambda f: f["type"] == "error")["code"] == "invalid_frame"
        widget.__exit__(None, None, None)
