"""Two replicas of the knowledge service (two apps, each with its own data folder) on one
temporary PostgreSQL database: what one changes, the other serves within a second; they import
the knowledge folder once; a replica whose notice channel was cut reconciles with the store.
Fake embedder here; tests/kb_service/test_replicas_model.py repeats the core with the real one."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from kb_service import Settings, create_app
from kb_service.changes import CHANNEL
from kb_service.embedder import Embedder
from kb_service.folder import import_on_first_start
from kb_service.store import Change, Editor, SqlArticleStore
from sqlkit.testing import temporary_postgres
from tests.kb_service.fakes import FakeEmbedder
from tests.kb_service.helpers import wait_ready, write_article

EDITOR = {"Authorization": "Bearer s3cret-token", "X-Editor-Id": "7", "X-Editor-Name": "Alice"}
NEW_ARTICLE: dict[str, Any] = {
    "id": "cash-fees",
    "title": "Cash machine fees",
    "summary": "Withdrawals are free up to your monthly allowance.",
    "topic": "cash_withdrawal_charge",
    "tags": ["cash"],
    "questions": ["atm cash fee"],
    "body": "Check your allowance in the app, then withdraw.",
}


def eventually(check: Callable[[], bool], *, within: float) -> float:
    """Seconds until `check()` holds, polling; fails after `within`."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < within, f"not true within {within} s"
        time.sleep(0.01)
    return time.monotonic() - started


def top_hit(client: TestClient, query: str) -> dict[str, Any] | None:
    response = client.post("/search", json={"query": query, "top_k": 1})
    assert response.status_code == 200, response.text
    hits = response.json()["hits"]
    return hits[0] if hits else None


def top_id(client: TestClient, query: str) -> str | None:
    hit = top_hit(client, query)
    return hit["article_id"] if hit else None


def votes(client: TestClient, query: str, article_id: str) -> int:
    """How many past examples vote for the article among the query's hits."""
    hits = ok(client.post("/search", json={"query": query, "top_k": 5}))["hits"]
    return sum(h["examples"] for h in hits if h["article_id"] == article_id)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def cut_notice_channels(url: str) -> int:
    """Terminate every LISTEN connection on the database, as a network fault or a PostgreSQL
    restart would; how many were cut."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN %'"
        ).fetchall()
    return len(rows)


@contextmanager
def two_replicas(
    settings: Settings, url: str, root: Path, embedders: tuple[Embedder, Embedder]
) -> Iterator[tuple[TestClient, TestClient]]:
    """Replicas A and B, started together (their loading overlaps), each with its own data folder."""
    a = settings.model_copy(update={"database_url": url, "data_dir": root / "a"})
    b = settings.model_copy(update={"database_url": url, "data_dir": root / "b"})
    with (
        TestClient(create_app(a, embedder=embedders[0])) as first,
        TestClient(create_app(b, embedder=embedders[1])) as second,
    ):
        wait_ready(first)
        wait_ready(second)
        yield first, second


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with temporary_postgres("kestrel_kb_test") as url:
        yield url


@pytest.fixture
def replicas(
    settings: Settings, postgres_url: str, tmp_path: Path
) -> Iterator[tuple[TestClient, TestClient]]:
    with two_replicas(settings, postgres_url, tmp_path, (FakeEmbedder(), FakeEmbedder())) as pair:
        yield pair


def followed(client: TestClient) -> int:
    """How many of the other replicas' notices this one applied."""
    return client.app.state.runtime.follower.applied  # type: ignore[attr-defined,no-any-return]


def test_replicas_starting_together_import_the_folder_once(
    replicas: tuple[TestClient, TestClient], postgres_url: str
) -> None:
    a, b = replicas
    assert ok(a.get("/readyz"))["articles"] == ok(b.get("/readyz"))["articles"] == 3
    store = SqlArticleStore(postgres_url)
    try:
        assert {s.id: s.latest_version for s in store.articles()} == {
            "card-arrival": 1,
            "exchange-rate": 1,
            "pin-blocked": 1,
        }
    finally:
        store.close()
    # Each saved its own index in its own data folder.
    assert (Path(a.app.state.runtime.settings.data_dir) / "manifest.json").exists()  # type: ignore[attr-defined]
    assert (Path(b.app.state.runtime.settings.data_dir) / "manifest.json").exists()  # type: ignore[attr-defined]


def test_a_publish_on_one_replica_is_searchable_on_the_other_within_a_second(
    replicas: tuple[TestClient, TestClient],
) -> None:
    a, b = replicas
    state = ok(a.post("/articles", json=NEW_ARTICLE, headers=EDITOR), 201)
    assert top_id(b, "atm cash fee") != "cash-fees"
    ok(a.post("/articles/cash-fees/publish", headers=EDITOR))
    assert eventually(lambda: top_id(b, "atm cash fee") == "cash-fees", within=1.0) < 1.0
    assert ok(b.get("/articles/cash-fees"))["title"] == "Cash machine fees"

    # A live edit: B serves the new text.
    body = {k: v for k, v in NEW_ARTICLE.items() if k != "id"}
    edited = {
        **body,
        "summary": "Pizza money from cash machines is free.",
        "base_version": state["version"] + 1,
    }
    ok(a.put("/articles/cash-fees", json=edited, headers=EDITOR))
    eventually(lambda: ok(b.get("/articles/cash-fees"))["summary"].startswith("Pizza"), within=1.0)

    # A draft edit changes nothing readers see, on either replica.
    ok(a.put("/articles/cash-fees", json={**body, "base_version": 3, "as_draft": True}, headers=EDITOR))
    # Archive, restore and delete.
    ok(a.post("/articles/cash-fees/archive", headers=EDITOR))
    eventually(lambda: b.get("/articles/cash-fees").status_code == 404, within=1.0)
    ok(a.post("/articles/cash-fees/publish", json={"version": 3}, headers=EDITOR))
    eventually(lambda: b.get("/articles/cash-fees").status_code == 200, within=1.0)
    assert ok(b.get("/articles/cash-fees"))["summary"].startswith("Pizza")
    assert a.delete("/articles/cash-fees", headers=EDITOR).status_code == 204
    eventually(lambda: top_id(b, "atm cash fee") != "cash-fees", within=1.0)

    # A applied its own changes itself and skipped their notices; B applied them from the store.
    assert followed(a) == 0
    assert followed(b) >= 5


def test_examples_imported_on_one_replica_count_on_the_other(replicas: tuple[TestClient, TestClient]) -> None:
    a, b = replicas
    history = [
        {"text": "pizza weather", "article_id": "pin-blocked"},
        {"text": "weather pizza", "topic": "pin_blocked"},
    ]
    added = ok(a.post("/examples", json={"source": "history-2025", "examples": history}, headers=EDITOR))
    assert added["added"] == 2

    eventually(lambda: votes(b, "pizza weather", "pin-blocked") == 2, within=1.0)
    assert top_id(b, "pizza weather") == "pin-blocked"

    # Live candidates count nowhere until approved, then everywhere.
    live = {"source": "confirmed_answers", "examples": [{"text": "atm pizza", "article_id": "card-arrival"}]}
    ok(a.post("/examples", json=live, headers={"Authorization": "Bearer svc-token"}))
    (candidate,) = ok(a.get("/examples", params={"status": "candidate"}, headers=EDITOR))["examples"]
    ok(a.post("/examples/approve", json={"ids": [candidate["id"]]}, headers=EDITOR))
    eventually(lambda: votes(b, "atm pizza", "card-arrival") == 1, within=1.0)

    ok(a.delete("/examples", params={"source": "history-2025"}, headers=EDITOR))
    eventually(lambda: votes(b, "pizza weather", "pin-blocked") == 0, within=1.0)
    assert ok(b.get("/examples", params={"status": "approved"}, headers=EDITOR))["total"] == 1


def test_an_import_through_one_replica_goes_live_on_both(
    replicas: tuple[TestClient, TestClient], knowledge_dir: Path
) -> None:
    a, b = replicas
    write_article(knowledge_dir, "refunds", "Refunds", "refund", "A merchant refund takes five days.")
    report = ok(a.post("/admin/import", headers=EDITOR))
    assert report["created"] == ["refunds"]
    eventually(lambda: top_id(b, "merchant refund") == "refunds", within=1.0)


def test_a_replica_whose_notice_channel_was_cut_reconciles_with_the_store(
    replicas: tuple[TestClient, TestClient], postgres_url: str
) -> None:
    a, b = replicas
    # A change committed with no notice: as if it was sent while B's channel was down.
    store = SqlArticleStore(postgres_url)
    try:
        current = store.find("exchange-rate")
        assert current is not None
        article = current.latest.model_copy(update={"summary": "Pizza rates: we use the interbank rate."})
        change = Change(article, "edit", Editor("7", "Alice"), "published", "new")
        store.append("exchange-rate", change, expected_version=current.latest_version)
    finally:
        store.close()
    assert ok(b.get("/articles/exchange-rate"))["summary"].startswith("We use")  # B heard nothing
    assert cut_notice_channels(postgres_url) == 2
    eventually(lambda: ok(b.get("/articles/exchange-rate"))["summary"].startswith("Pizza"), within=10.0)
    eventually(lambda: ok(a.get("/articles/exchange-rate"))["summary"].startswith("Pizza"), within=10.0)

    # Notices flow again after the reconnect.
    ok(a.post("/articles", json=NEW_ARTICLE, headers=EDITOR), 201)
    ok(a.post("/articles/cash-fees/publish", headers=EDITOR))
    eventually(lambda: top_id(b, "atm cash fee") == "cash-fees", within=1.0)


def test_the_first_import_happens_once_when_replicas_race(postgres_url: str, knowledge_dir: Path) -> None:
    stores = [SqlArticleStore(postgres_url) for _ in range(3)]
    reports: list[object] = []
    start = threading.Barrier(len(stores))

    def first_start(store: SqlArticleStore) -> None:
        start.wait()
        reports.append(import_on_first_start(store, knowledge_dir, poll=0.02))

    threads = [threading.Thread(target=first_start, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert sum(r is not None for r in reports) == 1
        for store in stores:  # each sees the import once it returns
            assert [(s.id, s.latest_version) for s in store.articles()] == [
                ("card-arrival", 1),
                ("exchange-rate", 1),
                ("pin-blocked", 1),
            ]
    finally:
        for store in stores:
            store.close()


def test_notices_name_what_changed(postgres_url: str) -> None:
    """The payload on `kestrel_kb` as docs/contracts/scale-out.md has it."""
    from kb_service.examples import ExampleBook

    heard: list[dict[str, Any]] = []
    got = threading.Event()
    book = ExampleBook(postgres_url, FakeEmbedder(), origin="replica-a")

    def hear(payload: dict[str, Any]) -> None:
        heard.append(payload)
        got.set()

    listener = book.database.listen(CHANNEL, hear)
    try:
        book.add("history", [("pizza weather", "pin-blocked")], status="approved")
        assert got.wait(5)
        assert heard == [{"kind": "examples_added", "origin": "replica-a", "source": "history"}]
    finally:
        listener.close()
        book.close()
