"""The desk under TestClient with a fake assistant and knowledge service at the HTTP seam
(httpx.MockTransport): the fake assistant behaves like Rasa + the action server, including the
action server's POST /api/handoffs for "/request_human"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from desk.app import create_app
from desk.config import Settings

FEEDBACK_BUTTONS = [  # what the action server offers after an answer
    {"title": "Yes, thanks", "payload": "/affirm"},
    {"title": "No", "payload": "/not_helpful"},
]
AGENT = ("ana@kestrel.example", "Ana Torres", "correct-horse-1")
OTHER_AGENT = ("ben@kestrel.example", "Ben Okafor", "battery-staple-2")
CONSOLE = {"X-Requested-With": "kestrel-console"}


@dataclass
class FakeAssistant:
    """Answers like Rasa's REST channel; records every call."""

    app: Any = None
    calls: list[tuple[str, Any]] = field(default_factory=list)
    silent: bool = False  # answer [] like Rasa does when the action server is down
    buttons: bool = True  # replies ask "did that answer your question?"
    down: bool = False

    async def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        self.calls.append((request.url.path, body))
        if self.down:
            raise httpx.ConnectError("refused")
        if request.url.path == "/webhooks/rest/webhook":
            return httpx.Response(200, json=[] if self.silent else self._reply(body))
        if request.url.path.endswith("/tracker/events"):
            return httpx.Response(200, json={"events": []})
        if request.url.path.endswith("/trigger_intent"):
            text = "Hi, it's the Kestrel assistant again."
            return httpx.Response(
                200, json={"tracker": {}, "messages": [{"recipient_id": "x", "text": text}]}
            )
        return httpx.Response(404, json={})

    def _reply(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        sender, message = body["sender"], body["message"]
        if message == "/session_start":
            return []  # a new session: Rasa runs action_session_start and says nothing
        if message == "/request_human":
            _response, _ = self.app.state.desk.handoffs.accept(handoff_request(sender))
            return [{"recipient_id": sender, "text": "I'm connecting you with a member of our team."}]
        return [
            {
                "recipient_id": sender,
                "text": f"Answer to: {message}",
                **({"buttons": FEEDBACK_BUTTONS} if self.buttons else {}),
            },
            {
                "recipient_id": sender,
                "custom": {
                    "kind": "answer",
                    "article_id": "lost-card",
                    "title": "Lost card",
                    "url": "http://kb/help/x",
                    "verdict": "answer",
                    "score": 0.81,
                    "confidence": 0.93,
                },
            },
        ]


def handoff_request(conversation_id: str, handoff_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    body = {
        "version": 1,
        "handoff_id": handoff_id or f"ho_{conversation_id[-12:].replace('.', '-'):0>10}",
        "conversation_id": conversation_id,
        "reason": "customer_request",
        "priority": "normal",
        "summary": "The customer asked for a person about a card payment.",
        "trigger": {"text": "person please", "at": "2026-11-22T10:00:00Z"},
        "transcript": [{"role": "customer", "text": "person please", "at": "2026-11-22T10:00:00Z"}],
        "turns": [
            {
                "text": "person please",
                "intent": "request_human",
                "confidence": 0.97,
                "at": "2026-11-22T10:00:00Z",
            }
        ],
        "articles_shown": [{"article_id": "lost-card", "shown_as": "answer", "feedback": "not_helpful"}],
        "customer": {"name": "Sam", "email": None},
        "metadata": {"page": "http://localhost:8000/"},
        "requested_at": "2026-11-22T10:00:01Z",
    }
    body.update(overrides)
    return body


@dataclass
class FakeKnowledgeService:
    """kb_service's article, search and examples endpoints; records the examples sent."""

    examples: list[tuple[dict[str, Any], str]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/examples" and request.method == "POST":
            self.examples.append((json.loads(request.content), request.headers.get("authorization", "")))
            return httpx.Response(200, json={"added": 1, "skipped": 0, "status": "candidate", "problems": []})
        return kb_handler(request)


def kb_handler(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/articles/lost-card":
        article = {
            "id": "lost-card",
            "title": "Lost or stolen card",
            "summary": "Freeze it in the app.",
            "url": "http://localhost:8000/help/lost-card",
            "body": "1. Open the app",
            "topic": "lost",
        }
        return httpx.Response(200, json=article)
    if request.url.path == "/search":
        hit = {
            "article_id": "lost-card",
            "title": "Lost or stolen card",
            "summary": "Freeze it.",
            "url": "http://localhost:8000/help/lost-card",
            "score": 0.8,
        }
        return httpx.Response(200, json={"verdict": "answer", "hits": [hit]})
    return httpx.Response(404, json={"error": {"code": "article_not_found", "message": "no"}})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_path=tmp_path / "desk.sqlite3",
        agents=[":".join(AGENT), ":".join(OTHER_AGENT)],
        allowed_origins=["http://shop.example"],
        kb_service_token="desk-kb-token",
    )


@pytest.fixture
def assistant() -> FakeAssistant:
    return FakeAssistant()


@pytest.fixture
def knowledge() -> FakeKnowledgeService:
    return FakeKnowledgeService()


@pytest.fixture
def client(
    settings: Settings, assistant: FakeAssistant, knowledge: FakeKnowledgeService
) -> Iterator[TestClient]:
    app = create_app(
        settings,
        rasa_transport=httpx.MockTransport(assistant.handle),
        kb_transport=httpx.MockTransport(knowledge.handle),
    )
    assistant.app = app
    with TestClient(app) as test_client:
        yield test_client


def sign_in(client: TestClient, who: tuple[str, str, str] = AGENT) -> dict[str, str]:
    """Sign in and return the cookie header to use (the client keeps one jar per test)."""
    response = client.post(
        "/console/login",
        content=f"email={who[0]}&password={who[2]}",
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    client.cookies.clear()
    return {"cookie": f"kestrel_desk_session={response.cookies['kestrel_desk_session']}"}


def receive_until(ws: Any, predicate: Any, limit: int = 30) -> dict[str, Any]:
    for _ in range(limit):
        frame = ws.receive_json()
        if predicate(frame):
            return frame  # type: ignore[no-any-return]
    raise AssertionError("expected frame never came")
