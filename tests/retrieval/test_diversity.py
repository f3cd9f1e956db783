"""MMR diversity: the vectorised implementation orders hits exactly as the plain definition
does, and orders a 1,000-candidate pool in well under a second (it took 83 s before)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reelrag.diversity import mmr
from reelrag.types import Asset, SearchHit


def reference_mmr(
    hits: Sequence[SearchHit], vectors: dict[str, np.ndarray], diversity: float
) -> list[SearchHit]:
    """The definition, written plainly (the former O(n³) implementation)."""
    relevance, remaining, picked = 1.0 - diversity, list(hits), []
    while remaining:

        def gain(hit: SearchHit) -> float:
            vec = vectors.get(hit.asset.id)
            sims = [float(vec @ vectors[p.asset.id]) for p in picked
                    if vec is not None and p.asset.id in vectors]  # fmt: skip
            return relevance * hit.score - (1.0 - relevance) * max(sims, default=0.0)

        best = max(remaining, key=gain)
        picked.append(best)
        remaining.remove(best)
    return picked


def pool(n: int, seed: int, with_vectors: float = 1.0) -> tuple[list[SearchHit], dict]:
    rng = np.random.default_rng(seed)
    scores = np.sort(rng.random(n))[::-1]
    hits = [SearchHit(Asset(id=f"{i:08x}", source=f"{i}.jpg", width=1, height=1, format="JPEG"),
                      score=float(s)) for i, s in enumerate(scores)]  # fmt: skip
    vecs = rng.normal(size=(n, 16))
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    keep = rng.random(n) < with_vectors
    return hits, {h.asset.id: vecs[i] for i, h in enumerate(hits) if keep[i]}


@settings(max_examples=60, deadline=None, database=None)
@given(
    n=st.integers(0, 30),
    seed=st.integers(0, 10_000),
    diversity=st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]),
    with_vectors=st.sampled_from([0.0, 0.5, 1.0]),
)
def test_same_order_as_the_definition(
    n: int, seed: int, diversity: float, with_vectors: float
) -> None:
    hits, vectors = pool(n, seed, with_vectors)
    assert [h.asset.id for h in mmr(hits, vectors, diversity)] == [
        h.asset.id for h in reference_mmr(hits, vectors, diversity)
    ]


@settings(max_examples=30, deadline=None, database=None)
@given(n=st.integers(0, 30), seed=st.integers(0, 10_000), limit=st.integers(0, 35))
def test_a_limit_picks_the_same_first_hits(n: int, seed: int, limit: int) -> None:
    hits, vectors = pool(n, seed)
    full = [h.asset.id for h in mmr(hits, vectors, 0.6)]
    assert [h.asset.id for h in mmr(hits, vectors, 0.6, limit)] == full[:limit]


def test_a_thousand_candidates_take_well_under_a_second() -> None:
    hits, vectors = pool(1000, 7)
    started = time.perf_counter()
    ordered = mmr(hits, vectors, 0.5)
    assert time.perf_counter() - started < 1.0
    assert sorted(h.asset.id for h in ordered) == sorted(h.asset.id for h in hits)
    assert ordered[0] is hits[0]
