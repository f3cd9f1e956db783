"""``index.lance_search``: the candidate queries of one search against one Lance version.

A search reads one :class:`Snapshot` (a Lance dataset pinned at a table version), so the row
ids that its candidate queries return stay valid for the final fetch even when another writer
compacts the table meanwhile. The candidate queries read as little as ranking needs: the
caption-vector query returns row ids and ``_distance`` (1 - cosine), the BM25 query row ids and
``_score``; text, vectors and the asset fields are read for the few shortlisted rows only
(:func:`fetch`). Measured at 100k rows on 2 cores: each column a query materialises costs
~0.2 ms per query, and LanceDB's query builder adds ~2 ms over the dataset scanner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from reelrag.errors import InputError
from reelrag.index import scoring
from reelrag.index.base import ASSET_FIELDS
from reelrag.index.lance.schema import IMAGE_COLUMN, candidate_rows

Row = dict[str, Any]
ROW_ID = "_rowid"


@dataclass(frozen=True)
class Snapshot:
    """A Lance dataset at one version, what it holds and how to probe its ANN index."""

    dataset: Any
    dim: int
    images: bool  # the table holds image vectors too
    ivf: bool  # the caption vectors have an ANN index
    nprobes: int
    rows: int = 0  # rows at this version

    def vectors(self) -> list[str]:
        return ["vector", IMAGE_COLUMN] if self.images else ["vector"]


def vector_leg(
    snap: Snapshot, vector: np.ndarray, column: str, where: str | None, k: int
) -> list[Row]:
    """The ``k`` nearest rows on ``column``. A caption-only table returns no vectors: the
    distance is the cosine; with image vectors both are read, as both rank a candidate."""
    nearest: dict[str, Any] = {"column": column, "q": vector, "k": k, "metric": "cosine"}
    if column == "vector" and snap.ivf:
        nearest |= {"minimum_nprobes": snap.nprobes, "maximum_nprobes": snap.nprobes}
    columns = [*(snap.vectors() if snap.images else []), "_distance"]
    return _run(snap, columns, where, nearest=nearest)


def text_leg(snap: Snapshot, text: str, where: str | None, k: int) -> list[Row]:
    """The ``k`` best BM25 rows for ``text`` (no query terms: none)."""
    if not scoring.terms(text):
        return []
    query = {"query": text, "columns": ["text"]}
    try:
        return _run(snap, ["_score"], where, full_text_query=query, limit=k)
    except ValueError as exc:
        raise InputError(f"cannot run the text query {text!r}: {exc}") from exc


def _run(snap: Snapshot, columns: list[str], where: str | None, **query: Any) -> list[Row]:
    data = snap.dataset.to_table(
        columns=columns, filter=where, prefilter=bool(where), with_row_id=True,
        disable_scoring_autoprojection=True, **query,
    )  # fmt: skip
    return candidate_rows(data, snap.dim)


def fetch(snap: Snapshot, rows: list[Row]) -> list[Row]:
    """``rows`` completed with their text, vectors and asset fields, in the same order."""
    if not rows:
        return []
    taken = snap.dataset._take_rows([row[ROW_ID] for row in rows], columns=fetch_columns(snap))
    return [
        {**row, **full} for row, full in zip(rows, candidate_rows(taken, snap.dim), strict=True)
    ]


def fetch_columns(snap: Snapshot) -> list[str]:
    """The columns that :func:`fetch` adds to a candidate row."""
    return ["text", *snap.vectors(), *ASSET_FIELDS]


def cosines(
    snap: Snapshot, row: Row, vector: np.ndarray | None, image: np.ndarray | None
) -> tuple[float | None, float | None]:
    """A row's caption and image cosines with the query (``None``: not compared). In a
    caption-only table, a row that the caption-vector query found has its ``_distance``."""
    stored, stored_image = row.get("vector"), row.get(IMAGE_COLUMN)
    if vector is None:
        caption = None
    elif not snap.images and "_distance" in row:
        caption = 1.0 - float(row["_distance"])
    else:
        caption = None if stored is None else float(stored @ vector)
    if image is None or stored_image is None:
        return caption, None
    return caption, float(stored_image @ image)
