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
- hybrid ``score = v + w * t * (1 - v)`` (a probabilistic OR with text weight ``w``,
  ``settings.hybrid_text_weight``): an exact keyword hit (a product code such as "SKU-4471") is
  lifted to at least ``w`` even when its caption vector is far off, while text alone never beats
  a perfect vector match; vector mode uses ``v``, text mode uses ``t``.

``settings.min_score`` (0.45) was tuned on a 24-image library of animals, landscapes, people,
space and objects (the bundled samples plus ten more captions): 36 queries for objects that are
there scored 0.69-0.90 (all their words in the caption) and synonyms 0.32-0.68 ("a kitten" 0.50,
"feline" 0.47, "puppy" 0.32); 26 queries for absent objects scored 0.12-0.44 ("red shoes" 0.37,
"a car" -> the motorcycle 0.44, "red apple" -> "red blood vessels" 0.40). MiniLM cannot separate
close synonyms from near misses by cosine alone; the default errs towards "no good match"
(a wrong image makes a wrong video); lower ``--min-score`` to accept looser matches.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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
    present = {normalise_term(w) for w in _WORD.findall(text)}
    matched = [t for t in query_terms if t in present]
    return len(matched) / len(query_terms), matched


def text_score(query_terms: Sequence[str], text: str) -> tuple[float, list[str]]:
    """Absolute text score in [0, 1] (cubed term coverage) and the matched terms."""
    fraction, matched = coverage(query_terms, text)
    return fraction**3, matched


def vector_score(cosine: float) -> float:
    return min(max(float(cosine), 0.0), 1.0)


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


def why(vector: float | None, text: float | None, matched: Sequence[str]) -> str:
    """A short human reason, e.g. ``"vector 0.62 · text 1.00 (cat)"``."""
    parts = []
    if vector is not None:
        parts.append(f"vector {vector:.2f}")
    if text is not None:
        words = f" ({', '.join(matched)})" if matched else ""
        parts.append(f"text {text:.2f}{words}")
    return " · ".join(parts)
