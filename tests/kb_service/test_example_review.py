"""Editors review the candidate examples in bulk: approve (they vote in ranking from then on) or
reject (kept, never voting, and the same phrasing does not come back as a candidate)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from kb_service.examples import ExampleBook
from tests.kb_service.fakes import FakeEmbedder

EDITOR = {"Authorization": "Bearer s3cret-token"}
SERVICE = {"Authorization": "Bearer svc-token"}


def candidates(client: TestClient, article_id: str, status: str = "candidate") -> list[dict]:
    page = client.get("/examples", params={"status": status, "article_id": article_id}, headers=EDITOR)
    assert page.status_code == 200, page.text
    return page.json()["examples"]  # type: ignore[no-any-return]


def send_live(client: TestClient, texts: list[str], article_id: str) -> None:
    examples = [{"text": t, "article_id": article_id} for t in texts]
    response = client.post(
        "/examples", json={"source": "confirmed_answers", "examples": examples}, headers=SERVICE
    )
    assert response.status_code == 200, response.text


def first_hit(client: TestClient, query: str) -> str:
    return client.post("/search", json={"query": query, "top_k": 3}).json()["hits"][0]["article_id"]  # type: ignore[no-any-return]


def test_candidates_are_listed_per_article(client: TestClient) -> None:
    send_live(client, ["pizza weather", "weather pizza"], "pin-blocked")
    send_live(client, ["pizza atm"], "card-arrival")
    assert [e["text"] for e in candidates(client, "pin-blocked")] == ["pizza weather", "weather pizza"]
    assert [e["text"] for e in candidates(client, "card-arrival")] == ["pizza atm"]
    assert candidates(client, "exchange-rate") == []


def test_bulk_approval_makes_them_vote_at_once(client: TestClient) -> None:
    send_live(client, ["pizza weather", "weather pizza", "pizza pizza weather"], "pin-blocked")
    assert first_hit(client, "pizza weather") != "pin-blocked"
    ids = [e["id"] for e in candidates(client, "pin-blocked")]
    approved = client.post("/examples/approve", json={"ids": [*ids[:2], 999]}, headers=EDITOR)
    assert approved.status_code == 200, approved.text
    assert approved.json() == {"changed": ids[:2], "status": "approved", "missing": [999]}
    assert first_hit(client, "pizza weather") == "pin-blocked"
    assert [e["id"] for e in candidates(client, "pin-blocked")] == ids[2:]
    # Approving again changes nothing.
    assert client.post("/examples/approve", json={"ids": ids[:2]}, headers=EDITOR).json()["changed"] == []


def test_bulk_rejection_stops_their_votes_and_keeps_them_from_coming_back(client: TestClient) -> None:
    send_live(client, ["pizza weather", "weather pizza"], "pin-blocked")
    ids = [e["id"] for e in candidates(client, "pin-blocked")]
    client.post("/examples/approve", json={"ids": ids}, headers=EDITOR)
    assert first_hit(client, "pizza weather") == "pin-blocked"
    rejected = client.post("/examples/reject", json={"ids": ids}, headers=EDITOR)
    assert rejected.json() == {"changed": ids, "status": "rejected", "missing": []}
    assert first_hit(client, "pizza weather") != "pin-blocked"
    assert candidates(client, "pin-blocked") == []
    assert [e["id"] for e in candidates(client, "pin-blocked", "rejected")] == ids
    send_live(client, ["Pizza   WEATHER"], "pin-blocked")  # the same phrasing once normalised
    assert candidates(client, "pin-blocked") == []


def test_bulk_decisions_are_for_editors(client: TestClient) -> None:
    for path in ("/examples/approve", "/examples/reject"):
        assert client.post(path, json={"ids": [1]}).status_code == 401
        assert client.post(path, json={"ids": [1]}, headers=SERVICE).status_code == 401
        assert client.post(path, json={"ids": []}, headers=EDITOR).status_code == 422


def test_a_candidate_stored_under_an_older_model_is_embedded_again_when_approved(
    database_target: str,
) -> None:
    old = ExampleBook(database_target, FakeEmbedder())
    old.open()
    old.add("confirmed_answers", [("pizza weather", "pin-blocked")], status="candidate")
    old.close()

    class NewModel(FakeEmbedder):
        name = "fake-bow-2"

    model = NewModel()
    book = ExampleBook(database_target, model)
    book.open()
    assert model.encoded_texts == []  # candidates are not embedded at start
    (candidate,), _ = book.page(source=None, status="candidate", limit=5, offset=0)
    assert book.decide([candidate.id], "approved") == ([candidate.id], [])
    assert model.encoded_texts == ["pizza weather"]
    assert set(book.nearest(model.encode(["pizza weather"]), 5)) == {"pin-blocked"}
    book.close()
