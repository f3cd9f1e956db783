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
) -> list[tuple[scoring.Scored, Row]]:
    """The best ``query.limit`` candidates with their absolute scores, best first.

    ``found`` holds the candidate rows of each :data:`SOURCES` list that ran; ``cosines`` gives
    a row's caption and image cosines with the query (``None``: not compared); ``images`` says
    the index holds image vectors and ``image_cal`` is their calibration when the query has an
    image side. Hybrid and text follow the RRF order (hybrid breaks ties by score); vector
    follows the absolute score.
    """
    lists = [found.get(name, []) for name in SOURCES]
    candidates = {row["id"]: row for rows in reversed(lists) for row in rows}
    order = scoring.rrf([[r["id"] for r in rows] for rows in lists], rrf_k)
    query_terms = scoring.terms(query.text)
    scored = [
        scoring.score_candidate(
            query.mode, row["id"], cosines(row), row.get("text") or "", query_terms,
            text_weight, image_cal,
        )
        for row in candidates.values()
    ]  # fmt: skip
    if query.mode == "hybrid":
        scored.sort(key=lambda s: (-order[s.id], -s.score, s.id))
    elif query.mode == "vector":
        # Calibrated image scores clip at 1: the raw vector order breaks their ties.
        tie = order if images else {}
        scored.sort(key=lambda s: (-s.score, -tie.get(s.id, 0.0), s.id))
    else:
        scored.sort(key=lambda s: (-order[s.id], s.id))  # BM25 order
    return [(s, candidates[s.id]) for s in scored[: query.limit]]


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
