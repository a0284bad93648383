from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kb_service import Settings, create_app
from kb_service.knowledge import KnowledgeBase
from kb_service.search import RankingPolicy
from tests.kb_service.fakes import FakeEmbedder
from tests.kb_service.helpers import wait_ready, write_article

POLICY = RankingPolicy(
    keyword_weight=0.2,
    keyword_full_score=4.0,
    passages_per_article=1,
    answer_threshold=0.6,
    answer_margin=0.05,
    clarify_threshold=0.3,
)


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
def kb(knowledge_dir: Path, tmp_path: Path, embedder: FakeEmbedder) -> KnowledgeBase:
    base = KnowledgeBase(
        knowledge_dir=knowledge_dir,
        data_dir=tmp_path / "data",
        embedder=embedder,
        policy=POLICY,
        passage_words=50,
    )
    base.open()
    return base


@pytest.fixture
def settings(knowledge_dir: Path, tmp_path: Path) -> Settings:
    return Settings(
        knowledge_dir=knowledge_dir,
        data_dir=tmp_path / "data",
        editor_token="s3cret-token",
        **asdict(POLICY),
        max_body_bytes=20_000,
    )


@pytest.fixture
def client(settings: Settings, embedder: FakeEmbedder) -> Iterator[TestClient]:
    with TestClient(create_app(settings, embedder=embedder)) as c:
        wait_ready(c)
        yield c
