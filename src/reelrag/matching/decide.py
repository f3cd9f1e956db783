"""Re-score an index's candidates with the match confidence (:mod:`reelrag.matching.decision`):
the score that ``min_score`` cuts and that orders the final list."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reelrag.captioning.evidence import has_caption, strong_text
from reelrag.embeddings.base import Embedder
from reelrag.index import scoring
from reelrag.index.base import Index
from reelrag.matching.cohort import Background, background, unit
from reelrag.matching.decision import (
    NO_CAPTION,
    CaptionMatch,
    Evidence,
    MatchModel,
    match_model,
    weigh,
)
from reelrag.matching.objects import NOTHING_ASKED, asked
from reelrag.matching.support import Probe, content_terms, probe
from reelrag.matching.words import Words, query_words
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
    rescored: list[tuple[tuple[float, float, int], SearchHit]] = []
    for position, (hit, ev) in enumerate(assess(hits, query, vector, index, embedder, settings)):
        key = (-round(ev.confidence, 2), -(ev.caption.standout or 0.0), position)
        rescored.append(
            (key, hit.replace(score=round(ev.confidence, 6), why=ev.why(hit.image_score)))
        )
    return [hit for _, hit in sorted(rescored, key=lambda pair: pair[0])]


def assess(
    hits: Sequence[SearchHit],
    query: str,
    vector: np.ndarray,
    index: Index,
    embedder: Embedder,
    settings: Settings,
) -> list[tuple[SearchHit, Evidence]]:
    """Each of ``hits`` with its evidence (:func:`reelrag.matching.decision.weigh`), in order.

    With ``settings.match_every_word`` a multi-word query is probed word by word
    (:mod:`reelrag.matching.support`): a caption that leaves one of its words unsupported is
    only partial caption evidence. With ``settings.match_objects`` a caption that names no kind
    of the query's object (:mod:`reelrag.matching.objects`) counts for less, and one that names
    something else is partial caption evidence."""
    if not hits:
        return []
    query_unit = unit(np.asarray(vector, dtype=np.float32))
    model = match_model(embedder.identity.name, embedder.identity.model)
    cache = settings.workspace / "cache"
    words = probe(embedder, query, query_unit) if settings.match_every_word else None
    weak = query_words(embedder, query, cache) if model.word else None
    # A caption-only index reports the caption cosine as vector_score (clipped at 0, below any
    # floor); with image vectors that is max(caption, image), so the caption vectors are read.
    # The word probes need the caption vectors of the hits whose caption can count.
    probed = words is not None or weak is not None
    wanted = [h.asset.id for h in hits if h.image_score is not None or _probed(h, probed, model)]
    stored = index.vectors(wanted) if wanted else {}
    back = background(embedder, query_unit, cache)
    terms = scoring.terms(query)
    wants = asked(query) if settings.match_objects else NOTHING_ASKED
    assessed = []
    for hit in hits:
        caption = _caption_match(hit, stored, query_unit, back, weak)
        lacking = _unsupported(hit, stored, words)
        ev = weigh(hit, caption, terms, model, settings.hybrid_text_weight, lacking, wants)
        assessed.append((hit, ev))
    return assessed


def _caption_match(
    hit: SearchHit,
    stored: dict[str, np.ndarray],
    query_unit: np.ndarray,
    back: Background,
    weak: Words | None,
) -> CaptionMatch:
    cosine = _caption_cosine(hit, stored, query_unit)
    if cosine is None:
        return NO_CAPTION
    caption = stored.get(hit.asset.id)
    weakest = None if weak is None or caption is None else weak.weakest(caption)
    return CaptionMatch(cosine, back.standout(cosine), weakest)


def _caption_cosine(
    hit: SearchHit, stored: dict[str, np.ndarray], query_unit: np.ndarray
) -> float | None:
    if hit.image_score is None:
        return hit.vector_score
    caption = stored.get(hit.asset.id)
    return None if caption is None else float(unit(np.asarray(caption)) @ query_unit)


def _probed(hit: SearchHit, probed: bool, model: MatchModel) -> bool:
    """Whether ``hit``'s caption is probed word by word: a query that is, a real caption and
    a cosine above the floor where caption evidence starts (the others count 0 anyway)."""
    if not probed or not has_caption(hit.asset):
        return False
    return hit.image_score is not None or (hit.vector_score or 0.0) > model.floor[0]


def _unsupported(
    hit: SearchHit, stored: dict[str, np.ndarray], words: Probe | None
) -> tuple[str, ...]:
    caption = stored.get(hit.asset.id)
    if words is None or caption is None or not has_caption(hit.asset):
        return ()
    return words.unsupported(np.asarray(caption), content_terms(strong_text(hit.asset)))
