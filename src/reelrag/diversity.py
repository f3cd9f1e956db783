"""Maximal marginal relevance (MMR) over a ranked candidate pool, vectorised with numpy.

Each pick computes the similarities of every candidate to the picked hit (one matrix-vector
product) and updates every candidate's "most similar already-picked" value in one vector
operation, so ordering ``k`` of ``n`` candidates costs O(k·n) numpy work instead of O(n³)
Python loops (200 of 1,000 candidates: tens of milliseconds instead of over a minute).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from reelrag.types import SearchHit


def mmr(
    hits: Sequence[SearchHit],
    vectors: Mapping[str, np.ndarray],
    diversity: float,
    limit: int | None = None,
) -> list[SearchHit]:
    """Maximal marginal relevance: trade score against similarity to what is already picked.

    ``diversity`` 0 keeps score order; 1 picks the most different hits after the best one.
    Hits without a stored vector keep their relevance but never count as similar. Ties go to
    the earlier hit. With ``limit``, only the first ``limit`` hits are picked (the rest of the
    pool is left out): the same first ``limit`` hits, in less time.
    """
    n = len(hits) if limit is None else min(len(hits), max(limit, 0))
    if len(hits) < 2:
        return list(hits[:n])
    relevance = 1.0 - diversity
    scores = np.array([h.score for h in hits], dtype=np.float64)
    has_vector, matrix = _matrix(hits, vectors)
    closest = np.zeros(len(hits))  # max similarity to a picked hit with a vector (0 before any)
    any_picked = False
    free = np.ones(len(hits), dtype=bool)
    order: list[int] = []
    for _ in range(n):
        penalty = np.where(has_vector, closest, 0.0) if any_picked else 0.0
        gain = np.where(free, relevance * scores - (1.0 - relevance) * penalty, -np.inf)
        best = int(np.argmax(gain))
        order.append(best)
        free[best] = False
        if has_vector[best]:
            # one row of similarities per pick; einsum, not BLAS: its threads spin on busy cores
            sims = np.einsum("ij,j->i", matrix, matrix[best])
            closest = sims if not any_picked else np.maximum(closest, sims)
            any_picked = True
    return [hits[i] for i in order]


def _matrix(
    hits: Sequence[SearchHit], vectors: Mapping[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Which hits have a vector, and the hits' vectors as rows (zeros where one has none)."""
    has_vector = np.array([h.asset.id in vectors for h in hits], dtype=bool)
    if not has_vector.any():
        return has_vector, np.zeros((len(hits), 1))
    dim = len(next(iter(vectors[h.asset.id] for h in hits if h.asset.id in vectors)))
    matrix = np.zeros((len(hits), dim), dtype=np.float64)
    for i, hit in enumerate(hits):
        if has_vector[i]:
            matrix[i] = vectors[hit.asset.id]
    return has_vector, matrix
