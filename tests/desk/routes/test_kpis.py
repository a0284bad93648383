"""GET /api/kpis, /api/floor and /api/csat through the app: roles, parameters, and figures that
follow what happened in the widget and the console (the arithmetic is tests/desk/kpis/)."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.desk.conftest import CONSOLE, FakeAssistant, FakeKnowledgeService, receive_until, sign_in
from tests.desk.routes.test_console import start_conversation_with_handoff
from tests.desk.routes.test_csat import ThankfulAssistant, ask_and_confirm, hello
from tests.desk.routes.test_deps import MANAGER


class KnowledgeWithTopics(FakeKnowledgeService):
    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/articles":
            return httpx.Response(
                200, json=[{"id": "lost-card", "title": "Lost card", "topic": "lost_or_stolen_card"}]
            )
        return super().handle(request)


@pytest.fixture
def assistant() -> FakeAssistant:
    return ThankfulAssistant()


@pytest.fixture
def knowledge() -> FakeKnowledgeService:
    return KnowledgeWithTopics()


@pytest.mark.parametrize("path", ["/api/kpis", "/api/floor", "/api/csat"])
def test_managers_and_admins_only(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 401
    assert client.get(path, headers=sign_in(client)).status_code == 403  # an agent
    assert client.get(path, headers=sign_in(client, MANAGER)).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-03-09", "to": "2026-03-02"},
        {"from": "2025-01-01", "to": "2026-03-02"},
        {"from": "yesterday"},
        {"group": "month"},
        {"channel": "phone"},
        {"agent": "0"},
    ],
)
def test_bad_parameters_are_422(client: TestClient, params: dict[str, str]) -> None:
    assert client.get("/api/kpis", params=params, headers=sign_in(client, MANAGER)).status_code == 422


def test_the_default_period_is_the_last_seven_days_by_day(client: TestClient) -> None:
    found = client.get("/api/kpis", headers=sign_in(client, MANAGER)).json()
    assert len(found["series"]) == 7
    assert found["series"][-1]["start"] == found["range"]["to"]
    assert found["conversations"] == {"count": 0}
    weeks = client.get("/api/kpis", params={"group": "week"}, headers=sign_in(client, MANAGER)).json()
    assert 1 <= len(weeks["series"]) <= 2


def test_figures_follow_the_conversations(client: TestClient) -> None:
    with client.websocket_connect("/ws/widget") as ws:
        hello(ws)
        request = ask_and_confirm(ws)
        ws.send_json({"type": "csat", "resolution_id": request["resolution_id"], "score": 5})
        receive_until(ws, lambda f: f["type"] == "csat_closed")
    cookie = {**sign_in(client), **CONSOLE}
    with client.websocket_connect("/ws/console", headers=cookie) as console:
        widget, welcome = start_conversation_with_handoff(client, console)
        floor = client.get("/api/floor", headers=sign_in(client, MANAGER)).json()
        assert floor["waiting"]["count"] == 1
        assert floor["queue"][0]["conversation_id"] == welcome["conversation_id"]
        assert floor["agents_online"] == 1
        cookie = {**sign_in(client), **CONSOLE}
        cid = welcome["conversation_id"]
        client.post(f"/api/console/conversations/{cid}/claim", headers=cookie)
        client.post(f"/api/console/conversations/{cid}/messages", json={"text": "Hello"}, headers=cookie)
        floor = client.get("/api/floor", headers=sign_in(client, MANAGER)).json()
        assert floor["waiting"]["count"] == 0
        assert [a["conversations"] for a in floor["agents"]] == [1]
        client.post(f"/api/console/conversations/{cid}/resolve", json={"outcome": "resolved"}, headers=cookie)
        widget.__exit__(None, None, None)

    found = client.get("/api/kpis", headers=sign_in(client, MANAGER)).json()
    assert found["conversations"] == {"count": 2}
    assert found["containment"] == {"rate": 0.5, "count": 1, "of": 2}
    assert found["escalation"]["by_reason"]["customer_request"] == 1
    assert found["fcr"]["of"] == 2
    assert (found["csat"]["assistant"]["responses"], found["csat"]["assistant"]["rate"]) == (1, 1.0)
    assert (found["csat"]["agents"]["asked"], found["csat"]["agents"]["responses"]) == (1, 0)
    assert found["time_to_person"]["count"] == 1
    assert found["resolution_time"]["count"] == 1
    assert [t["topic"] for t in found["topics"]] == ["lost_or_stolen_card", "unclassified"]
    assert found["articles"][0]["article_id"] == "lost-card"
    assert found["articles"][0]["helpful"] == 1
    assert [(a["name"], a["handled"], a["resolved"]) for a in found["agents"]] == [("Ana Torres", 1, 1)]
    assert sum(bucket["conversations"]["count"] for bucket in found["series"]) == 2
    topic = client.get("/api/kpis", params={"topic": "lost_or_stolen_card"}, headers=sign_in(client, MANAGER))
    assert topic.json()["conversations"] == {"count": 1}
    agent_id = found["agents"][0]["agent_id"]
    mine = client.get("/api/kpis", params={"agent": agent_id}, headers=sign_in(client, MANAGER)).json()
    assert mine["conversations"] == {"count": 1}
