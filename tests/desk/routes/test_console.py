"""POST /api/handoffs (the action server's contract) and the agent console API and socket."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from desk.schemas import HandoffRequest
from tests.desk.conftest import (
    AGENT,
    CONSOLE,
    OTHER_AGENT,
    FakeAssistant,
    FakeKnowledgeService,
    handoff_request,
    receive_until,
    sign_in,
)

ROOT = Path(__file__).resolve().parents[3]
SERVICE = {"Authorization": "Bearer dev-desk-service-token"}


def test_the_desk_reads_the_contract_as_written():
    schema = json.loads((ROOT / "docs/contracts/handoff.schema.json").read_text())
    fields = HandoffRequest.model_fields
    assert set(schema["required"]) == {name for name, f in fields.items() if f.is_required()}
    assert set(schema["properties"]) == set(fields)
    assert set(schema["properties"]["reason"]["enum"]) == set(fields["reason"].annotation.__args__)


def test_handoffs_need_the_service_token(client: TestClient):
    body = handoff_request("c_one_conversation")
    assert client.post("/api/handoffs", json=body).status_code == 401
    wrong = client.post("/api/handoffs", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "unauthorized"


def test_a_malformed_handoff_is_refused_with_the_field_named(client: TestClient):
    body = handoff_request("c_one_conversation", reason="boredom")
    response = client.post("/api/handoffs", json=body, headers=SERVICE)
    assert response.status_code == 422
    assert "reason" in response.json()["error"]["message"]


def test_a_repeated_handoff_returns_the_first_result(client: TestClient):
    body = handoff_request("c_one_conversation", handoff_id="ho_repeat_0001")
    first = client.post("/api/handoffs", json=body, headers=SERVICE)
    again = client.post("/api/handoffs", json=body, headers=SERVICE)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert first.json()["status"] == "ticket"  # nobody online


def test_with_an_agent_online_handoffs_queue_by_priority_then_wait(client: TestClient):
    cookie = sign_in(client)
    with client.websocket_connect("/ws/console", headers=cookie) as console:
        receive_until(console, lambda f: f["type"] == "queue")
        made = []
        for n, priority in enumerate(["normal", "low", "high", "normal"]):
            body = handoff_request(f"c_conv_{n}", handoff_id=f"ho_queue_000{n}", priority=priority)
            made.append(client.post("/api/handoffs", json=body, headers=SERVICE).json())
        new = receive_until(console, lambda f: f["type"] == "handoff_new")
    assert all(r["status"] == "queued" for r in made)
    assert made[0]["queue_position"] == 1
    assert made[0]["estimated_wait_seconds"] == 180
    assert new["summary"]["handoff_id"] == "ho_queue_0000"
    queue = client.get("/api/console/queue", headers=cookie).json()
    order = [s["handoff_id"] for s in queue["queued"]]
    assert order == ["ho_queue_0002", "ho_queue_0000", "ho_queue_0003", "ho_queue_0001"]
    assert queue["online_agents"] == 0  # the console closed


def test_sign_in_needs_the_right_password(client: TestClient):
    form = {"content-type": "application/x-www-form-urlencoded"}
    wrong = client.post("/console/login", content=f"email={AGENT[0]}&password=guess", headers=form)
    assert wrong.status_code == 401
    assert "Wrong email or password" in wrong.text
    assert client.get("/api/console/queue").status_code == 401
    assert client.get("/console", follow_redirects=False).headers["location"] == "/console/login"
    cookie = sign_in(client)
    assert client.get("/api/console/me", headers=cookie).json()["name"] == AGENT[1]
    client.post("/console/logout", headers=cookie)
    assert client.get("/api/console/me", headers=cookie).status_code == 401


def test_passwords_are_stored_hashed(client: TestClient):
    agent = client.app.state.desk.store.staff_by_email(AGENT[0])  # type: ignore[attr-defined]
    assert AGENT[2] not in agent.password_hash
    assert agent.password_hash.startswith("scrypt$")


def test_changes_need_the_console_header(client: TestClient):
    cookie = sign_in(client)
    client.post(
        "/api/handoffs", json=handoff_request("c_conv_x", handoff_id="ho_header_001"), headers=SERVICE
    )
    refused = client.post("/api/console/conversations/c_conv_x/claim", headers=cookie)
    assert refused.status_code == 403


def test_unknown_conversations_are_404(client: TestClient):
    cookie = sign_in(client)
    response = client.get("/api/console/conversations/c_nope", headers=cookie)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "conversation_not_found"


def start_conversation_with_handoff(client: TestClient, console) -> tuple[object, dict]:
    ws = client.websocket_connect("/ws/widget").__enter__()
    ws.send_json({"type": "hello", "token": None, "after": 0, "metadata": {"page": "http://shop.example/"}})
    welcome = receive_until(ws, lambda f: f["type"] == "welcome")
    ws.send_json({"type": "handoff_request", "client_id": "h1"})
    receive_until(ws, lambda f: f["type"] == "state" and f["state"]["mode"] == "queued")
    receive_until(console, lambda f: f["type"] == "handoff_new")
    return ws, welcome


def test_an_agent_claims_replies_notes_and_resolves(client: TestClient):
    cookie = {**sign_in(client), **CONSOLE}
    with client.websocket_connect("/ws/console", headers=cookie) as console:
        widget, welcome = start_conversation_with_handoff(client, console)
        cid = welcome["conversation_id"]
        context = client.get(f"/api/console/conversations/{cid}", headers=cookie).json()
        assert context["summary"]["reason"] == "customer_request"
        assert context["handoff"]["turns"][0]["intent"] == "request_human"

        claimed = client.post(f"/api/console/conversations/{cid}/claim", headers=cookie).json()
        assert claimed["status"] == "assigned"
        assert claimed["agent"]["name"] == AGENT[1]
        state = receive_until(widget, lambda f: f["type"] == "state" and f["state"]["mode"] == "agent")
        assert state["state"]["agent"] == {"name": AGENT[1]}

        client.post(f"/api/console/conversations/{cid}/notes", json={"text": "VIP customer"}, headers=cookie)
        reply = client.post(
            f"/api/console/conversations/{cid}/messages", json={"text": "<b>Hi</b> Sam"}, headers=cookie
        )
        got = receive_until(widget, lambda f: f["type"] == "message" and f["message"]["role"] == "agent")[
            "message"
        ]
        assert got["text"] == "<b>Hi</b> Sam"
        assert got["author"]["name"] == AGENT[1]
        assert got["id"] == reply.json()["id"]

        widget.send_json({"type": "message", "client_id": "m2", "text": "thanks!"})
        to_agent = receive_until(
            console, lambda f: f["type"] == "message" and f["message"]["role"] == "customer"
        )
        assert to_agent["message"]["text"] == "thanks!"

        article = client.post(
            f"/api/console/conversations/{cid}/articles", json={"article_id": "lost-card"}, headers=cookie
        )
        assert article.json()["links"] == [
            {"title": "Lost or stolen card", "url": "http://localhost:8000/help/lost-card"}
        ]

        resolved = client.post(
            f"/api/console/conversations/{cid}/resolve", json={"outcome": "resolved"}, headers=cookie
        )
        assert resolved.json()["status"] == "resolved"
        receive_until(widget, lambda f: f["type"] == "state" and f["state"]["mode"] == "resolved")
        widget.__exit__(None, None, None)

    with client.websocket_connect("/ws/widget") as ws:
        ws.send_json({"type": "hello", "token": welcome["token"], "after": 0, "metadata": {}})
        receive_until(ws, lambda f: f["type"] == "welcome")
        history = [receive_until(ws, lambda f: f["type"] == "message")["message"] for _ in range(7)]
    assert "note" not in [m["role"] for m in history]
    assert all("VIP" not in m["text"] for m in history)


def test_a_second_agent_cannot_take_a_claimed_conversation(client: TestClient):
    ana = {**sign_in(client), **CONSOLE}
    ben = {**sign_in(client, OTHER_AGENT), **CONSOLE}
    with client.websocket_connect("/ws/console", headers=ana) as console:
        widget, welcome = start_conversation_with_handoff(client, console)
        cid = welcome["conversation_id"]
        assert client.post(f"/api/console/conversations/{cid}/claim", headers=ana).status_code == 200
        taken = client.post(f"/api/console/conversations/{cid}/claim", headers=ben)
        assert taken.status_code == 409
        reply = client.post(f"/api/console/conversations/{cid}/messages", json={"text": "hi"}, headers=ben)
        assert reply.status_code == 409
        note = client.post(f"/api/console/conversations/{cid}/notes", json={"text": "mine now"}, headers=ben)
        assert note.status_code == 409
        with client.websocket_connect("/ws/console", headers=ben) as bens_console:
            bens_console.send_json({"type": "typing", "conversation_id": cid, "on": True})
            console.send_json({"type": "typing", "conversation_id": cid, "on": True})
            typing = receive_until(widget, lambda f: f["type"] == "typing" and f["role"] == "agent")
        assert typing["name"] == AGENT[1]  # Ben's typing never reached the customer
        widget.__exit__(None, None, None)


def test_hand_back_resumes_the_assistant(client: TestClient, assistant: FakeAssistant):
    cookie = {**sign_in(client), **CONSOLE}
    with client.websocket_connect("/ws/console", headers=cookie) as console:
        widget, welcome = start_conversation_with_handoff(client, console)
        cid = welcome["conversation_id"]
        client.post(f"/api/console/conversations/{cid}/claim", headers=cookie)
        back = client.post(f"/api/console/conversations/{cid}/handback", headers=cookie)
        assert back.json()["status"] == "handed_back"
        receive_until(widget, lambda f: f["type"] == "state" and f["state"]["mode"] == "bot")
        greeting = receive_until(widget, lambda f: f["type"] == "message" and f["message"]["role"] == "bot")
        assert "assistant again" in greeting["message"]["text"]
        widget.send_json({"type": "message", "client_id": "after", "text": "card question"})
        answer = receive_until(widget, lambda f: f["type"] == "message" and f["message"]["role"] == "bot")
        assert answer["message"]["text"] == "Answer to: card question"
        # Back with the assistant: the consoles no longer receive its conversation.
        client.post(
            "/api/handoffs", json=handoff_request("c_marker", handoff_id="ho_marker_0001"), headers=SERVICE
        )
        seen = []
        receive_until(console, lambda f: seen.append(f) or f["type"] == "handoff_new")
        streamed = [
            f["message"]["text"] for f in seen if f["type"] == "message" and f["conversation_id"] == cid
        ]
        assert "card question" not in streamed
        assert "Answer to: card question" not in streamed
        widget.__exit__(None, None, None)
    paths = [path for path, _ in assistant.calls]
    assert paths.index(f"/conversations/{cid}/tracker/events") < paths.index(
        f"/conversations/{cid}/trigger_intent"
    )


def test_hand_back_with_the_assistant_down_changes_nothing(client: TestClient, assistant: FakeAssistant):
    cookie = {**sign_in(client), **CONSOLE}
    with client.websocket_connect("/ws/console", headers=cookie) as console:
        widget, welcome = start_conversation_with_handoff(client, console)
        cid = welcome["conversation_id"]
        client.post(f"/api/console/conversations/{cid}/claim", headers=cookie)
        assistant.down = True
        back = client.post(f"/api/console/conversations/{cid}/handback", headers=cookie)
        assert back.status_code == 503
        view = client.get(f"/api/console/conversations/{cid}", headers=cookie).json()
        assert view["summary"]["status"] == "assigned"
        assert view["state"]["mode"] == "agent"
        widget.__exit__(None, None, None)


def test_article_search_for_agents(client: TestClient):
    cookie = sign_in(client)
    results = client.get("/api/console/articles", params={"q": "lost card"}, headers=cookie).json()["results"]
    assert results[0]["article_id"] == "lost-card"


def test_the_console_socket_needs_a_session(client: TestClient):
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/ws/console") as ws:
        ws.receive_json()
    assert closed.value.code == 4401


def test_pages_render_and_escape(client: TestClient):
    page = client.get("/")
    assert page.status_code == 200
    assert '<script src="/widget.js"' in page.text
    assert "Content-Security-Policy" in page.headers
    assert client.get("/widget.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/help/lost-card").status_code == 200
    assert client.get("/help/nope").status_code == 404
    login = client.get("/console/login")
    assert login.status_code == 200
    assert 'name="password"' in login.text


def test_a_conversation_resolved_with_an_article_becomes_a_candidate_example(
    client: TestClient, knowledge: FakeKnowledgeService
):
    cookie = {**sign_in(client), **CONSOLE}
    with (
        client.websocket_connect("/ws/console", headers=cookie) as console,
        client.websocket_connect("/ws/widget") as ws,
    ):
        ws.send_json({"type": "hello", "token": None, "after": 0, "metadata": {}})
        cid = receive_until(ws, lambda f: f["type"] == "welcome")["conversation_id"]
        ws.send_json({"type": "message", "client_id": "q1", "text": "the cash machine kept my card tonight"})
        receive_until(ws, lambda f: f["type"] == "message" and f["message"]["role"] == "bot")
        ws.send_json({"type": "handoff_request", "client_id": "h1"})
        receive_until(console, lambda f: f["type"] == "handoff_new")
        client.post(f"/api/console/conversations/{cid}/claim", headers=cookie).raise_for_status()
        client.post(
            f"/api/console/conversations/{cid}/articles", json={"article_id": "lost-card"}, headers=cookie
        ).raise_for_status()
        client.post(
            f"/api/console/conversations/{cid}/resolve", json={"outcome": "resolved"}, headers=cookie
        ).raise_for_status()
        receive_until(ws, lambda f: f["type"] == "state" and f["state"]["mode"] == "resolved")
    assert knowledge.examples == [
        (
            {
                "source": "agent_resolved",
                "examples": [{"text": "the cash machine kept my card tonight", "article_id": "lost-card"}],
            },
            "Bearer desk-kb-token",
        )
    ]


def test_readiness_says_whether_the_assistant_is_up_and_the_desk_open(client: TestClient):
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready"
    assert ready["open_now"] is True
    assert ready["agents_online"] == 0
    assert ready["shared_state"] == "off"  # one desk: nothing shared through Redis


def test_a_desk_whose_database_does_not_answer_is_not_ready(client: TestClient, monkeypatch):
    """A proxy's health check then takes the replica out (docs/contracts/scale-out.md)."""
    import sqlkit

    def unreachable() -> None:
        raise sqlkit.DatabaseUnavailable("PostgreSQL at postgresql://kestrel@db/kestrel_desk is unreachable")

    monkeypatch.setattr(client.app.state.desk.store, "ping", unreachable)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "store unreachable"
    assert "kestrel@db" not in response.text  # where the database is stays in the log
    monkeypatch.undo()
    assert client.get("/readyz").status_code == 200
