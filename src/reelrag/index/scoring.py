"""Absolute hit scores and rank fusion, shared by every index backend.

Rank fusion (RRF) orders hybrid results well but its numbers are relative: the best hit of a
hopeless query gets the same RRF value as the best hit of a perfect one, so RRF cannot say
"no good match". Every hit therefore also gets an ABSOLUTE score in [0, 1]:

- ``vector_score = max(cos(query, caption), 0)``. all-MiniLM-L6-v2 gives ~0.5-0.8 for a caption
  that shows the queried object and ~0.0-0.25 for unrelated captions.
- ``text_score = coverage ** 3`` where ``coverage`` is the fraction of the query's content terms
  (lower-cased words, stop words dropped, a plural "s" stripped) found in the hit's text. All
  terms present gives 1; one of two gives 0.125, so a half match ("red" of "red shoes": the
  colour is there, the object is not) counts little.
  BM25 values are unbounded and depend on the corpus, so they only rank candidates.
- ``image_score = calibrate(cos(query, image vector))`` for an index of a multimodal embedder
  (text -> image similarity, see :func:`image_calibration`); the vector evidence is then the
  stronger of the two, ``v = max(caption, image)``, so an asset with an empty caption is still
  found by its pixels and a good caption is not diluted by a weak image match.
- hybrid ``score = v + w * t * (1 - v)`` (a probabilistic OR with text weight ``w``,
  ``settings.hybrid_text_weight``): an exact keyword hit (a product code such as "SKU-4471") is
  lifted to at least ``w`` even when its caption vector is far off, while text alone never beats
  a perfect vector match; vector mode uses ``v``, text mode uses ``t``.

Since issue 17 these index scores order and explain candidates; what ``min_score`` cuts is the
match confidence of :mod:`reelrag.matching.decision` (caption similarity relative to a cohort,
weak file/folder names), computed by :func:`reelrag.retrieval.search`. History of the old cut:
``settings.min_score`` (0.45) was tuned on a 24-image library of animals, landscapes, people,
space and objects (the bundled samples plus ten more captions): 36 queries for objects that are
there scored 0.69-0.90 (all their words in the caption) and synonyms 0.32-0.68 ("a kitten" 0.50,
"feline" 0.47, "puppy" 0.32); 26 queries for absent objects scored 0.12-0.44 ("red shoes" 0.37,
"a car" -> the motorcycle 0.44, "red apple" -> "red blood vessels" 0.40). MiniLM cannot separate
close synonyms from near misses by cosine alone; the default errs towards "no good match"
(a wrong image makes a wrong video); lower ``--min-score`` to accept looser matches.

Cross-modal calibration. Text -> image cosines live in a narrow, model-specific band, far below
text -> text ones: for CLIP ViT-B/32 a caption-quality match scores ~0.28-0.35 and an unrelated
image ~0.10-0.20 (the CLIPScore paper rescales by 2.5 for that reason); SigLIP's cosines are
lower still and its own sigmoid puts the 50 % match point at ``-bias / scale`` ~= 0.11 for
``siglip-base-patch16-224``. A raw cosine would therefore never pass ``min_score`` 0.45, so the
image cosine is mapped linearly from the family's ``[low, high]`` band onto [0, 1] and clipped
(:data:`CROSS_MODAL`): CLIP (0.15, 0.33) puts 0.30 at 0.83, 0.23 at the 0.45 threshold and 0.18
at 0.17; SigLIP (0.0, 0.2) puts its own 50 % point near 0.55. Titan (0.1, 0.45) is an unmeasured
estimate. These bands come from published figures, not from runs here (no CLIP/SigLIP/Titan
weights are reachable offline): check them with real weights before trusting ``min_score`` on
image evidence. Caption vectors keep the identity mapping for every embedder, so text-only
embedders (MiniLM) score exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Words that say nothing about what an image shows; dropped from term coverage.
_STOP = "a an and are as at be by for from has in is it its of on or that the this to was were with"
STOP_WORDS = frozenset((_STOP + " photo photograph picture image").split(" "))
_WORD = re.compile(r"\w+", re.UNICODE)


def normalise_term(word: str) -> str:
    """Lower-case and strip a plural ``s`` so "cats" matches "cat" (not "glass" -> "glas")."""
    word = word.lower()
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def terms(text: str) -> list[str]:
    """Distinct content terms of ``text`` in order; stop words go unless nothing else is left.

    >>> terms("Red shoes on the floor")
    ['red', 'shoe', 'floor']
    """
    words = [normalise_term(w) for w in _WORD.findall(text)]
    content = [w for w in words if w not in STOP_WORDS] or words
    return list(dict.fromkeys(content))


def coverage(query_terms: Sequence[str], text: str) -> tuple[float, list[str]]:
    """Fraction of ``query_terms`` present in ``text`` and the matched terms."""
    if not query_terms:
        return 0.0, []
    words = set(_WORD.findall(text.lower()))
    # Query terms are already normalised, so a word matches a term when it is the term or the
    # term plus the plural "s" that normalise_term strips (same result, no per-word calls: this
    # runs for every candidate of every query).
    matched = [t for t in query_terms if t in words or (_pluralises(t) and t + "s" in words)]
    return len(matched) / len(query_terms), matched


def _pluralises(term: str) -> bool:
    """Whether ``term + "s"`` normalises back to ``term``."""
    return len(term) >= 3 and not term.endswith("s")


def text_score(query_terms: Sequence[str], text: str) -> tuple[float, list[str]]:
    """Absolute text score in [0, 1] (cubed term coverage) and the matched terms."""
    fraction, matched = coverage(query_terms, text)
    return fraction**3, matched


def vector_score(cosine: float) -> float:
    return min(max(float(cosine), 0.0), 1.0)


@dataclass(frozen=True)
class Calibration:
    """A raw cosine mapped linearly from ``[low, high]`` onto [0, 1], clipped.

    >>> Calibration(0.15, 0.33)(0.30)
    0.8333333333333333
    """

    low: float = 0.0
    high: float = 1.0

    def __call__(self, cosine: float) -> float:
        return min(max((float(cosine) - self.low) / (self.high - self.low), 0.0), 1.0)


# Text -> image cosine bands by model family: the first whose word appears in the embedder's
# name or model id wins ("siglip" before "clip": SigLIP ids contain both).
CROSS_MODAL: tuple[tuple[str, Calibration], ...] = (
    ("siglip", Calibration(0.0, 0.2)),
    ("clip", Calibration(0.15, 0.33)),
    ("titan", Calibration(0.1, 0.45)),
)
DEFAULT_CROSS_MODAL = Calibration(0.15, 0.35)


def image_calibration(identity: Any) -> Calibration:
    """The text -> image calibration for an :class:`EmbedderIdentity` (see the module notes)."""
    label = f"{identity.name} {identity.model}".lower()
    for word, calibration in CROSS_MODAL:
        if word in label:
            return calibration
    return DEFAULT_CROSS_MODAL


@dataclass(frozen=True)
class Scored:
    """One candidate's absolute scores (before its full row is fetched)."""

    id: str
    score: float
    vector: float | None  # the stronger vector evidence
    text: float
    matched: list[str]
    image: float | None = None
    caption: float | None = None

    def hit_fields(self) -> dict[str, Any]:
        """The :class:`~reelrag.types.SearchHit` fields these scores fill."""
        return {
            "score": round(self.score, 6),
            "vector_score": _round(self.vector),
            "text_score": round(self.text, 6),
            "image_score": _round(self.image),
            "why": why(self.vector, self.text, self.matched, self.image, self.caption),
        }


def score_candidate(
    mode: str,
    row_id: str,
    cosines: tuple[float | None, float | None],
    row_text: str,
    query_terms: Sequence[str],
    text_weight: float,
    image_cal: Calibration | None = None,
) -> Scored:
    """Absolute scores of one candidate from its caption and image cosines (``None``: not
    compared) and its text; ``image_cal`` is set for an index that holds image vectors."""
    v, caption, image = vector_evidence(cosines, image_cal)
    t, matched = text_score(query_terms, row_text)
    if mode == "vector":
        score = v or 0.0
    elif mode == "text":
        score = t
    else:
        score = blend(v or 0.0, t, text_weight)
    return Scored(row_id, score, v, t, matched, image, caption)


def vector_evidence(
    cosines: tuple[float | None, float | None], image_cal: Calibration | None = None
) -> tuple[float | None, float | None, float | None]:
    """(the stronger vector evidence, the caption score, the image score) from a candidate's
    caption and image cosines; ``None`` where there is none."""
    caption = None if cosines[0] is None else vector_score(cosines[0])
    image = None
    if image_cal is not None:
        image = image_cal(cosines[1]) if cosines[1] is not None else 0.0
    evidence = [s for s in (caption, image) if s is not None]
    return (max(evidence) if evidence else None), caption, image


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def blend(vector: float, text: float, text_weight: float) -> float:
    """Hybrid absolute score: a probabilistic OR of the two evidences.

    >>> round(blend(0.1, 1.0, 0.5), 3)
    0.55
    """
    return vector + text_weight * text * (1.0 - vector)


def rrf(rankings: Sequence[Sequence[str]], k: int) -> dict[str, float]:
    """Reciprocal rank fusion: ``sum 1 / (k + rank)`` over the lists each id appears in."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


def why(
    vector: float | None,
    text: float | None,
    matched: Sequence[str],
    image: float | None = None,
    caption: float | None = None,
) -> str:
    """A short human reason, e.g. ``"vector 0.62 · text 1.00 (cat)"``; with image evidence
    ``"caption 0.12 · image 0.80 · text 0.00"``."""
    parts = []
    if image is not None:
        if caption is not None:
            parts.append(f"caption {caption:.2f}")
        parts.append(f"image {image:.2f}")
    elif vector is not None:
        parts.append(f"vector {vector:.2f}")
    if text is not None:
        words = f" ({', '.join(matched)})" if matched else ""
        parts.append(f"text {text:.2f}{words}")
    return " · ".join(parts)
