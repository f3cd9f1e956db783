"""Does a caption support EVERY content word of the query? A leave-one-term-out test.

The cohort standout (:mod:`reelrag.matching.cohort`) measures the query as a whole, so a caption
that matches one word strongly passes even when another word is absent: "beach at sunset" ->
"rocket on the launch pad at dusk" (sunset ~ dusk), "a red sports car" -> "red motorbike",
"skyscrapers at night" -> "a steel tower at dusk". A query word ``t`` is SUPPORTED by a caption
when it is one of the caption's own terms, or when dropping it from the query does not RAISE the
cosine with the caption by more than ``-DROP_MARGIN``::

    delta(t) = cos(query, caption) - cos(query without t, caption) >= DROP_MARGIN

or when one of the caption's words is close to it on its own (word cosine >= ``WORD_MATCH``:
"orange" ~ "ginger" 0.51, "kitty" ~ "cat" 0.84; "car" ~ "motorbike" is not enough once the
other tests failed).

A synonym adds meaning the caption shares ("american flag" vs "the stars and stripes flag":
+0.06; "gift box" vs "a wrapped present": +0.01), a word the caption lacks adds meaning it does
not share (the query moves away: "eye scan" vs "a scanned page of text", eye: -0.14). A caption
that leaves a word unsupported counts as at most ``PARTIAL`` caption evidence (below the default
threshold). Only queries with two or more content words are probed: a one-word query's cosine
already is that word's similarity. ``DROP_MARGIN`` and ``WORD_MATCH`` were fitted on the
development half of ``reelrag/data/retrieval_set`` (docs/retrieval.md): over its multi-word
queries' candidates with confidence >= 0.45, (0.0, 0.45) drops 25 of 50 wrong candidates and 1
of 34 right ones. On the held-out half it costs more right hits than that (captions omit words
users add: "birthday", "storage"), so it is opt-in: ``settings.match_every_word``.

Cost: one batched embedding of the query's ``n`` shortened forms and an ``n x dim`` product per
probed hit; caption words are embedded only for a word that failed the first two tests, once
per word and embedder (kept in memory, :class:`WordVectors`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from reelrag.embeddings.base import Embedder
from reelrag.index import scoring
from reelrag.matching.phrases import words

DROP_MARGIN = 0.0  # dropping a word must not raise the caption's cosine
WORD_MATCH = 0.45  # a caption word this close to a query word supports it
PARTIAL = 0.25  # the most caption evidence a hit with an unsupported query word keeps
# Words that carry no object or attribute of their own (beyond scoring.STOP_WORDS): dropping
# them says nothing about the caption. "us" is mostly the country in queries ("US flag").
_FUNCTION = (
    "about above across after against along among around before behind below beneath beside "
    "between down during inside into like my near next off onto our out outside over s some "
    "their them there these they those through under up upon us very we while your"
)
FUNCTION_WORDS = frozenset(_FUNCTION.split(" "))
_WORD = re.compile(r"\w+", re.UNICODE)


def content_terms(text: str) -> list[str]:
    """The query's content terms (:func:`scoring.terms` less function words).

    >>> content_terms("a cell under the microscope")
    ['cell', 'microscope']
    """
    return [t for t in scoring.terms(text) if t not in FUNCTION_WORDS]


def without(text: str, term: str) -> str:
    """``text`` with every word whose term is ``term`` left out.

    >>> without("skyscrapers at night", "skyscraper")
    'at night'
    """
    return " ".join(w for w in _WORD.findall(text) if scoring.normalise_term(w) != term)


@dataclass(frozen=True)
class Probe:
    """One query's content terms and the unit vectors of the query without each of them."""

    terms: tuple[str, ...]
    query: np.ndarray  # unit vector of the whole query
    shortened: np.ndarray  # (len(terms), dim) unit vectors, row i without terms[i]

    words: WordVectors

    def unsupported(self, caption: np.ndarray, caption_terms: Sequence[str]) -> tuple[str, ...]:
        """The query terms that ``caption`` (its vector and its own terms) does not support."""
        return self.support(caption, caption_terms).lacking

    def support(self, caption: np.ndarray, caption_terms: Sequence[str]) -> Support:
        """How ``caption`` (its vector and its own terms) supports the query's terms."""
        norm = float(np.linalg.norm(caption))
        if norm == 0.0:
            return SUPPORTED
        unit = np.asarray(caption, dtype=np.float32) / norm
        delta = float(self.query @ unit) - self.shortened @ unit
        own = set(caption_terms)
        foreign = [(t, float(d)) for t, d in zip(self.terms, delta, strict=True) if t not in own]
        drop = sum(min(d, 0.0) for _, d in foreign)
        doubtful = [t for t, d in foreign if d < DROP_MARGIN]
        if not doubtful:
            return Support((), drop, 0.0)
        close = (
            self.words.closest(doubtful, caption_terms) if caption_terms else [0.0] * len(doubtful)
        )
        short = [
            (t, WORD_MATCH - c) for t, c in zip(doubtful, close, strict=True) if c < WORD_MATCH
        ]
        return Support(tuple(t for t, _ in short), drop, sum(g for _, g in short))


@dataclass(frozen=True)
class Support:
    """How a caption supports a query's content terms."""

    lacking: tuple[str, ...]  # the terms it does not support
    drop: float  # the sum of the negative deltas of the terms that are not its own (<= 0)
    gap: float  # the sum of WORD_MATCH - (closest caption word's cosine) over ``lacking``


SUPPORTED = Support((), 0.0, 0.0)


class WordVectors:
    """Unit vectors of single words for one embedder, embedded once and kept (bounded)."""

    LIMIT = 100_000

    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def closest(self, terms: Sequence[str], words: Sequence[str]) -> list[float]:
        """For each of ``terms``, its highest cosine with one of ``words``."""
        table = self._get([*terms, *words])
        grid = np.stack([table[t] for t in terms]) @ np.stack([table[w] for w in words]).T
        return [float(row.max()) for row in grid]

    def missing(self, words: Sequence[str]) -> list[str]:
        """``words`` not embedded yet, once each."""
        with self._lock:
            return [w for w in dict.fromkeys(words) if w not in self._vectors]

    def add(self, words: Sequence[str], vectors: np.ndarray) -> None:
        """Keep the unit ``vectors`` of ``words`` (embedded by the caller)."""
        with self._lock:
            self._store(words, vectors)

    def _get(self, words: Sequence[str]) -> dict[str, np.ndarray]:
        missing = self.missing(words)
        fresh = _units(self.embedder.embed_texts(missing)) if missing else None
        with self._lock:
            if fresh is not None:
                self._store(missing, fresh)
            return {w: self._vectors[w] for w in words}

    def _store(self, words: Sequence[str], vectors: np.ndarray) -> None:
        if len(self._vectors) + len(words) > self.LIMIT:
            self._vectors.clear()
        self._vectors.update(zip(words, vectors, strict=True))


def says_otherwise(embedder: Embedder) -> Callable[[str, str], bool]:
    """A test of whether one of a caption's words is within ``WORD_MATCH`` of a noun lemma: the
    caption says it in other words ("grass" for the query's "lawn": 0.83)."""
    vectors = word_vectors(embedder)

    def said(noun: str, caption: str) -> bool:
        theirs = [w for w in words(caption) if w not in scoring.STOP_WORDS]
        return bool(theirs) and vectors.closest([noun.replace("_", " ")], theirs)[0] >= WORD_MATCH

    return said


def probe(embedder: Embedder, query: str, query_unit: np.ndarray) -> Probe | None:
    """The leave-one-term-out probe of ``query``; ``None`` for fewer than two content terms.
    The query's terms are embedded in the same batch (a caption is compared with them word by
    word when it does not use them)."""
    terms = content_terms(query)
    if len(terms) < 2:
        return None
    table = word_vectors(embedder)
    fresh = table.missing(terms)
    vectors = _units(embedder.embed_texts([*(without(query, t) for t in terms), *fresh]))
    table.add(fresh, vectors[len(terms) :])
    whole = np.asarray(query_unit, dtype=np.float32)
    return Probe(tuple(terms), whole, vectors[: len(terms)], table)


_WORDS: dict[str, WordVectors] = {}
_WORDS_LOCK = threading.Lock()


def word_vectors(embedder: Embedder) -> WordVectors:
    """The word-vector cache of ``embedder`` (one per embedder identity, per process)."""
    key = embedder.identity.key()
    with _WORDS_LOCK:
        return _WORDS.setdefault(key, WordVectors(embedder))


def _units(vectors: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
