"""The editors' insights through the desk's HTTP API, with the knowledge service faked at the
HTTP seam: the gaps page and its groups, starting a draft from a group, article stats, and
learned phrasings approved or rejected in bulk."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from desk import events as ev
from desk.store import Store
from tests.desk.conftest import AGENT, CONSOLE, sign_in
from tests.desk.kb_editing_fake import TOKEN, FakeEditingKB, error
from tests.desk.routes.test_deps import EDITOR
from tests.desk.test_gaps import Conversations


class FakeInsightsKB(FakeEditingKB):
    """The editing contract plus POST /cluster (texts sharing a keyword group together) and the
    examples endpoints (candidates of one article, bulk decisions)."""

    def __init__(self) -> None:
        super().__init__()
        self.candidates = [
            candidate(1, "card still not here", "confirmed_answers"),
            candidate(2, "where's my card gone", "agent_resolved"),
        ]
        self.decisions: list[tuple[str, list[int]]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/cluster" or path.startswith("/examples"):
            self.calls.append(request)
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                return error(401, "unauthorized", "editor token required")
            body = json.loads(request.content) if request.content else {}
            if path == "/cluster":
                return httpx.Response(200, json={"groups": cluster(body["texts"])})
            if path == "/examples":
                wanted = request.url.params
                found = [
                    c
                    for c in self.candidates
                    if c["article_id"] == wanted["article_id"] and c["status"] == wanted["status"]
                ]
                return httpx.Response(200, json={"examples": found, "total": len(found)})
            decision = path.rsplit("/", 1)[-1]
            self.decisions.append((decision, body["ids"]))
            status = "approved" if decision == "approve" else "rejected"
            return httpx.Response(200, json={"changed": body["ids"], "status": status, "missing": []})
        return super().handle(request)


def candidate(example_id: int, text: str, source: str) -> dict[str, Any]:
    return {
        "id": example_id,
        "source": source,
        "text": text,
        "article_id": "card-arrival",
        "status": "candidate",
        "created": "2026-11-30T10:00:00+00:00",
    }


def cluster(texts: list[str]) -> list[dict[str, Any]]:
    groups: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        groups.setdefault("gold" if "gold" in text.lower() else text, []).append(i)
    near = [{"article_id": "card-arrival", "title": "Card delivery times", "score": 0.32}]
    return [{"members": m, "articles": near} for m in sorted(groups.values(), key=len, reverse=True)]


@pytest.fixture
def knowledge() -> FakeInsightsKB:
    fake = FakeInsightsKB()
    fake.seed("card-arrival", review_by="2026-01-31")
    fake.seed("lost-card", title="Lost or stolen card", topic="lost_card")
    return fake


@pytest.fixture
def editor(client: TestClient) -> dict[str, str]:
    return {**sign_in(client, EDITOR), **CONSOLE}


def store_of(client: TestClient) -> Store:
    return client.app.state.desk.store  # type: ignore[attr-defined,no-any-return]


def unanswered(client: TestClient, *texts: str) -> None:
    store = store_of(client)
    talk = Conversations(store, [datetime.now().astimezone()])
    for text in texts:
        cid = talk.new()
        talk.customer(cid, text)
        talk.bot(cid, ev.AssistantNone())


def test_the_gaps_page_is_for_editors(client: TestClient, editor: dict[str, str]) -> None:
    page = client.get("/editor/gaps", headers=editor)
    assert page.status_code == 200
    assert 'data-testid="gap-groups"' in page.text
    assert "/static/gaps.js" in page.text
    client.cookies.clear()
    assert client.get("/editor/gaps", follow_redirects=False).status_code == 303
    assert client.get("/editor/gaps", headers=sign_in(client, AGENT)).status_code == 403
    assert client.get("/api/editor/gaps", headers=sign_in(client, AGENT)).status_code == 403


def test_the_groups_of_unanswered_questions(
    client: TestClient, editor: dict[str, str], knowledge: FakeInsightsKB
) -> None:
    unanswered(
        client, "can I keep gold at your bank", "Gold storage?", "do you do mortgages", "gold storage?"
    )
    response = client.get("/api/editor/gaps", params={"weeks": 8}, headers=editor)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["weeks"] == 8
    assert report["questions"] == 4
    gold, mortgages = report["groups"]
    assert gold["count"] == 3
    assert gold["trend"][-1] == 3
    assert gold["phrasings"] == ["gold storage?", "can I keep gold at your bank"]
    assert [e["text"] for e in gold["examples"]] == [
        "gold storage?",
        "Gold storage?",
        "can I keep gold at your bank",
    ]
    assert gold["articles"][0]["article_id"] == "card-arrival"
    assert mortgages["examples"][0]["kinds"] == ["none"]
    (sent,) = [r for r in knowledge.calls if r.url.path == "/cluster"]
    assert sent.headers["x-editor-name"] == "Eli Editor"
    only = client.get("/api/editor/gaps", params={"kind": "not_helpful"}, headers=editor).json()
    assert only["groups"] == []
    assert client.get("/api/editor/gaps", params={"weeks": 0}, headers=editor).status_code == 422
    assert client.get("/api/editor/gaps", params={"kind": "bogus"}, headers=editor).status_code == 422


def test_starting_a_draft_from_a_group(
    client: TestClient, editor: dict[str, str], knowledge: FakeInsightsKB
) -> None:
    phrasings = [
        "Can I keep gold at your bank?",
        "gold storage",
        "Gold   storage",
        "mail jo@example.com re gold",
    ]
    created = client.post("/api/editor/gaps/draft", json={"phrasings": phrasings}, headers=editor)
    assert created.status_code == 201, created.text
    assert created.json() == {
        "id": "can-i-keep-gold-at-your",
        "version": 1,
        "status": "draft",
        "url": "/editor/articles/can-i-keep-gold-at-your",
    }
    draft = knowledge.articles["can-i-keep-gold-at-your"]
    assert draft.status == "draft"
    assert draft.versions[0]["questions"] == [
        "Can I keep gold at your bank?",
        "gold storage",
        "Gold storage",
        "mail j•••@example.com re gold",
    ]
    assert draft.history[0]["editor_id"] == str(store_of(client).staff_by_email(EDITOR[0]).id)  # type: ignore[union-attr]
    again = client.post("/api/editor/gaps/draft", json={"phrasings": phrasings}, headers=editor)
    assert again.json()["id"] == "can-i-keep-gold-at-your-2"
    without_header = {k: v for k, v in editor.items() if k != "X-Requested-With"}
    refused = client.post("/api/editor/gaps/draft", json={"phrasings": phrasings}, headers=without_header)
    assert refused.status_code == 403
    assert client.post("/api/editor/gaps/draft", json={"phrasings": []}, headers=editor).status_code == 422


def test_article_stats_from_feedback(client: TestClient, editor: dict[str, str]) -> None:
    store = store_of(client)
    store.create_conversation("c-votes", {})
    for helpful in (True, False, False, False, False):
        store.append_events(
            [ev.NewEvent("c-votes", ev.CUSTOMER, ev.Feedback(article_id="lost-card", helpful=helpful))]
        )
    stats = client.get("/api/editor/article-stats", headers=editor).json()
    assert stats["lost-card"] == {
        "helpful": 1,
        "not_helpful": 4,
        "rate": 0.2,
        "review_by": None,
        "flags": ["poor_rating"],
    }
    assert stats["card-arrival"]["flags"] == ["stale"]
    # The editors' list reads the same counts.
    rows = {a["id"]: a for a in client.get("/api/editor/articles", headers=editor).json()["articles"]}
    assert (rows["lost-card"]["helpful"], rows["lost-card"]["not_helpful"], rows["lost-card"]["poor"]) == (
        1,
        4,
        True,
    )


def test_learned_phrasings_are_listed_and_decided_in_bulk(
    client: TestClient, editor: dict[str, str], knowledge: FakeInsightsKB
) -> None:
    listed = client.get("/api/editor/articles/card-arrival/phrasings", headers=editor).json()
    assert [c["text"] for c in listed["candidates"]] == ["card still not here", "where's my card gone"]
    assert client.get("/api/editor/articles/lost-card/phrasings", headers=editor).json() == {"candidates": []}
    approved = client.post("/api/editor/phrasings/approve", json={"ids": [1, 2]}, headers=editor)
    assert approved.json() == {"changed": [1, 2], "status": "approved", "missing": []}
    client.post("/api/editor/phrasings/reject", json={"ids": [2]}, headers=editor)
    assert knowledge.decisions == [("approve", [1, 2]), ("reject", [2])]
    assert client.post("/api/editor/phrasings/delete", json={"ids": [1]}, headers=editor).status_code == 422
    assert client.post("/api/editor/phrasings/approve", json={"ids": []}, headers=editor).status_code == 422
