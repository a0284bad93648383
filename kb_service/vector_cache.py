"""Passage vectors kept by the text that was embedded, so that publishing an article embeds
little or nothing: the vectors of versions the index replaced or dropped (unpublish then
publish, restore), and of drafts embedded in the background when they are saved (an article
with a hundred phrasings takes seconds to embed on a busy CPU; its publish then takes
milliseconds). Bounded: the least recently used vectors go first."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait

import numpy as np

from kb_service.embedder import Embedder, Vectors

log = logging.getLogger(__name__)

# About 30 MB of 384-dimensional vectors: the passages of some two hundred articles.
MAX_TEXTS = 20_000
# How long publishing waits for the background embedding of the same draft to finish.
WAIT_SECONDS = 60.0


class VectorCache:
    """Thread-safe; `prepare` embeds on one background thread."""

    def __init__(self, embedder: Embedder, *, max_texts: int = MAX_TEXTS) -> None:
        self.embedder = embedder
        self.max_texts = max_texts
        self._vectors: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: dict[str, Future[None]] = {}
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kb-prepare")

    def __len__(self) -> int:
        return len(self._vectors)

    def put(self, vectors: Mapping[str, Vectors]) -> None:
        with self._lock:
            for text, vector in vectors.items():
                self._vectors[text] = vector
                self._vectors.move_to_end(text)
            while len(self._vectors) > self.max_texts:
                self._vectors.popitem(last=False)

    def embed(self, texts: list[str], known: Mapping[str, Vectors]) -> Vectors:
        """One row per text: from `known`, from the cache, or embedded now (and kept)."""
        found = dict(known)
        with self._lock:
            for text in texts:
                if text not in found and text in self._vectors:
                    found[text] = self._vectors[text]
                    self._vectors.move_to_end(text)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            fresh = dict(zip(missing, self.embedder.encode(missing), strict=True))
            self.put(fresh)
            found.update(fresh)
        if not texts:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        return np.vstack([found[t] for t in texts]).astype(np.float32)

    def prepare(self, key: str, texts: list[str]) -> None:
        """Embed `texts` in the background (a draft that may be published soon)."""
        future = self._worker.submit(self._prepare, texts)
        with self._lock:
            self._pending[key] = future
        future.add_done_callback(lambda done: self._forget(key, done))

    def _forget(self, key: str, done: Future[None]) -> None:
        with self._lock:
            if self._pending.get(key) is done:
                del self._pending[key]

    def _prepare(self, texts: list[str]) -> None:
        try:
            self.embed(texts, {})
        except Exception:  # a draft that could not be embedded now is embedded when published
            log.exception("embedding a draft ahead of its publication failed")

    def wait(self, key: str) -> None:
        """Let a background embedding of `key` finish first, rather than embed it twice."""
        with self._lock:
            pending = self._pending.pop(key, None)
        if pending is not None:
            wait([pending], timeout=WAIT_SECONDS)

    def close(self) -> None:
        self._worker.shutdown(wait=False, cancel_futures=True)
