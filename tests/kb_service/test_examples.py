"""The example store (fake embedder) on both engines, and the /examples API in-process."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kb_service.articles import Article
from kb_service.examples import ExampleBook, resolve_targets
from kb_service.masking import CARD, EMAIL
from tests.kb_service.card_numbers import holds_card_number
from tests.kb_service.fakes import FakeEmbedder

EDITOR = {"Authorization": "Bearer s3cret-token"}
SERVICE = {"Authorization": "Bearer svc-token"}
CARD_TEXT = "my card 4111 1111 1111 1111 never arrived"


@pytest.fixture
def book(database_target: str) -> Iterator[ExampleBook]:
    b = ExampleBook(database_target, FakeEmbedder())
    b.open()
    yield b
    b.close()


def nearest_articles(book: ExampleBook, text: str) -> set[str]:
    return set(book.nearest(book.embedder.encode([text]), 5))


def test_examples_are_masked_and_deduplicated_before_they_are_stored(book: ExampleBook) -> None:
    report = book.add(
        "history",
        [
            (CARD_TEXT, "card-arrival"),
            ("My card 4111111111111111   never ARRIVED", "card-arrival"),  # the same once masked
            ("mail me at jo@example.com, my pin is blocked", "pin-blocked"),
            ("   ", "pin-blocked"),
        ],
        status="approved",
    )
    assert (report.added, report.skipped) == (2, 2)
    assert book.add("history", [(CARD_TEXT, "card-arrival")], status="approved").added == 0
    examples, total = book.page(source=None, status=None, limit=10, offset=0)
    assert total == 2
    assert [e.text for e in examples] == [
        f"my card {CARD} never arrived",
        f"mail me at {EMAIL}, my pin is blocked",
    ]
    assert not any(holds_card_number(e.text) for e in examples)


def test_candidates_count_only_once_approved(book: ExampleBook) -> None:
    book.add("confirmed_answers", [("pizza weather", "pin-blocked")], status="candidate")
    assert nearest_articles(book, "pizza weather") == set()
    (candidate,), _ = book.page(source="confirmed_answers", status="candidate", limit=5, offset=0)
    assert book.approve(candidate.id).status == "approved"
    assert nearest_articles(book, "pizza weather") == {"pin-blocked"}


def test_removing_a_source_removes_its_votes(book: ExampleBook) -> None:
    book.add("old", [("pizza weather", "pin-blocked")], status="approved")
    book.add("new", [("cash atm", "card-arrival")], status="approved")
    assert book.delete_source("old") == 1
    assert nearest_articles(book, "pizza weather") == {"card-arrival"}
    assert len(book) == 1


def test_examples_survive_a_restart_and_are_re_embedded_for_a_new_model(database_target: str) -> None:
    first = ExampleBook(database_target, FakeEmbedder())
    first.open()
    first.add("history", [("pizza weather", "pin-blocked")], status="approved")
    first.close()

    class OtherModel(FakeEmbedder):
        name = "fake-bow-2"

    other = OtherModel()
    again = ExampleBook(database_target, other)
    again.open()
    assert other.encoded_texts == ["pizza weather"]
    assert nearest_articles(again, "pizza weather") == {"pin-blocked"}
    again.close()
    embedded = len(other.encoded_texts)
    third = ExampleBook(database_target, other)
    third.open()  # stored under the new model by the last start: nothing to embed
    assert len(other.encoded_texts) == embedded
    third.close()


def test_an_example_book_follows_changes_made_by_another(database_target: str) -> None:
    """Two books on one database (two replicas): what one changes, the other's index takes
    from the store (`sync_from_store`, what a replica does on a notice)."""
    writer, reader = (
        ExampleBook(database_target, FakeEmbedder()),
        ExampleBook(database_target, FakeEmbedder()),
    )
    writer.open()
    reader.open()
    writer.add("history", [("pizza weather", "pin-blocked"), ("cash atm", "card-arrival")], status="approved")
    writer.add("confirmed_answers", [("weather pizza", "exchange-rate")], status="candidate")
    reader.sync_from_store()
    assert len(reader) == 2
    assert nearest_articles(reader, "pizza weather") == {"pin-blocked", "card-arrival"}
    (candidate,), _ = writer.page(source="confirmed_answers", status=None, limit=5, offset=0)
    writer.decide([candidate.id], "approved")
    writer.delete_source("history")
    reader.sync_from_store()
    assert len(reader) == 1
    assert nearest_articles(reader, "pizza weather") == {"exchange-rate"}
    writer.close()
    reader.close()


def test_adding_thousands_at_once_and_paging_with_filters(book: ExampleBook) -> None:
    texts = [f"question number {n}" for n in range(1200)]
    report = book.add("history", [(t, "card-arrival") for t in texts], status="approved")
    assert (report.added, report.skipped) == (1200, 0)
    again = book.add("history", [(t, "card-arrival") for t in texts[:700]], status="approved")
    assert (again.added, again.skipped) == (0, 700)
    assert len(book) == 1200
    page, total = book.page(
        source="history", status="approved", article_id="card-arrival", limit=5, offset=10
    )
    assert total == 1200
    assert [e.text for e in page] == texts[10:15]
    assert book.page(source="nope", status=None, limit=5, offset=0) == ([], 0)
    changed, missing = book.decide([e.id for e in page] + [10**9], "rejected")
    assert (len(changed), missing) == (5, [10**9])
    assert len(book) == 1195


def test_targets_resolve_by_id_or_topic_and_say_why_others_are_left_out() -> None:
    articles = [
        Article(
            id="card-arrival",
            title="Card delivery",
            summary="When a new card arrives.",
            topic="card_arrival",
            body="By post.",
            updated="2026-01-01",
        ),
    ]
    pairs, problems = resolve_targets(
        [("a", "card-arrival", None), ("b", None, "card_arrival"), ("c", "nope", None), ("d", None, None)],
        articles,
    )
    assert pairs == [("a", "card-arrival"), ("b", "card-arrival")]
    assert problems == ["examples[2]: no article 'nope'", "examples[3]: names neither article_id nor topic"]


# --- the HTTP API -------------------------------------------------------------------------------


def post(client: TestClient, source: str, examples: list[dict[str, str]], headers: dict[str, str]) -> dict:
    response = client.post("/examples", json={"source": source, "examples": examples}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def top(client: TestClient, query: str) -> dict:
    return client.post("/search", json={"query": query, "top_k": 3}).json()  # type: ignore[no-any-return]


def test_imported_history_is_searchable_when_the_import_returns(client: TestClient) -> None:
    before = top(client, "pizza weather")
    assert before["hits"][0]["article_id"] != "pin-blocked"
    added = post(
        client,
        "history-2025",
        [
            {"text": "pizza weather", "topic": "pin_blocked"},
            {"text": "weather pizza", "article_id": "pin-blocked"},
        ],
        EDITOR,
    )
    assert added == {"added": 2, "skipped": 0, "status": "approved", "problems": []}
    after = top(client, "pizza weather")
    assert after["hits"][0]["article_id"] == "pin-blocked"
    assert after["hits"][0]["examples"] == 2
    assert after["decided_by_examples"] is True
    assert client.delete("/examples", params={"source": "history-2025"}, headers=EDITOR).json() == {
        "removed": 2
    }
    assert top(client, "pizza weather")["hits"][0]["article_id"] == before["hits"][0]["article_id"]


def test_live_examples_wait_for_an_editor(client: TestClient) -> None:
    assert post(client, "agent_resolved", [{"text": "pizza weather", "article_id": "pin-blocked"}], SERVICE)[
        "status"
    ] == ("candidate")
    # Even the editor token cannot skip review for a live source.
    assert post(
        client, "confirmed_answers", [{"text": "weather pizza", "article_id": "pin-blocked"}], EDITOR
    )["status"] == ("candidate")
    assert top(client, "pizza weather")["hits"][0]["article_id"] != "pin-blocked"
    page = client.get("/examples", params={"status": "candidate"}, headers=EDITOR).json()
    assert page["total"] == 2
    for example in page["examples"]:
        approved = client.post(f"/examples/{example['id']}/approve", headers=EDITOR)
        assert approved.json()["status"] == "approved"
    assert top(client, "pizza weather")["hits"][0]["article_id"] == "pin-blocked"


def test_examples_api_refuses_what_it_cannot_take(client: TestClient) -> None:
    one = {"source": "history", "examples": [{"text": "pizza", "article_id": "card-arrival"}]}
    assert client.post("/examples", json=one).status_code == 401
    assert client.post("/examples", json=one, headers={"Authorization": "Bearer wrong"}).status_code == 401
    # A service may send candidates, never list, approve or delete.
    assert client.get("/examples", headers=SERVICE).status_code == 401
    assert client.post("/examples/1/approve", headers=SERVICE).status_code == 401
    assert client.delete("/examples", params={"source": "history"}, headers=SERVICE).status_code == 401
    assert client.post("/examples/999/approve", headers=EDITOR).json()["error"]["code"] == "example_not_found"
    bad_source = client.post("/examples", json={**one, "source": "Bad Source!"}, headers=EDITOR)
    assert bad_source.status_code == 422
    unknown = post(
        client, "history", [{"text": "x", "article_id": "nope"}, {"text": "y", "topic": "nope"}], EDITOR
    )
    assert unknown["added"] == 0
    assert unknown["skipped"] == 2
    assert len(unknown["problems"]) == 2


def test_no_example_is_stored_with_a_card_number(client: TestClient) -> None:
    texts = [CARD_TEXT, "card 5500-0000-0000-0004 blocked", "pin 4111.1111.1111.1111 blocked please"]
    post(client, "history", [{"text": t, "article_id": "card-arrival"} for t in texts], EDITOR)
    post(client, "agent_resolved", [{"text": t, "article_id": "pin-blocked"} for t in texts], SERVICE)
    stored = client.get("/examples", params={"limit": 500}, headers=EDITOR).json()["examples"]
    assert len(stored) == 6
    assert not any(holds_card_number(e["text"]) for e in stored)


def test_an_examples_file_from_before_migrations_opens_as_it_was(tmp_path: Path) -> None:
    """KB_DATA_DIR/examples.sqlite3 as earlier versions created it (no schema_version)."""
    path = tmp_path / "examples.sqlite3"
    vector = FakeEmbedder().encode(["pizza weather"])[0].tobytes()
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE examples (id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL,"
            " text TEXT NOT NULL, text_key TEXT NOT NULL, article_id TEXT NOT NULL, status TEXT NOT NULL,"
            " created TEXT NOT NULL, model TEXT NOT NULL, vector BLOB NOT NULL,"
            " UNIQUE (text_key, article_id));"
            " CREATE INDEX examples_source ON examples (source, status);"
        )
        db.execute(
            "INSERT INTO examples (source, text, text_key, article_id, status, created, model, vector)"
            " VALUES ('history', 'pizza weather', 'pizza weather', 'pin-blocked', 'approved',"
            " '2026-01-01T00:00:00+00:00', 'fake-bow', ?)",
            (vector,),
        )
    embedder = FakeEmbedder()
    book = ExampleBook(path, embedder)
    book.open()
    assert embedder.encoded_texts == []  # its vectors are reused
    assert len(book) == 1
    assert nearest_articles(book, "pizza weather") == {"pin-blocked"}
    assert book.add("history", [("Pizza  Weather", "pin-blocked")], status="approved").added == 0
    book.close()


def test_the_classifier_follows_the_approved_examples(book: ExampleBook) -> None:
    query = book.embedder.encode(["cash from the atm"])
    assert book.classify(query) == {}  # nothing to learn from yet
    book.add("history", [(f"atm cash machine {n}", "atm") for n in range(12)], status="approved")
    book.add("history", [(f"pin blocked again {n}", "pin-blocked") for n in range(12)], status="approved")
    p = book.classify(query)
    assert set(p) == {"atm", "pin-blocked"}
    assert p["atm"] > 0.5
    book.delete_source("history")
    assert book.classify(query) == {}


def test_a_fit_that_failed_is_done_again_on_the_next_sync(
    book: ExampleBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kb_service import examples as module

    real_fit = module.ExampleClassifier.fit

    def failing(*args: object) -> None:
        raise MemoryError("no room to fit")

    monkeypatch.setattr(module.ExampleClassifier, "fit", failing)
    pairs = [(f"atm cash machine {n}", "atm") for n in range(12)]
    pairs += [(f"pin blocked again {n}", "pin-blocked") for n in range(12)]
    with pytest.raises(MemoryError):
        book.add("history", pairs, status="approved")
    query = book.embedder.encode(["cash from the atm"])
    assert len(book) == 24  # indexed: the votes count
    assert book.classify(query) == {}  # so the history confidence model does not read it yet
    monkeypatch.setattr(module.ExampleClassifier, "fit", real_fit)
    book.sync_from_store()  # nothing new to index, but the fit is still owed
    assert set(book.classify(query)) == {"atm", "pin-blocked"}
