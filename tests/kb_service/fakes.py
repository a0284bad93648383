"""Test doubles for the knowledge service's seams."""

from __future__ import annotations

import re

import numpy as np

from kb_service.embedder import Vectors

# Each known word points along one axis; everything else shares the last axis. Texts about
# the same thing therefore get similar vectors, with no model involved.
VOCABULARY = {
    "card": 0,
    "cards": 0,
    "arrive": 1,
    "arrived": 1,
    "delivery": 1,
    "post": 1,
    "pin": 2,
    "blocked": 2,
    "exchange": 3,
    "currency": 3,
    "rate": 3,
    "refund": 4,
    "merchant": 4,
    "cash": 5,
    "atm": 5,
    "machine": 5,
    "weather": 6,
    "pizza": 7,
}
DIMENSION = 9


class FakeEmbedder:
    """Bag-of-words vectors over a hand-written vocabulary; counts its calls."""

    name = "fake-bow"
    dimension = DIMENSION

    def __init__(self) -> None:
        self.warmed_up = False
        self.encoded_texts: list[str] = []

    def warm_up(self) -> None:
        self.warmed_up = True

    def encode(self, texts: list[str]) -> Vectors:
        self.encoded_texts.extend(texts)
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                out[row, VOCABULARY.get(word, DIMENSION - 1)] += 1.0
            out[row, DIMENSION - 1] += 0.1  # never a zero vector
        return out / np.linalg.norm(out, axis=1, keepdims=True)
