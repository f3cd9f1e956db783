"""The shared ranking: shortlisting before the fetch changes nothing in the answer.

Backends whose candidate queries read only row ids and distances (LanceDB) fetch text, vectors
and asset fields for the shortlist only; the oracle here scores every candidate in full.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reelrag.index import ranking, scoring
from reelrag.index.base import IndexQuery

WORDS = ["red", "shoe", "blue", "sky", "cat", "lake", "mug"]
DIM = 4


def _library(seed: int, size: int) -> dict[str, dict[str, Any]]:
    rng = np.random.default_rng(seed)
    rows = {}
    for i in range(size):
        vector = rng.normal(size=DIM).astype(np.float32)
        # Few distinct vectors and texts, so equal scores (ties) are common.
        vector = np.round(vector / np.linalg.norm(vector), 1)
        text = " ".join(rng.choice(WORDS, size=int(rng.integers(1, 4))))
        rows[f"a{i:03d}"] = {"id": f"a{i:03d}", "key": i, "text": text, "vector": vector}
    return rows


def _oracle(
    query: IndexQuery, found: dict[str, list[dict[str, Any]]], vector: np.ndarray
) -> list[str]:
    """Every candidate scored in full, sorted by the documented order of each mode."""
    lists = [found.get(name, []) for name in ranking.SOURCES]
    order = scoring.rrf([[r["id"] for r in rows] for rows in lists], 60)
    rows = {r["id"]: r for rows in lists for r in rows}
    terms = scoring.terms(query.text)
    scored = [
        scoring.score_candidate(
            query.mode, r["id"], (float(r["vector"] @ vector), None), r["text"], terms, 0.5
        )
        for r in rows.values()
    ]
    if query.mode == "hybrid":
        scored.sort(key=lambda s: (-order[s.id], -s.score, s.id))
    elif query.mode == "vector":
        scored.sort(key=lambda s: (-s.score, s.id))
    else:
        scored.sort(key=lambda s: (-order[s.id], s.id))
    return [s.id for s in scored[: query.limit]]


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    size=st.integers(1, 40),
    limit=st.integers(1, 8),
    mode=st.sampled_from(ranking.MODES),
)
def test_shortlist_then_fetch_ranks_like_scoring_everything(
    seed: int, size: int, limit: int, mode: str
) -> None:
    library = _library(seed, size)
    rng = np.random.default_rng(seed + 1)
    vector = rng.normal(size=DIM).astype(np.float32)
    vector /= np.linalg.norm(vector)
    text = " ".join(rng.choice(WORDS, size=2))
    ids = list(library)
    by_vector = sorted(ids, key=lambda i: (-float(library[i]["vector"] @ vector), i))
    by_text = [i for i in ids if scoring.coverage(scoring.terms(text), library[i]["text"])[0]]
    full = {
        "caption": [library[i] for i in by_vector[: max(1, size // 2)]] if mode != "text" else [],
        "text": [library[i] for i in by_text[: max(1, size // 2)]] if mode != "vector" else [],
    }
    # What a thin backend's candidate queries return: keys and vector cosines, nothing else.
    thin = {
        name: [{"key": r["key"], "cos": float(r["vector"] @ vector)} for r in rows]
        for name, rows in full.items()
    }
    fetched: list[int] = []

    def fetch(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        fetched.extend(r["key"] for r in rows)
        return [{**r, **library[f"a{r['key']:03d}"]} for r in rows]

    def cosines(row: dict[str, Any]) -> tuple[float | None, float | None]:
        return (row["cos"], None)

    query = IndexQuery(text, vector, limit=limit, mode=mode)
    top = ranking.rank(
        query, thin, cosines, rrf_k=60, text_weight=0.5, images=False, image_cal=None,
        key="key", fetch=fetch,
    )  # fmt: skip
    assert [s.id for s, _ in top] == _oracle(query, full, vector)
    assert len(fetched) == len(set(fetched)) <= len({r["key"] for rs in thin.values() for r in rs})
    assert all(row["text"] == library[s.id]["text"] for s, row in top)


def test_fetch_reads_only_the_hits_when_nothing_ties() -> None:
    rows = [{"id": f"a{i}", "text": "", "vector": None} for i in range(50)]
    found = {"caption": rows}
    asked: list[str] = []

    def fetch(shortlist: list[dict[str, Any]]) -> list[dict[str, Any]]:
        asked.extend(r["id"] for r in shortlist)
        return shortlist

    top = ranking.rank(
        IndexQuery("x", np.ones(DIM, np.float32), limit=5, mode="hybrid"), found,
        lambda row: (0.5, None), rrf_k=60, text_weight=0.5, images=False, image_cal=None,
        fetch=fetch,
    )  # fmt: skip
    assert asked == [f"a{i}" for i in range(5)] == [s.id for s, _ in top]
