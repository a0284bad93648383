"""The vector index: exact inner-product search over normalised passage vectors in FAISS."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt

from kb_service.embedder import Vectors

Ids = npt.NDArray[np.int64]

# A single query is faster on one OpenMP thread than on two here (shared/NOTES.md);
# requests run in parallel instead.
faiss.omp_set_num_threads(1)


class VectorIndex:
    """IndexIDMap2 over IndexFlatIP: cosine scores, with passages added and removed by id."""

    def __init__(self, dimension: int, index: faiss.Index | None = None) -> None:
        self.dimension = dimension
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: Ids, vectors: Vectors) -> None:
        if len(ids) == 0:
            return
        if vectors.shape != (len(ids), self.dimension):
            raise ValueError(f"expected {len(ids)} vectors of {self.dimension}, got {vectors.shape}")
        self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))

    def remove(self, ids: Ids) -> None:
        if len(ids):
            # The Python wrapper accepts an id array and builds the IDSelector; its stubs say otherwise.
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))  # type: ignore[arg-type]

    def search(self, query: Vectors, k: int) -> tuple[npt.NDArray[np.float32], Ids]:
        """Best k passages for each query row: (scores, ids), -1 ids where fewer exist."""
        k = max(1, min(k, len(self)))
        scores, ids = self._index.search(np.ascontiguousarray(query, dtype=np.float32), k)
        return scores, ids

    def ids(self) -> Ids:
        """The ids of every vector held."""
        return faiss.vector_to_array(self._index.id_map).astype(np.int64)  # type: ignore[attr-defined]

    def everything(self) -> tuple[Ids, Vectors]:
        """Every id held and its vector, in one copy (no per-vector calls)."""
        flat = faiss.downcast_index(self._index.index)  # type: ignore[attr-defined]
        codes = faiss.vector_to_array(flat.codes)  # type: ignore[attr-defined]
        vectors = codes.view(np.float32).reshape(-1, self.dimension)
        return self.ids(), vectors.copy()

    def vectors(self, ids: Ids) -> Vectors:
        return np.vstack([self._index.reconstruct(int(i)) for i in ids]).astype(np.float32)

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        faiss.write_index(self._index, str(tmp))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        index = faiss.read_index(str(path))
        return cls(index.d, index)
