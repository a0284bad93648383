"""Two replicas with the real model (`KB_MODEL_PATH`) on one temporary PostgreSQL database: a
publish on A is searchable on B within a second, examples imported on A vote on B, and B
reconciles after its notice connection is cut. A handful of articles: the machine has 2 cores."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kb_service import Settings
from kb_service.app import build_embedder
from kb_service.embedder import Embedder
from kb_service.store import Change, Editor, SqlArticleStore
from sqlkit.testing import temporary_postgres
from tests.kb_service.test_replicas import (
    EDITOR,
    cut_notice_channels,
    eventually,
    ok,
    top_id,
    two_replicas,
    votes,
)
from tools.services import ROOT

pytestmark = pytest.mark.slow

ARTICLES = ["card-arrival", "exchange-rate", "pin-blocked"]
PETS = {
    "id": "pets-at-events",
    "title": "Pets at Kestrel events",
    "summary": "Well-behaved pets, parrots included, are welcome at Kestrel events and branch parties.",
    "topic": "events",
    "tags": ["events"],
    "questions": ["can I bring my pet to your event", "are parrots allowed at the party"],
    "body": "Our events welcome pets.\n\n1. Keep birds in a carrier.\n2. Tell us when you book.",
}
PARROT = "can I bring my parrot to the branch opening party"


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    """The real model (ONNX Runtime, as served), loaded once and shared by both replicas."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("model"))
    model = build_embedder(settings)
    model.warm_up()
    return model


@pytest.fixture(scope="module")
def replicas(
    embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, TestClient, str]]:
    """One pair for the module (starting two replicas embeds every article twice); each test
    changes articles or examples of its own."""
    tmp_path = tmp_path_factory.mktemp("replicas")
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    for name in ARTICLES:
        shutil.copy(ROOT / "knowledge" / f"{name}.md", knowledge)
    settings = Settings(knowledge_dir=knowledge, editor_token="s3cret-token")
    with (
        temporary_postgres("kestrel_kb_test") as url,
        two_replicas(settings, url, tmp_path, (embedder, embedder)) as (a, b),
    ):
        yield a, b, url


def test_a_publish_on_one_replica_is_searchable_on_the_other_within_a_second(
    replicas: tuple[TestClient, TestClient, str],
) -> None:
    a, b, _ = replicas
    assert ok(b.get("/readyz"))["articles"] == len(ARTICLES)
    ok(a.post("/articles", json=PETS, headers=EDITOR), 201)
    assert top_id(b, PARROT) != "pets-at-events"
    ok(a.post("/articles/pets-at-events/publish", headers=EDITOR))
    assert eventually(lambda: top_id(b, PARROT) == "pets-at-events", within=1.0) < 1.0

    assert a.delete("/articles/pets-at-events", headers=EDITOR).status_code == 204
    eventually(lambda: top_id(b, PARROT) != "pets-at-events", within=1.0)


def test_examples_imported_on_one_replica_vote_on_the_other(
    replicas: tuple[TestClient, TestClient, str],
) -> None:
    a, b, _ = replicas
    query = "still waiting for the plastic to show up"
    history = [
        {"text": "still waiting for my plastic to show up", "article_id": "card-arrival"},
        {"text": "when does the plastic show up", "article_id": "card-arrival"},
    ]
    assert votes(b, query, "card-arrival") == 0
    ok(a.post("/examples", json={"source": "history", "examples": history}, headers=EDITOR))
    eventually(lambda: votes(b, query, "card-arrival") == 2, within=1.0)


def test_a_replica_whose_notice_connection_was_cut_reconciles(
    replicas: tuple[TestClient, TestClient, str],
) -> None:
    a, b, url = replicas
    store = SqlArticleStore(url)  # a change no notice announces: as if sent while B was cut off
    try:
        current = store.find("pin-blocked")
        assert current is not None
        article = current.latest.model_copy(update={"title": "PIN blocked (parrots welcome at events)"})
        store.append(
            "pin-blocked",
            Change(article, "edit", Editor("7", "Alice"), "published", "new"),
            expected_version=current.latest_version,
        )
    finally:
        store.close()
    assert cut_notice_channels(url) == 2
    for replica in (b, a):
        eventually(lambda r=replica: "parrots" in ok(r.get("/articles/pin-blocked"))["title"], within=15.0)
    assert top_id(b, "are parrots welcome when my pin is blocked") == "pin-blocked"
