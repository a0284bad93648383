"""The per-user cache of tuned models: only whole entries of the right fingerprint are handed
out, clones storing at once never publish half a model, and only the newest few are kept."""

from __future__ import annotations

import json
import os
from pathlib import Path

from kb_service.model_cache import ModelCache
from kb_service.tuning import read_report


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
    cache.store("not-abc", fake_model(tmp_path / "made", "not-abc"))
    (cache.root / "not-abc").rename(cache.root / "abc")
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
