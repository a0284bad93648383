from __future__ import annotations

from fastapi.testclient import TestClient

from kb_service import Settings, create_app
from tests.kb_service.fakes import FakeEmbedder


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready"
    assert ready["articles"] == 3


def test_search_contract(client: TestClient) -> None:
    response = client.post("/search", json={"query": "where is my card", "top_k": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["verdict"] == "answer"
    assert len(body["hits"]) == 2
    hit = body["hits"][0]
    assert set(hit) >= {"article_id", "title", "summary", "url", "passage", "score"}
    assert hit["article_id"] == "card-arrival"
    assert hit["url"] == "http://localhost:8000/help/card-arrival"
    assert body["hits"][0]["score"] >= body["hits"][1]["score"]


def test_search_defaults_to_five_hits_at_most(client: TestClient) -> None:
    assert len(client.post("/search", json={"query": "card"}).json()["hits"]) == 3


def test_search_filters(client: TestClient) -> None:
    body = client.post("/search", json={"query": "card", "filters": {"topic": "pin_blocked"}}).json()
    assert [h["article_id"] for h in body["hits"]] == ["pin-blocked"]


def error_of(response: object) -> str:
    return response.json()["error"]["message"]  # type: ignore[attr-defined,no-any-return]


def test_bad_search_input_gets_a_clear_4xx(client: TestClient) -> None:
    cases = [
        ({"query": ""}, 422, "must not be empty"),
        ({"query": "   "}, 422, "must not be empty"),
        ({"query": "x" * 10_000}, 422, "longer than 1000"),
        ({"query": "card", "top_k": 0}, 422, "top_k"),
        ({"query": "card", "top_k": 500}, 422, "top_k"),
        ({"query": "card", "top_k": "many"}, 422, "top_k"),
        ({"top_k": 3}, 422, "query"),
        ({"query": "card", "filters": {"colour": "red"}}, 422, "colour"),
        ({"query": 42}, 422, "query"),
    ]
    for body, status, message in cases:
        response = client.post("/search", json=body)
        assert response.status_code == status, body
        assert message in error_of(response), (body, error_of(response))


def test_malformed_json_and_oversized_bodies(client: TestClient) -> None:
    response = client.post("/search", content=b'{"query": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert "JSON" in error_of(response)
    response = client.post("/search", content=b"q" * 50_000, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert client.get("/readyz").status_code == 200  # still serving


def test_articles_list_and_detail(client: TestClient) -> None:
    listed = client.get("/articles").json()
    assert [a["id"] for a in listed] == ["card-arrival", "exchange-rate", "pin-blocked"]
    assert set(listed[0]) >= {"id", "title", "topic", "escalation", "updated"}
    detail = client.get("/articles/pin-blocked").json()
    assert detail["body"] == "Open the app and follow the steps."
    assert client.get("/articles", params={"topic": "exchange_rate"}).json()[0]["id"] == "exchange-rate"


def test_unknown_article_is_404(client: TestClient) -> None:
    response = client.get("/articles/no-such-article")
    assert response.status_code == 404
    assert "no-such-article" in error_of(response)


def test_not_ready_until_loaded(settings: Settings) -> None:
    class SlowEmbedder(FakeEmbedder):
        def __init__(self) -> None:
            super().__init__()
            import threading

            self.release = threading.Event()

        def warm_up(self) -> None:
            self.release.wait(10)

    slow = SlowEmbedder()
    with TestClient(create_app(settings, embedder=slow)) as c:
        assert c.get("/healthz").status_code == 200
        assert c.get("/readyz").status_code == 503
        response = c.post("/search", json={"query": "card"})
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "not_ready"
        slow.release.set()


def test_load_failure_is_reported_by_readyz(settings: Settings) -> None:
    class BrokenEmbedder(FakeEmbedder):
        def warm_up(self) -> None:
            raise FileNotFoundError("no model here")

    with TestClient(create_app(settings, embedder=BrokenEmbedder())) as c:
        import time

        for _ in range(200):
            if c.get("/readyz").json()["status"] == "failed":
                break
            time.sleep(0.01)
        body = c.get("/readyz").json()
        assert body["status"] == "failed"
        assert "no model here" in body["error"]


def test_production_refuses_the_placeholder_token() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="KB_EDITOR_TOKEN"):
        Settings(environment="production")
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings(environment="production", editor_token="a-real-secret")
    with pytest.raises(ValidationError, match="KB_SERVICE_TOKEN"):
        Settings(environment="production", editor_token="e" * 32, service_token="short")
    assert Settings(environment="production", editor_token="e" * 32).environment == "production"
