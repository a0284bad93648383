from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from kb_service.articles import Article
from kb_service.embedder import SentenceTransformerEmbedder, bundled_model_path
from kb_service.tuning import (
    TuningParams,
    batches_without_repeats,
    epoch_batches,
    fingerprint,
    is_current,
    read_report,
    training_pairs,
    tune,
)
from tests.kb_service.helpers import write_article
from tools.services import ROOT


def article(article_id: str, questions: list[str], summary: str = "A summary long enough.") -> Article:
    return Article(
        id=article_id,
        title=article_id.replace("-", " ").title(),
        summary=summary,
        topic=article_id,
        updated=dt.date(2026, 11, 1),
        questions=questions,
        body="Body text.",
    )


ARTICLES = {
    "card-arrival": article(
        "card-arrival", ["where is my card", "card never came", "still no card in the post"]
    ),
    "pin-blocked": article("pin-blocked", ["pin locked", "typed my pin wrong three times"]),
    "exchange-rate": article("exchange-rate", ["what rate do you use", "euro rate today"]),
}


def test_pairs_join_each_question_to_its_article() -> None:
    pairs = training_pairs(ARTICLES.values())
    assert len(pairs) == 7
    assert {p.article_id for p in pairs if p.question == "pin locked"} == {"pin-blocked"}
    assert all(p.document.endswith("A summary long enough.") for p in pairs)


def test_batches_never_hold_one_article_twice_and_cover_every_pair() -> None:
    pairs = training_pairs(ARTICLES.values())
    batches = batches_without_repeats(pairs, batch_size=2, rng=random.Random(1))
    for batch in batches:
        ids = [p.article_id for p in batch]
        assert len(ids) == len(set(ids))
        assert len(batch) <= 2
    assert sorted(p.question for b in batches for p in b) == sorted(p.question for p in pairs)


def test_an_epoch_shares_each_document_among_a_few_phrasings() -> None:
    pairs = training_pairs(ARTICLES.values())
    params = TuningParams(batch_size=2, questions_per_article=2, questions_per_epoch=3)
    batches = epoch_batches(pairs, params, random.Random(1))
    groups = [group for batch in batches for group in batch]
    for batch in batches:
        assert len({group[0].article_id for group in batch}) == len(batch) <= 2
    for group in groups:
        assert len({pair.article_id for pair in group}) == 1
        assert len(group) <= 2
    per_article: dict[str, int] = {}
    for group in groups:
        per_article[group[0].article_id] = per_article.get(group[0].article_id, 0) + len(group)
    expected = {a.id: min(3, len(a.questions)) for a in ARTICLES.values()}
    assert per_article == expected


def test_fingerprint_follows_training_text_and_parameters() -> None:
    base = Path("/models/base")
    first = fingerprint(ARTICLES.values(), base, TuningParams())
    assert first == fingerprint(reversed(list(ARTICLES.values())), base, TuningParams())
    changed = {**ARTICLES, "pin-blocked": article("pin-blocked", ["pin locked", "a new way to ask"])}
    assert fingerprint(changed.values(), base, TuningParams()) != first
    assert fingerprint(ARTICLES.values(), base, TuningParams(epochs=5)) != first
    assert fingerprint(ARTICLES.values(), Path("/models/other"), TuningParams()) != first


def test_a_missing_or_broken_report_is_not_current(tmp_path: Path) -> None:
    assert read_report(tmp_path) is None
    (tmp_path / "tuning.json").write_text("{broken")
    assert not is_current(tmp_path, ARTICLES, Path("/models/base"), TuningParams())


@pytest.mark.slow
def test_tuning_writes_a_loadable_model_that_knows_it_is_current(tmp_path: Path) -> None:
    out = tmp_path / "tuned"
    params = TuningParams(epochs=1, batch_size=3, frozen_layers=5)
    report = tune(ARTICLES, out_dir=out, params=params, threads=1)
    assert report.pairs == 7
    assert is_current(out, ARTICLES, bundled_model_path(), params)

    embedder = SentenceTransformerEmbedder(out)
    embedder.warm_up()
    assert embedder.dimension == 384
    assert embedder.name.startswith("tuned@")
    vectors = embedder.encode(["where is my card", "euro rate today"])
    assert vectors.shape == (2, 384)

    base = SentenceTransformerEmbedder()
    base.warm_up()
    assert base.name != embedder.name  # a tuned model never reuses the base model's saved index


@pytest.mark.slow
def test_a_second_clone_copies_the_tuned_model_from_the_per_user_cache(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    for a in ARTICLES.values():
        write_article(knowledge, a.id, a.title, a.topic, a.summary, questions=a.questions)
    command = [sys.executable, "-m", "kb_service.tuning", "--knowledge-dir", str(knowledge)]
    cache = str(tmp_path / "cache")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def run(out: Path, *extra: str) -> str:
        done = subprocess.run(
            [*command, "--out", str(out), *extra],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
            cwd=ROOT,
        )
        return done.stderr

    first = run(tmp_path / "one" / "model", "--cache-dir", cache)
    assert "tuning the embedding model" in first
    assert "tuning: top layers: 100%" in first  # the progress bar
    second = run(tmp_path / "two" / "model", "--cache-dir", cache)
    assert "copied the model tuned on these articles" in second
    assert "tuning the embedding model" not in second
    one, two = (tmp_path / d / "model" / "model.safetensors" for d in ("one", "two"))
    assert one.read_bytes() == two.read_bytes()
    third = run(tmp_path / "three" / "model", "--cache-dir", "")
    assert "tuning the embedding model" in third
