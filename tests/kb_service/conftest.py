from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kb_service import Settings, create_app
from kb_service.confidence import Calibration
from kb_service.folder import import_folder
from kb_service.knowledge import KnowledgeBase
from kb_service.search import RankingPolicy
from kb_service.store import SqlArticleStore
from tests.kb_service.fakes import FakeEmbedder
from tests.kb_service.helpers import wait_ready, write_article

POLICY = RankingPolicy(
    keyword_weight=0.2,
    keyword_full_score=4.0,
    passages_per_article=1,
    example_weight=0.5,
    example_temperature=0.05,
    example_floor=0.5,
    answer_confidence=0.8,
    clarify_confidence=0.3,
    history_answer_confidence=0.8,
    history_clarify_confidence=0.3,
    clarify_spread=0.1,
    clarify_max=3,
)
# The fake embedder's scores are not the real model's: a hand-set model over the top score and
# the lead, which the tests reason about (confident from about 0.6 with a 0.05 lead).
CALIBRATION = Calibration.fallback()


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    write_article(
        folder,
        "card-arrival",
        "Card delivery",
        "card_arrival",
        "Your card arrives by post.",
        questions=["where is my card", "card not arrived"],
    )
    write_article(
        folder,
        "pin-blocked",
        "PIN blocked",
        "pin_blocked",
        "Unblock your PIN in the app.",
        questions=["my pin is blocked"],
        escalation="none",
    )
    write_article(
        folder,
        "exchange-rate",
        "Exchange rates",
        "exchange_rate",
        "We use the interbank rate.",
        questions=["what exchange rate do you use", "currency rate"],
        tags=["exchange", "money"],
    )
    return folder


@pytest.fixture
def embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def store(knowledge_dir: Path, tmp_path: Path) -> Iterator[SqlArticleStore]:
    """The articles store, with the knowledge folder imported (as a first start does)."""
    articles = SqlArticleStore(tmp_path / "data" / "articles.sqlite3")
    import_folder(articles, knowledge_dir)
    yield articles
    articles.close()


def open_kb(store: SqlArticleStore, data_dir: Path, embedder: FakeEmbedder) -> KnowledgeBase:
    base = KnowledgeBase(
        store=store,
        data_dir=data_dir,
        embedder=embedder,
        policy=POLICY,
        passage_words=50,
        calibration=CALIBRATION,
    )
    base.open()
    return base


@pytest.fixture
def kb(store: SqlArticleStore, tmp_path: Path, embedder: FakeEmbedder) -> KnowledgeBase:
    return open_kb(store, tmp_path / "data", embedder)


@pytest.fixture
def settings(knowledge_dir: Path, tmp_path: Path) -> Settings:
    CALIBRATION.save(tmp_path / "calibration.json")
    return Settings(
        calibration_path=tmp_path / "calibration.json",
        knowledge_dir=knowledge_dir,
        data_dir=tmp_path / "data",
        editor_token="s3cret-token",
        service_token="svc-token",
        **asdict(POLICY),
        max_body_bytes=20_000,
    )


@pytest.fixture
def client(settings: Settings, embedder: FakeEmbedder) -> Iterator[TestClient]:
    with TestClient(create_app(settings, embedder=embedder)) as c:
        wait_ready(c)
        yield c
