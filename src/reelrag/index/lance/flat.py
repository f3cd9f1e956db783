"""Small tables (no ANN index) searched and read in memory, once per table version.

Below ``ann_min_rows`` a LanceDB vector query is a full scan that costs ~15 ms at 10k rows on
2 cores; the same scan as one numpy matrix-vector product over the snapshot's vectors costs
well under a millisecond, so a busy server answers several times more searches. Used only where
the result is the same: the caption column, no filter (a filter runs inside Lance), no ANN
index, a caption-only table (rows carry ``_distance`` only).

Up to :data:`RESIDENT_MAX_ROWS` rows, the shortlisted rows' text, vectors and asset fields are
taken from the same in-memory copy (:func:`fetch`): a Lance ``take_rows`` of 12 rows cost ~1 ms
plus two thread hops per search at 10k rows, an Arrow ``take`` ~0.05 ms, and the values are the
same. The copy holds what a fetch returns for every row plus the unit caption vectors, ~3.3 kB
a row at 384 dimensions (33 MB at 10k rows), read on the first search after each write.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from reelrag.index.lance.schema import candidate_rows, vector_matrix
from reelrag.index.lance.search import ROW_ID, Row, Snapshot, fetch_columns
from reelrag.index.lance.search import fetch as lance_fetch

RESIDENT_MAX_ROWS = 50_000  # the default ann_min_rows: a larger table is about to get its index


@dataclass(frozen=True)
class Resident:
    """One snapshot's rows in memory: the unit caption vectors, and what :func:`fetch` returns
    when the snapshot :func:`holds` its rows."""

    ids: np.ndarray  # row ids, in scan order
    unit: np.ndarray  # unit caption vectors, in scan order
    table: pa.Table | None = None  # row id plus the fetched columns, in scan order
    by_id: np.ndarray | None = None  # positions that sort ``ids``


_CACHE: weakref.WeakKeyDictionary[Snapshot, Resident] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def applies(snap: Snapshot, column: str, where: str | None) -> bool:
    """True when :func:`vector_leg` returns what the Lance query would."""
    return column == "vector" and where is None and not snap.ivf and not snap.images


def holds(snap: Snapshot) -> bool:
    """True when :func:`fetch` reads from memory: no ANN index and at most
    :data:`RESIDENT_MAX_ROWS` rows (a larger one waiting for its index keeps only vectors)."""
    return not snap.ivf and snap.rows <= RESIDENT_MAX_ROWS


def vector_leg(
    snap: Snapshot, vector: np.ndarray, column: str, where: str | None, k: int
) -> list[Row]:
    """The ``k`` nearest rows by cosine: ``{_rowid, _distance}`` rows, nearest first."""
    held = resident(snap)
    ids, unit = held.ids, held.unit
    if not len(ids):
        return []
    query = np.asarray(vector, dtype=np.float32)
    query = query / max(float(np.linalg.norm(query)), 1e-12)
    cosine = np.einsum("ij,j->i", unit, query)  # no BLAS threads: ~5x faster on busy cores
    k = min(k, len(ids))
    top = np.argpartition(-cosine, k - 1)[:k]
    top = top[np.argsort(-cosine[top], kind="stable")]
    return [{ROW_ID: int(ids[i]), "_distance": float(1.0 - cosine[i])} for i in top]


def fetch(snap: Snapshot, rows: list[Row]) -> list[Row]:
    """What :func:`reelrag.index.lance.search.fetch` returns, read from memory where the
    snapshot :func:`holds` its rows."""
    if not rows or not holds(snap):
        return lance_fetch(snap, rows)
    held = resident(snap)
    assert held.table is not None and held.by_id is not None  # held: read with its columns
    wanted = np.asarray([row[ROW_ID] for row in rows], dtype=np.uint64)
    place = np.minimum(np.searchsorted(held.ids, wanted, sorter=held.by_id), len(held.ids) - 1)
    found = held.by_id[place]
    if not np.array_equal(held.ids[found], wanted):  # never for rows of this snapshot
        return lance_fetch(snap, rows)
    taken = candidate_rows(held.table.take(pa.array(found)).drop_columns([ROW_ID]), snap.dim)
    return [{**row, **full} for row, full in zip(rows, taken, strict=True)]


def resident(snap: Snapshot) -> Resident:
    """The snapshot's rows in memory, read once and shared by every search on it."""
    with _LOCK:
        cached = _CACHE.get(snap)
        if cached is None:
            cached = _read(snap)
            _CACHE[snap] = cached
        return cached


def _read(snap: Snapshot) -> Resident:
    held = holds(snap)
    columns = fetch_columns(snap) if held else ["vector"]
    table = snap.dataset.to_table(columns=columns, with_row_id=True).combine_chunks()
    ids = np.asarray(table.column(ROW_ID).to_numpy(), dtype=np.uint64)
    matrix = vector_matrix(table, snap.dim)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = (matrix / np.maximum(norms, 1e-12)).astype(np.float32)
    if not held:
        return Resident(ids, unit)
    return Resident(ids, unit, table, np.argsort(ids, kind="stable"))
