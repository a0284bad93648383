from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from kb_service.articles import Article
from kb_service.embedder import SentenceTransformerEmbedder, bundled_model_path
from kb_service.tuning import (
    ModelCache,
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


def fake_model(folder: Path, fp: str, weights: bytes = b"w") -> Path:
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(weights)
    report = {"format": 3, "base_model": "base", "fingerprint": fp, "params": {}, "pairs": 1, "seconds": 1.0}
    (folder / "tuning.json").write_text(json.dumps(report))
    return folder


def test_the_cache_hands_out_only_the_model_of_the_same_fingerprint(tmp_path: Path) -> None:
    cache = ModelCache(tmp_path / "cache")
    out = tmp_path / "clone" / "var" / "model" / "tuned"
    assert not cache.fetch("abc", out)
    cache.store("abc", fake_model(tmp_path / "made", "abc", b"tuned weights"))
    assert not cache.fetch("other", out)
    assert not out.exists()
    assert cache.fetch("abc", out)
    assert (out / "model.safetensors").read_bytes() == b"tuned weights"
    assert read_report(out) is not None
    assert not any(p.name.endswith(".staging") for p in out.parent.iterdir())


def test_a_cached_entry_with_another_fingerprint_inside_is_not_trusted(tmp_path: Path) -> None:
    cache = ModelCache(tmp_path / "cache")
    fake_model(tmp_path / "cache" / "models" / "abc", "not-abc")
    assert not cache.fetch("abc", tmp_path / "out")


def test_a_half_written_entry_is_not_trusted(tmp_path: Path) -> None:
    cache = ModelCache(tmp_path / "cache")
    cache.store("abc", fake_model(tmp_path / "made", "abc", b"all of the weights"))
    (cache.root / "abc" / "model.safetensors").write_bytes(b"half")  # as a crashed copy leaves it
    assert not cache.fetch("abc", tmp_path / "out")
    (cache.root / "abc" / ModelCache.RECORD).unlink()
    assert not cache.fetch("abc", tmp_path / "out")


def test_storing_a_model_the_cache_already_has_keeps_the_first(tmp_path: Path) -> None:
    cache = ModelCache(tmp_path / "cache")
    cache.store("abc", fake_model(tmp_path / "first", "abc", b"first"))
    cache.store("abc", fake_model(tmp_path / "second", "abc", b"second"))
    assert cache.fetch("abc", tmp_path / "out")
    assert (tmp_path / "out" / "model.safetensors").read_bytes() == b"first"
    assert not (tmp_path / "out" / ModelCache.RECORD).exists()
    assert [p.name for p in cache.root.iterdir()] == ["abc"]  # no staging left behind


def test_the_cache_keeps_only_the_newest_models(tmp_path: Path) -> None:
    cache = ModelCache(tmp_path / "cache", keep=2)
    for i, fp in enumerate(["one", "two", "three"]):
        cache.store(fp, fake_model(tmp_path / f"made-{i}", fp))
        os.utime(cache.root / fp, (1_000_000 + i, 1_000_000 + i))
    assert sorted(p.name for p in cache.root.iterdir()) == ["three", "two"]


def test_an_unwritable_cache_costs_nothing_but_the_reuse(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = ModelCache(blocker)
    cache.store("abc", fake_model(tmp_path / "made", "abc"))  # logs, does not raise
    assert not cache.fetch("abc", tmp_path / "out")


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
