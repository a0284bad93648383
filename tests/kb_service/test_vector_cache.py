from __future__ import annotations

import numpy as np

from kb_service.vector_cache import VectorCache
from tests.kb_service.fakes import FakeEmbedder


def test_embeds_only_what_is_neither_known_nor_cached() -> None:
    embedder = FakeEmbedder()
    cache = VectorCache(embedder)
    known = {"card": embedder.encode(["card"])[0]}
    embedder.encoded_texts.clear()
    rows = cache.embed(["card", "pin blocked", "card", "cash"], known)
    assert rows.shape == (4, embedder.dimension)
    assert embedder.encoded_texts == ["pin blocked", "cash"]
    assert np.allclose(rows[0], rows[2])
    cache.embed(["cash", "pin blocked"], {})
    assert embedder.encoded_texts == ["pin blocked", "cash"]
    assert cache.embed([], {}).shape == (0, embedder.dimension)


def test_the_least_recently_used_go_first() -> None:
    embedder = FakeEmbedder()
    cache = VectorCache(embedder, max_texts=2)
    cache.embed(["card", "pin"], {})
    cache.embed(["card"], {})  # used again: "pin" is now the oldest
    cache.embed(["cash"], {})
    embedder.encoded_texts.clear()
    cache.embed(["card", "cash", "pin"], {})
    assert embedder.encoded_texts == ["pin"]
    assert len(cache) == 2


def test_prepare_embeds_in_the_background_and_wait_lets_it_finish() -> None:
    embedder = FakeEmbedder()
    cache = VectorCache(embedder)
    cache.prepare("cash-fees", ["atm cash", "cash machine"])
    cache.wait("cash-fees")
    cache.wait("cash-fees")  # nothing pending: returns at once
    assert sorted(embedder.encoded_texts) == ["atm cash", "cash machine"]
    cache.embed(["atm cash"], {})
    assert len(embedder.encoded_texts) == 2
    cache.close()
