"""The live index: every change is what /search returns within a second, searches during edits
never fail, and a crash at any step is repaired by the next start (fake embedder)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import kb_service.saved_index as saved_index
from kb_service.articles import Article, split_passages
from kb_service.editing import change_status, create_article, delete_article, update_article
from kb_service.knowledge import KnowledgeBase
from kb_service.schemas import ArticleIn
from kb_service.store import Editor, SqlArticleStore
from tests.kb_service.conftest import open_kb
from tests.kb_service.fakes import FakeEmbedder
from tests.kb_service.test_editing_api import EDITOR, NEW_ARTICLE, create

ALICE = Editor("7", "Alice")


def content(article: Article, **changes: object) -> ArticleIn:
    fields = article.model_dump(exclude={"id", "updated", "review_by"})
    return ArticleIn.model_validate({**fields, **changes})


def first_hit(kb: KnowledgeBase, query: str) -> str | None:
    hits = kb.search(query, top_k=3).hits
    return hits[0].article.id if hits else None


def wait_until(check: object, *, within: float) -> float:
    """Seconds until `check()` is true; fails after `within`."""
    started = time.monotonic()
    while not check():  # type: ignore[operator]
        assert time.monotonic() - started < within, f"not true within {within}s"
        time.sleep(0.005)
    return time.monotonic() - started


def test_publish_is_found_by_search_within_a_second(client: TestClient) -> None:
    create(client)
    assert "cash-fees" not in [
        h["article_id"] for h in client.post("/search", json={"query": "atm cash fee"}).json()["hits"]
    ]
    started = time.monotonic()
    publishing = threading.Thread(target=lambda: client.post("/articles/cash-fees/publish", headers=EDITOR))
    publishing.start()

    def top_is_new() -> bool:
        hits = client.post("/search", json={"query": "atm cash fee", "top_k": 1}).json()["hits"]
        return bool(hits) and hits[0]["article_id"] == "cash-fees"

    wait_until(top_is_new, within=1.0 - (time.monotonic() - started))
    publishing.join()


@pytest.mark.parametrize("how", ["unpublish", "archive", "delete"])
def test_taken_down_is_gone_from_search_within_a_second(client: TestClient, how: str) -> None:
    started = time.monotonic()
    if how == "delete":
        assert client.delete("/articles/pin-blocked", headers=EDITOR).status_code == 204
    else:
        assert client.post(f"/articles/pin-blocked/{how}", headers=EDITOR).status_code == 200

    def gone() -> bool:
        hits = client.post("/search", json={"query": "my pin is blocked"}).json()["hits"]
        return "pin-blocked" not in [h["article_id"] for h in hits]

    wait_until(gone, within=1.0 - (time.monotonic() - started))


def test_twenty_searches_at_once_during_fifty_edits_never_fail(kb: KnowledgeBase) -> None:
    article = kb.get("pin-blocked")
    titles = {article.title} | {f"PIN blocked, take {i}" for i in range(50)}
    failures: list[BaseException] = []
    seen: set[str] = set()
    searches = 0
    editing = threading.Event()
    editing.set()

    def search() -> None:
        nonlocal searches
        while editing.is_set():
            try:
                result = kb.search("my pin is blocked", top_k=3)
                top = result.hits[0].article
                assert top.id == "pin-blocked", top.id
                assert top.title in titles, top.title
                assert kb.get("pin-blocked").title in titles  # readers never miss it meanwhile
                seen.add(top.title)
                searches += 1
            except BaseException as e:  # every failure is reported, none hidden
                failures.append(e)
                return

    readers = [threading.Thread(target=search) for _ in range(20)]
    for reader in readers:
        reader.start()
    try:
        for i in range(50):
            stored = kb.store.find("pin-blocked")
            assert stored is not None
            update_article(
                kb,
                article_id="pin-blocked",
                data=content(article, title=f"PIN blocked, take {i}"),
                base_version=stored.latest_version,
                as_draft=False,
                editor=ALICE,
            )
    finally:
        editing.clear()
        for reader in readers:
            reader.join()
    assert failures == []
    assert searches >= 20
    assert len(seen) > 1  # the searches saw the edits happen
    assert kb.get("pin-blocked").title == "PIN blocked, take 49"


def test_a_saved_draft_is_embedded_before_it_is_published(kb: KnowledgeBase, embedder: FakeEmbedder) -> None:
    """Publishing a draft (and publishing it again after an unpublish) embeds nothing more:
    its passages were embedded in the background when it was saved."""
    embedder.encoded_texts.clear()
    create_article(kb, article_id="cash-fees", data=ArticleIn.model_validate(NEW_ARTICLE), editor=ALICE)
    change_status(kb, article_id="cash-fees", action="publish", editor=ALICE)
    texts = [p.embed_text for p in split_passages(kb.get("cash-fees"), kb.passage_words)]
    assert sorted(embedder.encoded_texts) == sorted(texts)
    change_status(kb, article_id="cash-fees", action="unpublish", editor=ALICE)
    change_status(kb, article_id="cash-fees", action="publish", editor=ALICE)
    assert sorted(embedder.encoded_texts) == sorted(texts)
    assert first_hit(kb, "atm cash fee") == "cash-fees"


def test_a_saved_draft_embeds_only_the_passages_its_edit_changed(kb: KnowledgeBase, tmp_path: Path) -> None:
    """An autosave of a published article embeds the passage it changed, not every question
    again: a knowledge base started from its saved index (as a replica starts from a copy) has
    embedded nothing yet, and its first autosave of an article would otherwise hold up the
    article's next publish (this replica's, or another's applied here)."""
    embedder = FakeEmbedder()
    started = open_kb(kb.store, tmp_path / "data", embedder)
    assert embedder.encoded_texts == []
    article = started.get("pin-blocked")
    stored = started.store.find("pin-blocked")
    assert stored is not None
    update_article(
        started,
        article_id="pin-blocked",
        data=content(article, summary="What to do when your PIN is blocked after three tries."),
        base_version=stored.latest_version,
        as_draft=True,
        editor=ALICE,
    )
    change_status(started, article_id="pin-blocked", action="publish", editor=ALICE)
    summary = split_passages(started.get("pin-blocked"), started.passage_words)[0]
    assert summary.kind == "summary"
    assert embedder.encoded_texts == [summary.embed_text]


def crash(*_: object, **__: object) -> None:
    raise RuntimeError("the process died here")


def test_a_crash_between_store_write_and_index_write_is_repaired_by_a_restart(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    article = kb.get("pin-blocked")
    monkeypatch.setattr(kb, "refresh", crash)
    with pytest.raises(RuntimeError):
        update_article(
            kb,
            article_id="pin-blocked",
            data=content(article, title="Blocked PIN", questions=["pizza blocked"]),
            base_version=1,
            as_draft=False,
            editor=ALICE,
        )
    with pytest.raises(RuntimeError):
        change_status(kb, article_id="exchange-rate", action="unpublish", editor=ALICE)
    # the store has both changes; the saved index has neither
    assert kb.get("pin-blocked").title == "PIN blocked"
    assert kb.store.published_article("exchange-rate") is None

    embedder = FakeEmbedder()
    again = open_kb(kb.store, tmp_path / "data", embedder)

    assert again.last_sync.embedded == ["pin-blocked"]
    assert again.last_sync.removed == ["exchange-rate"]
    assert embedder.encoded_texts == [  # the title is in every content passage's text
        "Blocked PIN. Unblock your PIN in the app.",
        "Blocked PIN. Open the app and follow the steps.",
        "pizza blocked",
    ]
    assert_consistent(again)
    assert first_hit(again, "pizza blocked") == "pin-blocked"


def test_a_crash_between_index_file_and_manifest_is_repaired_by_a_restart(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    article = kb.get("card-arrival")
    real_replace = saved_index.os.replace

    def die_before_the_manifest(src: object, dst: object) -> None:
        if str(dst).endswith("manifest.json"):
            raise RuntimeError("the process died here")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(saved_index.os, "replace", die_before_the_manifest)
    with pytest.raises(RuntimeError):
        update_article(
            kb,
            article_id="card-arrival",
            data=content(article, summary="Your card comes by post in a week."),
            base_version=1,
            as_draft=False,
            editor=ALICE,
        )
    monkeypatch.undo()

    embedder = FakeEmbedder()
    again = open_kb(kb.store, tmp_path / "data", embedder)

    # the new index file with the old manifest: only the changed article is embedded again
    assert again.last_sync.embedded == ["card-arrival"]
    changed = again.get("card-arrival")
    assert embedder.encoded_texts == [p.embed_text for p in split_passages(changed, again.passage_words)]
    assert_consistent(again)


def test_a_failed_store_write_changes_nothing(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SqlArticleStore, "_insert_version", staticmethod(crash))
    before = kb.store.find("pin-blocked")
    with pytest.raises(RuntimeError):
        delete_article(kb, article_id="pin-blocked", editor=ALICE)
    assert kb.store.find("pin-blocked") == before
    assert first_hit(kb, "my pin is blocked") == "pin-blocked"


def assert_consistent(kb: KnowledgeBase) -> None:
    """What readers see is exactly the store's published versions, and a further restart
    embeds nothing."""
    published = kb.store.published()
    assert {a.id: a for a in kb.articles()} == {aid: article for aid, (article, _) in published.items()}
    embedder = FakeEmbedder()
    again = open_kb(kb.store, kb.data_dir, embedder)
    assert embedder.encoded_texts == []
    assert again.passage_count == kb.passage_count
