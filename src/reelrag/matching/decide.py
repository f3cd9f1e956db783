"""Re-score an index's candidates with the match confidence (:mod:`reelrag.matching.decision`,
then :mod:`reelrag.matching.acceptance` where the embedder has a fitted model): the score that
``min_score`` cuts and that orders the final list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from reelrag.captioning.evidence import has_caption, strong_text
from reelrag.embeddings.base import Embedder
from reelrag.index import scoring
from reelrag.index.base import Index
from reelrag.matching.acceptance import Acceptance, features
from reelrag.matching.cohort import background, unit
from reelrag.matching.decision import Evidence, MatchModel, match_model, weigh
from reelrag.matching.objects import NOTHING_ASKED, asked
from reelrag.matching.rule import Rule, builtin_rule
from reelrag.matching.support import (
    PARTIAL,
    SUPPORTED,
    Probe,
    Support,
    content_terms,
    probe,
    says_otherwise,
)
from reelrag.matching.verifier import Verifier
from reelrag.settings import Settings
from reelrag.types import SearchHit

# The learned rule probes a query word by word only when a candidate's hand-built confidence
# reaches this: none of the 438 labelled queries whose best one stays below 0.1 is accepted by
# it, whatever the words' support (benchmarks/fit_acceptance.py's rows; docs/retrieval.md).
PROBE_FLOOR = 0.1


@dataclass(frozen=True)
class Weighed:
    """One candidate with its hand-built evidence, its caption's word support and the
    verifier's logits for (caption, query) where a verifier read it."""

    hit: SearchHit
    evidence: Evidence
    support: Support
    logits: tuple[float, ...] | None = None

    def features(self) -> list[float]:
        return features(self.evidence, self.support, self.logits or ())


def decide(
    hits: Sequence[SearchHit],
    query: str,
    vector: np.ndarray,
    index: Index,
    embedder: Embedder,
    settings: Settings,
    rule: Rule | None = None,
) -> list[SearchHit]:
    """``hits`` with ``score`` = match confidence and ``why`` its evidence, best first.

    Confidence saturates near 1, so hits equal to two decimals are ordered by how far their
    caption stands out, then by the index's order. With ``settings.match_learned`` (and an
    embedder with a fitted model) the fitted acceptance model
    (:mod:`reelrag.matching.acceptance`) weighs each captioned hit's evidence and word support.
    With ``settings.match_every_word`` a caption that leaves a word of a multi-word query
    unsupported is only partial caption evidence. With ``settings.match_objects`` a caption
    that names no kind of the query's object (:mod:`reelrag.matching.objects`) must stand out
    further, and one that names something else is partial caption evidence. ``rule`` (default:
    the built-in one, :mod:`reelrag.matching.rule`) is the acceptance model and its verifier;
    a hit the verifier did not read keeps the hand-built confidence."""
    rule = rule or builtin_rule(embedder.identity)
    weighed = weigh_all(hits, query, vector, index, embedder, settings, rule=rule)
    learned = rule.acceptance if settings.match_learned else None
    rescored: list[tuple[tuple[float, float, int], SearchHit]] = []
    for position, one in enumerate(weighed):
        ev = one.evidence
        read = rule.verifier is None or one.logits is not None
        if learned is not None and has_caption(one.hit.asset) and read:
            ev = _learned(one, learned, settings.match_every_word)
        key = rank_key(ev, position)
        hit = one.hit.replace(score=round(ev.confidence, 6), why=ev.why(one.hit.image_score))
        rescored.append((key, hit))
    return [hit for _, hit in sorted(rescored, key=lambda pair: pair[0])]


def rank_key(evidence: Evidence, position: int) -> tuple[float, float, int]:
    """The order of hits: confidence to two decimals (it saturates near 1), then how far the
    caption stands out, then the index's order (``position``)."""
    return (-round(evidence.confidence, 2), -(evidence.standout or 0.0), position)


def _learned(one: Weighed, model: Acceptance, every_word: bool) -> Evidence:
    """``one``'s evidence with the fitted model's confidence. A caption and keywords holding
    every term of the query keep at least the hand-built confidence ("portrait" against
    "Portrait of Grace Hopper ..."; the labelled queries have too few such hits to teach the
    model). A caption that leaves a query word unsupported stays partial evidence with
    ``every_word`` (the opt-in check)."""
    confidence = model.confidence(one.features())
    if one.evidence.text >= 1.0:
        confidence = max(confidence, one.evidence.confidence)
    if every_word and one.support.lacking:
        confidence = min(confidence, PARTIAL)
    push = model.push(one.logits) if one.logits else None
    return replace(one.evidence, confidence=confidence, lacking=one.support.lacking, verifier=push)


def weigh_all(
    hits: Sequence[SearchHit],
    query: str,
    vector: np.ndarray,
    index: Index,
    embedder: Embedder,
    settings: Settings,
    probe_floor: float = PROBE_FLOOR,
    rule: Rule | None = None,
) -> list[Weighed]:
    """Each of ``hits`` with its hand-built evidence (:func:`reelrag.matching.decision.weigh`)
    and word support, in the index's order. For the learned rule alone, a query whose every
    candidate is below ``probe_floor`` is not probed word by word (0: every multi-word query
    is, as when the rule was fitted). With a verifier in ``rule``, it reads the captioned hits
    at or above ``probe_floor``."""
    if not hits:
        return []
    rule = rule or builtin_rule(embedder.identity)
    query_unit = unit(np.asarray(vector, dtype=np.float32))
    model = match_model(embedder.identity.name, embedder.identity.model)
    learned = settings.match_learned and rule.acceptance is not None
    probing = (learned or settings.match_every_word) and len(content_terms(query)) >= 2
    words = probe(embedder, query, query_unit) if probing and settings.match_every_word else None
    # A caption-only index reports the caption cosine as vector_score (clipped at 0, below any
    # floor); with image vectors that is max(caption, image), so the caption vectors are read.
    # The probe needs the caption vectors of the hits whose caption can count.
    wanted = [
        h.asset.id for h in hits if h.image_score is not None or (probing and _counts(h, model))
    ]
    stored = index.vectors(wanted) if wanted else {}
    back = background(embedder, query_unit, settings.workspace / "cache")
    terms = scoring.terms(query)
    wants = asked(query) if settings.match_objects else NOTHING_ASKED
    said = says_otherwise(embedder) if wants.settings else None
    supports = [_support(hit, stored, words) for hit in hits]
    evidence = []
    for hit, support in zip(hits, supports, strict=True):
        cosine = _caption_cosine(hit, stored, query_unit)
        lacking = support.lacking if settings.match_every_word else ()
        evidence.append(weigh(hit, cosine, back, terms, model, settings.hybrid_text_weight,
                              lacking, wants, said))  # fmt: skip
    if probing and words is None and max(ev.confidence for ev in evidence) >= probe_floor:
        words = probe(embedder, query, query_unit)
        supports = [_support(hit, stored, words) for hit in hits]
    logits: list[tuple[float, ...] | None] = [None] * len(hits)
    if learned and rule.verifier is not None:
        read = [i for i, (hit, ev) in enumerate(zip(hits, evidence, strict=True))
                if has_caption(hit.asset) and ev.confidence >= probe_floor]  # fmt: skip
        logits = _logits(rule.verifier, query, hits, read)
    return [Weighed(*one) for one in zip(hits, evidence, supports, logits, strict=True)]


def _logits(
    verifier: Verifier, query: str, hits: Sequence[SearchHit], wanted: list[int]
) -> list[tuple[float, ...] | None]:
    """The verifier's logits for each wanted hit's (caption, query); ``None`` for the rest."""
    out: list[tuple[float, ...] | None] = [None] * len(hits)
    if not wanted:
        return out
    logits = verifier.score([(hits[i].asset.caption, query) for i in wanted])
    for i, row in zip(wanted, logits, strict=True):
        out[i] = tuple(float(v) for v in row)
    return out


def _caption_cosine(
    hit: SearchHit, stored: dict[str, np.ndarray], query_unit: np.ndarray
) -> float | None:
    if hit.image_score is None:
        return hit.vector_score
    caption = stored.get(hit.asset.id)
    return None if caption is None else float(unit(np.asarray(caption)) @ query_unit)


def _counts(hit: SearchHit, model: MatchModel) -> bool:
    """Whether ``hit``'s caption can count: a real caption and a cosine above the floor where
    caption evidence starts (the others count 0 anyway)."""
    if not has_caption(hit.asset):
        return False
    return hit.image_score is not None or (hit.vector_score or 0.0) > model.floor[0]


def _support(hit: SearchHit, stored: dict[str, np.ndarray], words: Probe | None) -> Support:
    caption = stored.get(hit.asset.id)
    if words is None or caption is None or not has_caption(hit.asset):
        return SUPPORTED
    return words.support(np.asarray(caption), content_terms(strong_text(hit.asset)))
