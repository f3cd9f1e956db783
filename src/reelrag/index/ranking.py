"""Search semantics shared by every index backend, apart from the engine calls.

Owns the query checks (mode, limit, query vectors), the vector checks on writes, the
embedder-identity check on open, and the ranking of candidates: candidate lists fused by RRF
for the order, absolute scores from :mod:`reelrag.index.scoring`, sorted the same way in every
backend so that LanceDB and OpenSearch answer a query alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from reelrag.embeddings.base import EmbedderIdentity
from reelrag.errors import IndexMismatchError, InputError
from reelrag.index import scoring
from reelrag.index.base import IndexQuery, IndexRecord

MODES = ("hybrid", "vector", "text")
# The candidate lists a search may gather, in the order RRF fuses them.
SOURCES = ("caption", "image", "text")
Vectors = tuple[np.ndarray | None, np.ndarray | None]
Row = dict[str, Any]


def check_query(query: IndexQuery) -> None:
    """Refuse an unknown search mode or a limit below 1."""
    if query.mode not in MODES:
        raise InputError(f"unknown search mode {query.mode!r}", hint="use hybrid, vector or text")
    if query.limit < 1:
        raise InputError(f"limit must be at least 1, not {query.limit}")


def candidate_k(limit: int) -> int:
    """How many candidates each ranking contributes for ``limit`` hits."""
    return max(50, 10 * limit)


def check_vectors(vectors: Sequence[np.ndarray], dim: int) -> np.ndarray:
    """``vectors`` as a float32 matrix; refuse a wrong dimension, NaN or infinity."""
    matrix = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
    if matrix.shape[1] != dim:
        raise InputError(f"vectors have {matrix.shape[1]} dimensions; the index holds {dim}")
    if not np.isfinite(matrix).all():
        raise InputError("a vector contains NaN or infinity", hint="check the embedder's output")
    return matrix


def refuse_image_vectors(records: Sequence[IndexRecord]) -> None:
    """Refuse records with image vectors for an index that holds caption vectors only."""
    if any(r.image_vector is not None for r in records):
        raise InputError(
            "records carry image vectors but this index holds caption vectors only",
            hint="open the index for an embedder whose modalities include image",
        )


def query_vectors(query: IndexQuery, *, images: bool, dim: int) -> Vectors:
    """The caption and image query vectors as float32 (``None``: that side is not searched);
    checked against ``dim`` unless the mode is text, where they only add scores."""
    if query.image_vector is not None and not images:
        raise InputError(
            "this index holds no image vectors",
            hint="search with a caption vector, or use an embedder with the image modality",
        )
    if query.mode == "text":  # vectors only add scores to BM25's candidates
        return _as_float(query.vector), _as_float(query.image_vector)
    if query.vector is None and query.image_vector is None:
        raise InputError(f"{query.mode} search needs a query vector", hint="or use mode text")
    vector, image = (
        None if v is None else check_vectors([v], dim)[0]
        for v in (query.vector, query.image_vector)
    )
    return vector, image


def check_identity(
    index: str,
    identity: EmbedderIdentity,
    stored: tuple[str, str],
    *,
    rebuild_hint: str,
) -> None:
    """Refuse an index built by another embedder or holding other modalities.

    ``index`` names the index in messages; ``stored`` is its (embedder key, modalities label).
    """
    key, modalities = stored[0] or "an unknown embedder", stored[1]
    if key != identity.key():
        raise IndexMismatchError(
            f"{index} was built with {key}, but the configured embedder is {identity.key()}",
            hint=rebuild_hint,
        )
    wanted = ",".join(sorted(identity.modalities))
    if modalities != wanted:
        raise IndexMismatchError(
            f"{index} holds {modalities} vectors, "
            f"but the embedder {identity.key()} embeds {wanted}",
            hint="refill it with `reelrag ingest --reindex` so every asset gets its vectors",
        )


def rank(
    query: IndexQuery,
    found: dict[str, list[Row]],
    cosines: Callable[[Row], tuple[float | None, float | None]],
    *,
    rrf_k: int,
    text_weight: float,
    images: bool,
    image_cal: scoring.Calibration | None,
    key: str = "id",
    fetch: Callable[[list[Row]], list[Row]] | None = None,
) -> list[tuple[scoring.Scored, Row]]:
    """The best ``query.limit`` candidates with their absolute scores, best first.

    ``found`` holds the candidate rows of each :data:`SOURCES` list that ran, identified by
    ``key``; ``cosines`` gives a row's caption and image cosines with the query (``None``: not
    compared); ``images`` says the index holds image vectors and ``image_cal`` is their
    calibration when the query has an image side. ``fetch`` completes the shortlisted rows
    (text, vectors, asset fields) for a backend whose candidate queries read less. Hybrid and
    text follow the RRF order (hybrid breaks ties by score); vector follows the absolute score.
    """
    lists = [found.get(name, []) for name in SOURCES]
    candidates = {row[key]: row for rows in reversed(lists) for row in rows}
    order = scoring.rrf([[r[key] for r in rows] for rows in lists], rrf_k)
    tie = order if images else {}  # calibrated image scores clip at 1: vector order breaks ties

    def vector_first(row: Row) -> tuple[float, float]:
        score = scoring.vector_evidence(cosines(row), image_cal)[0] or 0.0
        return -score, -tie.get(row[key], 0.0)

    if query.mode == "vector":
        shortlist = _best(list(candidates.values()), query.limit, vector_first)
    else:
        shortlist = _best(list(candidates.values()), query.limit, lambda r: -order[r[key]])
    rows = fetch(shortlist) if fetch is not None else shortlist
    query_terms = scoring.terms(query.text)
    scored = [
        (scoring.score_candidate(
            query.mode, row["id"], cosines(row), row.get("text") or "", query_terms,
            text_weight, image_cal,
        ), row)
        for row in rows
    ]  # fmt: skip
    if query.mode == "hybrid":
        scored.sort(key=lambda p: (-order[p[1][key]], -p[0].score, p[0].id))
    elif query.mode == "vector":
        scored.sort(key=lambda p: (-p[0].score, -tie.get(p[1][key], 0.0), p[0].id))
    else:
        scored.sort(key=lambda p: (-order[p[1][key]], p[0].id))  # BM25 order
    return scored[: query.limit]


def _best(rows: list[Row], limit: int, sort_key: Callable[[Row], Any]) -> list[Row]:
    """The ``limit`` best ``rows`` by ``sort_key`` plus every row tied with the last of them:
    only these can make the final list, whatever breaks their ties."""
    if len(rows) <= limit:
        return rows
    keys = [sort_key(row) for row in rows]
    cut = sorted(keys)[limit - 1]
    return [row for row, k in zip(rows, keys, strict=True) if k <= cut]


def unit(vectors: np.ndarray) -> np.ndarray:
    """``vectors`` scaled to unit length along the last axis (zero vectors stay zero)."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def unit_or_none(vector: np.ndarray | None) -> np.ndarray | None:
    return None if vector is None else unit(vector)


def cosine(stored: Any, query: np.ndarray | None) -> float | None:
    """Cosine of a stored vector (``None``: absent) with a unit query vector."""
    if stored is None or query is None:
        return None
    return float(unit(np.asarray(stored, np.float32)) @ query)


def nearest_rows(rows: list[Row], field: str, vector: np.ndarray, k: int) -> list[Row]:
    """The ``k`` rows nearest the unit ``vector`` on ``field``, scored in the client (rows
    lacking it are skipped): exact search for an engine without vector search."""
    having = [r for r in rows if r.get(field) is not None]
    if not having:
        return []
    matrix = unit(np.asarray([r[field] for r in having], np.float32))
    order = np.argsort(-(matrix @ vector), kind="stable")[:k]
    return [having[i] for i in order]


def _as_float(vector: Any) -> np.ndarray | None:
    return None if vector is None else np.asarray(vector, dtype=np.float32)
