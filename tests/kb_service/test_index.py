"""The FAISS vector index: ids and vectors stay paired through adds and removals."""

from __future__ import annotations

import numpy as np

from kb_service.index import VectorIndex


def test_everything_returns_each_id_with_its_own_vector_after_removals() -> None:
    index = VectorIndex(3)
    vectors = np.eye(3, dtype=np.float32)
    index.add(np.array([10, 20, 30], dtype=np.int64), vectors)
    index.remove(np.array([20], dtype=np.int64))
    ids, held = index.everything()
    assert ids.tolist() == [10, 30]
    assert np.array_equal(held, vectors[[0, 2]])
    index.add(np.array([40], dtype=np.int64), vectors[[1]])
    ids, held = index.everything()
    assert dict(zip(ids.tolist(), map(tuple, held.tolist()), strict=True)) == {
        10: (1.0, 0.0, 0.0),
        30: (0.0, 0.0, 1.0),
        40: (0.0, 1.0, 0.0),
    }
