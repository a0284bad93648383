"""The ArticleStore contract, run against both engines (a SQLite file and a fresh PostgreSQL
database, `database_target`), and SQLite in memory."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator

import pytest

from kb_service.articles import Article
from kb_service.changes import CHANNEL
from kb_service.errors import ArticleExists, ArticleNotFound, VersionConflict, VersionNotFound
from kb_service.store import ArticleStore, Change, Editor, FileMark, SqlArticleStore

ALICE = Editor("7", "Alice")
BOB = Editor("9", "Bob")
ARTICLE = Article(
    id="card-arrival",
    title="Card delivery",
    summary="Your card arrives by post.",
    topic="card_arrival",
    updated=dt.date(2026, 11, 1),
    questions=["where is my card"],
    body="Open the app.",
)


def edited(**changes: object) -> Article:
    return ARTICLE.model_copy(update=changes)


@pytest.fixture
def store(database_target: str) -> Iterator[ArticleStore]:
    opened = SqlArticleStore(database_target)
    yield opened
    opened.close()


def test_a_new_store_is_empty_and_version_one_starts_an_article(store: ArticleStore) -> None:
    assert store.is_empty()
    created = store.create(Change(ARTICLE, "create", ALICE, "draft", "none"))
    assert not store.is_empty()
    assert (created.latest_version, created.published_version, created.status) == (1, None, "draft")
    assert created.has_draft
    assert created.latest == ARTICLE
    assert created.latest_hash == ARTICLE.content_hash
    assert created.updated_by == ALICE
    assert store.published() == {}
    with pytest.raises(ArticleExists):
        store.create(Change(ARTICLE, "create", BOB, "draft", "none"))


def test_append_is_a_compare_and_set_on_the_latest_version(store: ArticleStore) -> None:
    store.create(Change(ARTICLE, "create", ALICE, "draft", "none"))
    second = store.append(
        "card-arrival",
        Change(edited(title="Cards by post"), "edit", BOB, "draft", "keep"),
        expected_version=1,
    )
    assert second.latest_version == 2
    with pytest.raises(VersionConflict) as conflict:
        store.append(
            "card-arrival", Change(edited(title="Lost"), "edit", ALICE, "draft", "keep"), expected_version=1
        )
    assert conflict.value.current_version == 2
    assert store.version("card-arrival", 2).article.title == "Cards by post"
    with pytest.raises(ArticleNotFound):
        store.append(
            "no-such", Change(edited(id="no-such"), "edit", ALICE, "draft", "keep"), expected_version=1
        )


def test_of_concurrent_changes_on_one_version_exactly_one_wins(store: ArticleStore) -> None:
    store.create(Change(ARTICLE, "create", ALICE, "draft", "none"))
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def write(i: int) -> None:
        start.wait()
        try:
            store.append(
                "card-arrival",
                Change(edited(title=f"Title {i}"), "edit", ALICE, "draft", "keep"),
                expected_version=1,
            )
            outcomes.append("won")
        except VersionConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 7 + ["won"]
    assert len(store.versions("card-arrival")) == 2


def test_of_concurrent_creations_of_one_id_exactly_one_wins(store: ArticleStore) -> None:
    """On PostgreSQL the losers pass the existence check together and meet the primary key."""
    outcomes: list[str] = []
    start = threading.Barrier(6)

    def write(i: int) -> None:
        start.wait()
        try:
            store.create(Change(edited(title=f"Title {i}"), "create", ALICE, "draft", "none"))
            outcomes.append("won")
        except ArticleExists:
            outcomes.append("exists")

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["exists"] * 5 + ["won"]
    assert [v.number for v in store.versions("card-arrival")] == [1]


def create_then_fail(store: ArticleStore) -> None:
    with store.database.transaction():
        store.create(Change(ARTICLE, "create", ALICE, "draft", "none"))
        store.database.notify(CHANNEL, {"kind": "lost"})
        raise RuntimeError("the caller fails after the write")


def test_a_write_joins_the_callers_transaction_and_its_notice_waits_for_the_commit(
    store: ArticleStore,
) -> None:
    heard: list[dict] = []
    arrived = threading.Event()

    def hear(payload: dict) -> None:
        heard.append(payload)
        arrived.set()

    listener = store.database.listen(CHANNEL, hear)
    try:
        with pytest.raises(RuntimeError, match="fails after"):
            create_then_fail(store)
        assert store.find("card-arrival") is None
        with store.database.transaction():
            store.create(Change(ARTICLE, "create", ALICE, "draft", "none"))
            store.database.notify(CHANNEL, {"kind": "create", "article_id": "card-arrival"})
            assert heard == []
        assert arrived.wait(5)
        assert heard == [{"kind": "create", "article_id": "card-arrival"}]
    finally:
        listener.close()


def test_published_version_follows_the_change(store: ArticleStore) -> None:
    store.create(Change(ARTICLE, "create", ALICE, "draft", "none"))
    store.append("card-arrival", Change(ARTICLE, "publish", ALICE, "published", "new"), expected_version=1)
    store.append(
        "card-arrival", Change(edited(title="Next"), "edit", BOB, "published", "keep"), expected_version=2
    )
    stored = store.find("card-arrival")
    assert stored is not None
    assert (stored.latest_version, stored.published_version, stored.has_draft) == (3, 2, True)
    assert store.published()["card-arrival"] == (ARTICLE, ARTICLE.content_hash)
    assert store.published_article("card-arrival") == (ARTICLE, ARTICLE.content_hash)
    store.append(
        "card-arrival", Change(edited(title="Next"), "archive", BOB, "archived", "none"), expected_version=3
    )
    assert store.published_article("card-arrival") is None
    archived = store.find("card-arrival")
    assert archived is not None
    assert (archived.status, archived.published_version, archived.has_draft) == ("archived", None, False)


def test_a_deleted_article_keeps_its_versions(store: ArticleStore) -> None:
    store.create(Change(ARTICLE, "import", ALICE, "published", "new"))
    store.append(
        "card-arrival", Change(ARTICLE, "delete", BOB, "draft", "none", deleted=True), expected_version=1
    )
    stored = store.find("card-arrival")
    assert stored is not None
    assert stored.deleted
    assert store.published() == {}
    assert [(v.number, v.action, v.editor) for v in store.versions("card-arrival")] == [
        (2, "delete", BOB),
        (1, "import", ALICE),
    ]


def test_versions_and_their_errors(store: ArticleStore) -> None:
    store.create(Change(ARTICLE, "create", ALICE, "draft", "none"))
    version = store.version("card-arrival", 1)
    assert (version.number, version.action, version.editor, version.content_hash) == (
        1,
        "create",
        ALICE,
        ARTICLE.content_hash,
    )
    assert version.at.endswith("Z")
    with pytest.raises(VersionNotFound):
        store.version("card-arrival", 2)
    with pytest.raises(ArticleNotFound):
        store.version("no-such", 1)
    with pytest.raises(ArticleNotFound):
        store.versions("no-such")
    assert store.find("no-such") is None


def test_file_bookkeeping(store: ArticleStore) -> None:
    store.create(Change(ARTICLE, "import", ALICE, "published", "new", file=FileMark("abc")))
    stored = store.find("card-arrival")
    assert stored is not None
    assert stored.file == FileMark("abc")
    store.mark_file("card-arrival", FileMark("abc", conflict_hash="def"))
    store.append("card-arrival", Change(ARTICLE, "edit", ALICE, "published", "new"), expected_version=1)
    after = store.find("card-arrival")
    assert after is not None
    assert after.file == FileMark("abc", "def")  # an edit leaves it as it was
    store.append(
        "card-arrival",
        Change(ARTICLE, "import", ALICE, "published", "new", file=FileMark("ghi")),
        expected_version=2,
    )
    final = store.find("card-arrival")
    assert final is not None
    assert final.file == FileMark("ghi", None)


def test_the_store_persists_and_records_its_migrations(database_target: str) -> None:
    first = SqlArticleStore(database_target)
    first.create(Change(ARTICLE, "create", ALICE, "draft", "none"))
    first.close()
    again = SqlArticleStore(database_target)
    assert [a.id for a in again.articles()] == ["card-arrival"]
    applied = [tuple(r) for r in again.database.rows("SELECT version, name FROM schema_version ORDER BY 1")]
    assert applied == [(1, "001_articles"), (2, "002_examples")]
    assert again.database.dialect == ("postgresql" if "://" in database_target else "sqlite")
    again.close()
    if again.database.dialect == "sqlite":
        with sqlite3.connect(database_target) as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_store_in_memory_keeps_the_contract() -> None:
    """For tools that measure the knowledge folder as it is (`folder_store`)."""
    store = SqlArticleStore(":memory:")
    store.create(Change(ARTICLE, "import", ALICE, "published", "new"))
    assert store.published() == {"card-arrival": (ARTICLE, ARTICLE.content_hash)}
    with pytest.raises(VersionConflict):
        store.append("card-arrival", Change(ARTICLE, "edit", ALICE, "published", "new"), expected_version=2)
    store.close()
