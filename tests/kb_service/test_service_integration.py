"""The real knowledge service: real model, real FAISS index, over HTTP in its own process."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest

from tools.services import ROOT, RunningService, run_service

pytestmark = pytest.mark.slow
TOKEN = "integration-editor-token"


def start(workspace: Path, log_name: str) -> AbstractContextManager[RunningService]:
    env = {
        "KB_KNOWLEDGE_DIR": str(workspace / "knowledge"),
        "KB_DATA_DIR": str(workspace / "data"),
        "KB_EDITOR_TOKEN": TOKEN,
    }
    return run_service("kb_service", env=env, port_variable="KB_PORT", log_path=workspace / log_name)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kb")
    shutil.copytree(ROOT / "knowledge", root / "knowledge")
    return root


@pytest.fixture(scope="module")
def first_start(workspace: Path) -> Iterator[tuple[RunningService, dict[str, object]]]:
    with start(workspace, "kb-first.log") as service:
        yield service, httpx.get(service.url + "/readyz").json()


def search(service: RunningService, query: str, top_k: int = 3) -> dict[str, object]:
    response = httpx.post(service.url + "/search", json={"query": query, "top_k": top_k}, timeout=30)
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


def top_id(result: dict[str, object]) -> str:
    return result["hits"][0]["article_id"]  # type: ignore[index,no-any-return]


def test_a_question_about_a_new_card_finds_the_arrival_article(
    first_start: tuple[RunningService, dict],
) -> None:
    service, ready = first_start
    assert ready["articles"] == len([p for p in (ROOT / "knowledge").glob("*.md") if p.name != "README.md"])
    result = search(service, "I ordered my new card ten days ago and it still isn't here")
    assert top_id(result) == "card-arrival"
    assert result["verdict"] == "answer"
    hit = result["hits"][0]  # type: ignore[index]
    assert hit["url"].endswith("/card-arrival")
    assert hit["passage"]


def test_sensitive_and_out_of_scope_questions(first_start: tuple[RunningService, dict]) -> None:
    service, _ = first_start
    stolen = search(service, "someone stole my wallet with my kestrel card in it", top_k=6)
    assert top_id(stolen) == "lost-or-stolen-card"
    assert stolen["hits"][0]["escalation"] == "always"  # type: ignore[index]
    # Each of the first four hits says how likely it is the right article (the runner-up
    # model's), the first's being the confidence; further down, none.
    likelihoods = [h["likelihood"] for h in stolen["hits"]]  # type: ignore[index]
    assert likelihoods[0] == stolen["confidence"]
    assert all(0 <= p < likelihoods[0] for p in likelihoods[1:4])
    assert all(p is None for p in likelihoods[4:])
    assert search(service, "what is a good recipe for banana bread")["verdict"] == "none"


def test_adding_and_removing_an_article_changes_results(first_start: tuple[RunningService, dict]) -> None:
    service, _ = first_start
    query = "can I bring my parrot to the branch opening party"
    article = {
        "title": "Pets at Kestrel events",
        "summary": "Well-behaved pets, parrots included, are welcome at Kestrel events and branch parties.",
        "topic": "events",
        "tags": ["events"],
        "questions": ["can I bring my pet to your event", "are parrots allowed at the party"],
        "body": "Our events welcome pets.\n\n1. Keep birds in a carrier.\n2. Tell us when you book.",
    }
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Editor-Id": "it", "X-Editor-Name": "Integration"}
    created = httpx.post(
        service.url + "/articles", json={"id": "pets-at-events", **article}, headers=headers, timeout=30
    )
    assert created.status_code == 201
    assert "pets-at-events" not in [h["article_id"] for h in search(service, query)["hits"]]  # type: ignore[index]
    published = httpx.post(service.url + "/articles/pets-at-events/publish", headers=headers, timeout=30)
    assert published.status_code == 200
    found = search(service, query)
    assert top_id(found) == "pets-at-events"
    assert found["verdict"] == "answer"

    assert (
        httpx.delete(service.url + "/articles/pets-at-events", headers=headers, timeout=30).status_code == 204
    )
    assert "pets-at-events" not in [h["article_id"] for h in search(service, query)["hits"]]  # type: ignore[attr-defined]


def test_a_restart_reuses_the_saved_index(first_start: tuple[RunningService, dict], workspace: Path) -> None:
    _, ready = first_start
    assert ready["last_sync"]["embedded"] == ready["articles"]  # type: ignore[index]
    # The module's first service is still running; a second one on the same files reuses its index.
    with start(workspace, "kb-second.log") as service:
        again = httpx.get(service.url + "/readyz").json()
        assert again["last_sync"]["embedded"] == 0
        assert again["last_sync"]["reused"] == again["articles"]
        assert top_id(search(service, "my card never came in the post")) == "card-arrival"
