"""Exact caption-vector search in memory for tables without an ANN index.

Below ``ann_min_rows`` a LanceDB vector query is a full scan that costs ~15 ms at 10k rows on
2 cores; the same scan as one numpy matrix-vector product over the snapshot's vectors, read
once per table version, costs well under a millisecond, so a busy server answers several times
more searches. Used only where the result is the same: the caption column, no filter (a filter
runs inside Lance), no ANN index, a caption-only table (rows carry ``_distance`` only).
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np

from reelrag.index.lance.schema import vector_matrix
from reelrag.index.lance.search import ROW_ID, Row, Snapshot

_CACHE: weakref.WeakKeyDictionary[Snapshot, tuple[np.ndarray, np.ndarray]] = (
    weakref.WeakKeyDictionary()
)
_LOCK = threading.Lock()


def applies(snap: Snapshot, column: str, where: str | None) -> bool:
    """True when :func:`vector_leg` returns what the Lance query would."""
    return column == "vector" and where is None and not snap.ivf and not snap.images


def vector_leg(
    snap: Snapshot, vector: np.ndarray, column: str, where: str | None, k: int
) -> list[Row]:
    """The ``k`` nearest rows by cosine: ``{_rowid, _distance}`` rows, nearest first."""
    ids, unit = _vectors(snap)
    if not len(ids):
        return []
    query = np.asarray(vector, dtype=np.float32)
    query = query / max(float(np.linalg.norm(query)), 1e-12)
    cosine = np.einsum("ij,j->i", unit, query)  # no BLAS threads: ~5x faster on busy cores
    k = min(k, len(ids))
    top = np.argpartition(-cosine, k - 1)[:k]
    top = top[np.argsort(-cosine[top], kind="stable")]
    return [{ROW_ID: int(ids[i]), "_distance": float(1.0 - cosine[i])} for i in top]


def _vectors(snap: Snapshot) -> tuple[np.ndarray, np.ndarray]:
    """(row ids, unit caption vectors) of the snapshot, read once and shared."""
    with _LOCK:
        cached = _CACHE.get(snap)
        if cached is None:
            cached = _read(snap.dataset, snap.dim)
            _CACHE[snap] = cached
        return cached


def _read(dataset: Any, dim: int) -> tuple[np.ndarray, np.ndarray]:
    table = dataset.to_table(columns=["vector"], with_row_id=True)
    ids = np.asarray(table.column(ROW_ID).to_numpy(), dtype=np.uint64)
    matrix = vector_matrix(table, dim)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return ids, (matrix / np.maximum(norms, 1e-12)).astype(np.float32)
