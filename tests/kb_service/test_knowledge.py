from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from kb_service.articles import Article
from kb_service.errors import ArticleNotFound
from kb_service.knowledge import KnowledgeBase, SearchFilters
from tests.kb_service.conftest import POLICY
from tests.kb_service.fakes import FakeEmbedder
from tests.kb_service.helpers import write_article


def reopen(kb: KnowledgeBase, embedder: FakeEmbedder | None = None) -> tuple[KnowledgeBase, FakeEmbedder]:
    embedder = embedder or FakeEmbedder()
    again = KnowledgeBase(
        knowledge_dir=kb.knowledge_dir,
        data_dir=kb.data_dir,
        embedder=embedder,
        policy=POLICY,
        passage_words=50,
    )
    again.open()
    return again, embedder


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


def test_restart_embeds_only_the_changed_article(kb: KnowledgeBase, knowledge_dir: Path) -> None:
    write_article(knowledge_dir, "pin-blocked", "PIN blocked", "pin_blocked", "A new summary about the PIN.")
    again, embedder = reopen(kb)
    assert embedder.encoded_texts
    assert all("PIN" in t or "Open the app" in t for t in embedder.encoded_texts)
    assert again.get("pin-blocked").summary == "A new summary about the PIN."


def test_restart_forgets_deleted_files(kb: KnowledgeBase, knowledge_dir: Path) -> None:
    (knowledge_dir / "exchange-rate.md").unlink()
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


def test_put_adds_and_replaces_without_touching_other_articles(
    kb: KnowledgeBase, embedder: FakeEmbedder
) -> None:
    embedder.encoded_texts.clear()
    article = Article(
        id="cash-fees",
        title="Cash machine fees",
        summary="ATM withdrawals are free up to your allowance.",
        topic="cash_withdrawal_charge",
        updated=dt.date(2026, 11, 1),
        questions=["atm cash fee"],
        body="Cash machine fees explained.",
    )
    kb.put(article)
    assert all("ash" in t or "ATM" in t or "atm" in t for t in embedder.encoded_texts)
    assert (kb.knowledge_dir / "cash-fees.md").exists()
    assert kb.search("atm cash", top_k=1).hits[0].article.id == "cash-fees"

    kb.put(article.model_copy(update={"title": "Fees at cash machines"}))
    assert kb.get("cash-fees").title == "Fees at cash machines"
    assert sum(1 for a in kb.articles() if a.id == "cash-fees") == 1


def test_delete_removes_from_search_disk_and_index(kb: KnowledgeBase) -> None:
    before = kb.passage_count
    kb.delete("pin-blocked")
    assert not (kb.knowledge_dir / "pin-blocked.md").exists()
    assert all(h.article.id != "pin-blocked" for h in kb.search("pin blocked", top_k=5).hits)
    assert kb.passage_count < before
    with pytest.raises(ArticleNotFound):
        kb.get("pin-blocked")
    with pytest.raises(ArticleNotFound):
        kb.delete("pin-blocked")


def test_filters(kb: KnowledgeBase) -> None:
    hits = kb.search("card", top_k=5, filters=SearchFilters(topics=frozenset({"exchange_rate"}))).hits
    assert [h.article.id for h in hits] == ["exchange-rate"]
    hits = kb.search("card", top_k=5, filters=SearchFilters(exclude_ids=frozenset({"card-arrival"}))).hits
    assert "card-arrival" not in [h.article.id for h in hits]
    hits = kb.search("money", top_k=5, filters=SearchFilters(tags=frozenset({"money"}))).hits
    assert [h.article.id for h in hits] == ["exchange-rate"]


def test_an_empty_knowledge_base_answers_none(tmp_path: Path) -> None:
    empty = KnowledgeBase(
        knowledge_dir=tmp_path / "none",
        data_dir=tmp_path / "d",
        embedder=FakeEmbedder(),
        policy=POLICY,
        passage_words=50,
    )
    empty.open()
    result = empty.search("card", top_k=3)
    assert (result.verdict, result.hits) == ("none", [])


def test_concurrent_edits_leave_file_and_index_in_agreement(kb: KnowledgeBase) -> None:
    from concurrent.futures import ThreadPoolExecutor

    base = kb.get("pin-blocked")
    versions = [base.model_copy(update={"summary": f"Version {i} of the PIN summary."}) for i in range(8)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(kb.put, versions))
    on_disk = (kb.knowledge_dir / "pin-blocked.md").read_text()
    assert kb.get("pin-blocked").summary in on_disk
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
