from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pytest

from kb_service.articles import Article
from kb_service.errors import ArticleNotFound
from kb_service.knowledge import KnowledgeBase, SearchFilters
from kb_service.store import TOKEN_EDITOR, Change, SqlArticleStore, Status
from tests.kb_service.conftest import POLICY
from tests.kb_service.fakes import FakeEmbedder


def reopen(kb: KnowledgeBase, embedder: FakeEmbedder | None = None) -> tuple[KnowledgeBase, FakeEmbedder]:
    embedder = embedder or FakeEmbedder()
    again = KnowledgeBase(
        store=kb.store,
        data_dir=kb.data_dir,
        embedder=embedder,
        policy=POLICY,
        passage_words=50,
    )
    again.open()
    return again, embedder


def store_edit(kb: KnowledgeBase, article: Article, status: Status = "published") -> None:
    """A change in the store alone (as another process, or a crash before the index, leaves it)."""
    latest = kb.store.find(article.id)
    change = Change(article, "edit", TOKEN_EDITOR, status, "new" if status == "published" else "none")
    if latest is None:
        kb.store.create(change)
    else:
        kb.store.append(article.id, change, expected_version=latest.latest_version)


def test_finds_the_article_about_the_question(kb: KnowledgeBase) -> None:
    result = kb.search("my card has not arrived", top_k=3)
    assert result.hits[0].article.id == "card-arrival"
    assert result.verdict == "answer"
    # the passage shown is article content, never one of the sample questions
    assert result.hits[0].passage in {"Your card arrives by post.", "Open the app and follow the steps."}


def test_nothing_confident_for_an_unrelated_question(kb: KnowledgeBase) -> None:
    assert kb.search("pizza weather", top_k=3).verdict == "none"


def test_restart_reuses_the_saved_index_and_embeds_nothing(kb: KnowledgeBase) -> None:
    again, embedder = reopen(kb)
    assert embedder.encoded_texts == []
    assert len(again) == 3
    assert again.passage_count == kb.passage_count
    assert again.search("pin blocked", top_k=1).hits[0].article.id == "pin-blocked"


def test_restart_embeds_only_what_changed_in_the_store(kb: KnowledgeBase) -> None:
    store_edit(kb, kb.get("pin-blocked").model_copy(update={"summary": "A new summary about the PIN."}))
    again, embedder = reopen(kb)
    # the summary passage alone: the questions and the body are as before
    assert embedder.encoded_texts == ["PIN blocked. A new summary about the PIN."]
    assert again.get("pin-blocked").summary == "A new summary about the PIN."


def test_restart_forgets_articles_no_longer_published(kb: KnowledgeBase) -> None:
    store_edit(kb, kb.get("exchange-rate"), status="draft")
    again, _ = reopen(kb)
    assert [a.id for a in again.articles()] == ["card-arrival", "pin-blocked"]
    assert again.passage_count < kb.passage_count


def test_a_different_model_rebuilds_the_index(kb: KnowledgeBase) -> None:
    other = FakeEmbedder()
    other.name = "another-model"
    _, embedder = reopen(kb, other)
    assert len(embedder.encoded_texts) == kb.passage_count


def test_a_corrupt_manifest_rebuilds_rather_than_failing(kb: KnowledgeBase) -> None:
    kb.manifest_path.write_text("{not json")
    again, embedder = reopen(kb)
    assert len(again) == 3
    assert len(embedder.encoded_texts) == kb.passage_count


def test_manifest_records_model_dimension_and_hashes(kb: KnowledgeBase) -> None:
    manifest = json.loads(kb.manifest_path.read_text())
    assert manifest["model"] == "fake-bow"
    assert manifest["dimension"] == 9
    assert manifest["articles"]["card-arrival"]["hash"] == kb.get("card-arrival").content_hash


CASH_FEES = Article(
    id="cash-fees",
    title="Cash machine fees",
    summary="ATM withdrawals are free up to your allowance.",
    topic="cash_withdrawal_charge",
    updated=dt.date(2026, 11, 1),
    questions=["atm cash fee"],
    body="Cash machine fees explained.",
)


def test_refresh_adds_and_replaces_without_touching_other_articles(
    kb: KnowledgeBase, embedder: FakeEmbedder
) -> None:
    embedder.encoded_texts.clear()
    store_edit(kb, CASH_FEES)
    report = kb.refresh(["cash-fees"])
    assert report.embedded == ["cash-fees"]
    assert all("ash" in t or "ATM" in t or "atm" in t for t in embedder.encoded_texts)
    assert kb.search("atm cash", top_k=1).hits[0].article.id == "cash-fees"

    embedder.encoded_texts.clear()
    store_edit(kb, CASH_FEES.model_copy(update={"body": "Fees at cash machines, explained."}))
    kb.refresh(["cash-fees"])
    assert embedder.encoded_texts == ["Cash machine fees. Fees at cash machines, explained."]
    assert kb.get("cash-fees").body == "Fees at cash machines, explained."
    assert sum(1 for a in kb.articles() if a.id == "cash-fees") == 1
    assert kb.refresh(["cash-fees"]).reused == 1  # nothing new: nothing embedded or saved


def test_refresh_drops_what_is_no_longer_published(kb: KnowledgeBase) -> None:
    before = kb.passage_count
    store_edit(kb, kb.get("pin-blocked"), status="archived")
    assert kb.refresh(["pin-blocked"]).removed == ["pin-blocked"]
    assert all(h.article.id != "pin-blocked" for h in kb.search("pin blocked", top_k=5).hits)
    assert kb.passage_count < before
    with pytest.raises(ArticleNotFound):
        kb.get("pin-blocked")
    assert kb.refresh(["pin-blocked"]).removed == []


def test_filters(kb: KnowledgeBase) -> None:
    hits = kb.search("card", top_k=5, filters=SearchFilters(topics=frozenset({"exchange_rate"}))).hits
    assert [h.article.id for h in hits] == ["exchange-rate"]
    hits = kb.search("card", top_k=5, filters=SearchFilters(exclude_ids=frozenset({"card-arrival"}))).hits
    assert "card-arrival" not in [h.article.id for h in hits]
    hits = kb.search("money", top_k=5, filters=SearchFilters(tags=frozenset({"money"}))).hits
    assert [h.article.id for h in hits] == ["exchange-rate"]


def test_an_empty_knowledge_base_answers_none(tmp_path: Path) -> None:
    empty = KnowledgeBase(
        store=SqlArticleStore(":memory:"),
        data_dir=tmp_path / "d",
        embedder=FakeEmbedder(),
        policy=POLICY,
        passage_words=50,
    )
    empty.open()
    result = empty.search("card", top_k=3)
    assert (result.verdict, result.hits) == ("none", [])


def test_concurrent_edits_leave_store_and_index_in_agreement(kb: KnowledgeBase) -> None:
    from concurrent.futures import ThreadPoolExecutor

    base = kb.get("pin-blocked")
    lock = threading.Lock()

    def edit(i: int) -> None:
        with lock:  # the store's compare-and-set wants the latest version: one writer at a time
            store_edit(kb, base.model_copy(update={"summary": f"Version {i} of the PIN summary."}))
        kb.refresh(["pin-blocked"])  # refreshes overlap, in any order

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(edit, range(8)))
    published = kb.store.published_article("pin-blocked")
    assert published is not None
    assert kb.get("pin-blocked") == published[0]
    again, _ = reopen(kb)
    assert again.get("pin-blocked").summary == kb.get("pin-blocked").summary
    assert again.passage_count == kb.passage_count


def test_a_filter_finds_its_article_even_when_nearest_passages_miss_it(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kb_service.knowledge as knowledge

    monkeypatch.setattr(knowledge, "CANDIDATE_PASSAGES", 1)  # the vector search returns one passage
    hits = kb.search(
        "my card has not arrived", top_k=5, filters=SearchFilters(topics=frozenset({"exchange_rate"}))
    )
    assert [h.article.id for h in hits.hits] == ["exchange-rate"]
