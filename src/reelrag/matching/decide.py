"""Re-score an index's candidates with the match confidence (:mod:`reelrag.matching.decision`):
the score that ``min_score`` cuts and that orders the final list."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reelrag.embeddings.base import Embedder
from reelrag.index import scoring
from reelrag.index.base import Index
from reelrag.matching.cohort import background, unit
from reelrag.matching.decision import match_model, weigh
from reelrag.settings import Settings
from reelrag.types import SearchHit


def decide(
    hits: Sequence[SearchHit],
    query: str,
    vector: np.ndarray,
    index: Index,
    embedder: Embedder,
    settings: Settings,
) -> list[SearchHit]:
    """``hits`` with ``score`` = match confidence and ``why`` its evidence, best first.

    Confidence saturates near 1, so hits equal to two decimals are ordered by how far their
    caption stands out, then by the index's order."""
    if not hits:
        return []
    # A caption-only index reports the caption cosine as vector_score (clipped at 0, below any
    # floor); with image vectors that is max(caption, image), so the caption vectors are read.
    multimodal = [h.asset.id for h in hits if h.image_score is not None]
    stored = index.vectors(multimodal) if multimodal else {}
    query_unit = unit(np.asarray(vector, dtype=np.float32))
    back = background(embedder, query_unit, settings.workspace / "cache")
    model = match_model(embedder.identity.name, embedder.identity.model)
    terms = scoring.terms(query)
    rescored: list[tuple[tuple[float, float, int], SearchHit]] = []
    for position, hit in enumerate(hits):
        cosine = _caption_cosine(hit, stored, query_unit)
        ev = weigh(hit, cosine, back, terms, model, settings.hybrid_text_weight)
        key = (-round(ev.confidence, 2), -(ev.standout or 0.0), position)
        rescored.append(
            (key, hit.replace(score=round(ev.confidence, 6), why=ev.why(hit.image_score)))
        )
    return [hit for _, hit in sorted(rescored, key=lambda pair: pair[0])]


def _caption_cosine(
    hit: SearchHit, stored: dict[str, np.ndarray], query_unit: np.ndarray
) -> float | None:
    if hit.image_score is None:
        return hit.vector_score
    caption = stored.get(hit.asset.id)
    return None if caption is None else float(unit(np.asarray(caption)) @ query_unit)
