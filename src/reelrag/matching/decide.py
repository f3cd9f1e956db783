"""Re-score an index's candidates with the match confidence (:mod:`reelrag.matching.decision`):
the score that ``min_score`` cuts and that orders the final list."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reelrag.captioning.evidence import has_caption, strong_text
from reelrag.embeddings.base import Embedder
from reelrag.index import scoring
from reelrag.index.base import Index
from reelrag.matching.cohort import background, unit
from reelrag.matching.decision import MatchModel, match_model, weigh
from reelrag.matching.objects import NOTHING_ASKED, asked
from reelrag.matching.support import Probe, content_terms, probe, says_otherwise
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
    caption stands out, then by the index's order. With ``settings.match_every_word`` a
    multi-word query is probed word by word (:mod:`reelrag.matching.support`): a caption that
    leaves one of its words unsupported is only partial caption evidence. With
    ``settings.match_objects`` a caption that names no kind of the query's object
    (:mod:`reelrag.matching.objects`) must stand out further, and one that names something
    else is partial caption evidence."""
    if not hits:
        return []
    query_unit = unit(np.asarray(vector, dtype=np.float32))
    model = match_model(embedder.identity.name, embedder.identity.model)
    words = probe(embedder, query, query_unit) if settings.match_every_word else None
    # A caption-only index reports the caption cosine as vector_score (clipped at 0, below any
    # floor); with image vectors that is max(caption, image), so the caption vectors are read.
    # The probe needs the caption vectors of the hits whose caption can count.
    wanted = [h.asset.id for h in hits if h.image_score is not None or _probed(h, words, model)]
    stored = index.vectors(wanted) if wanted else {}
    back = background(embedder, query_unit, settings.workspace / "cache")
    terms = scoring.terms(query)
    wants = asked(query) if settings.match_objects else NOTHING_ASKED
    said = says_otherwise(embedder) if wants.settings else None
    rescored: list[tuple[tuple[float, float, int], SearchHit]] = []
    for position, hit in enumerate(hits):
        cosine = _caption_cosine(hit, stored, query_unit)
        lacking = _unsupported(hit, stored, words)
        ev = weigh(hit, cosine, back, terms, model, settings.hybrid_text_weight, lacking, wants,
                   said)  # fmt: skip
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


def _probed(hit: SearchHit, words: Probe | None, model: MatchModel) -> bool:
    """Whether ``hit``'s caption is probed word by word: a multi-word query, a real caption
    and a cosine above the floor where caption evidence starts (the others count 0 anyway)."""
    if words is None or not has_caption(hit.asset):
        return False
    return hit.image_score is not None or (hit.vector_score or 0.0) > model.floor[0]


def _unsupported(
    hit: SearchHit, stored: dict[str, np.ndarray], words: Probe | None
) -> tuple[str, ...]:
    caption = stored.get(hit.asset.id)
    if words is None or caption is None or not has_caption(hit.asset):
        return ()
    return words.unsupported(np.asarray(caption), content_terms(strong_text(hit.asset)))
