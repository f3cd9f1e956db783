"""How well a caption supports the query's WEAKEST word: each content word of the query on its
own against the caption, as a standout over the cohort (:mod:`reelrag.matching.cohort`).

The whole query's standout is driven by its strongest words: "an astronaut standing on the moon"
stands out +5.6 against "Astronaut in an orange space suit smiling", because *astronaut* is
there; *moon* alone stands out far less against that caption than against a photo of the moon.
The weakest word's standout is one input of the match confidence
(:mod:`reelrag.matching.decision`), weighed against the others by a fit on labelled queries,
never a rule of its own: captions leave out words users add ("a blue birthday present"), so a
weak word lowers the confidence rather than refusing.

Words are the query's lower-case words less stop, function and one-letter words, as typed (not
stemmed: "galaxies", not "galaxie"). Their vectors are embedded once per word and embedder
(:class:`reelrag.matching.support.WordVectors`); each word's cohort background is one product
with the cohort's 80 vectors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reelrag.embeddings.base import Embedder
from reelrag.index.scoring import STOP_WORDS
from reelrag.matching.cohort import MIN_SPREAD, cohort_vectors, unit
from reelrag.matching.support import FUNCTION_WORDS, word_vectors

_WORD = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*", re.UNICODE)


def content_words(query: str) -> tuple[str, ...]:
    """The query's content words, as typed, each once.

    >>> content_words("An astronaut standing on the Moon")
    ('astronaut', 'standing', 'moon')
    """
    found = (w.lower().removesuffix("'s") for w in _WORD.findall(query))
    kept = (w for w in found if len(w) > 1 and w not in STOP_WORDS and w not in FUNCTION_WORDS)
    return tuple(dict.fromkeys(kept))


@dataclass(frozen=True)
class Words:
    """One query's content words: their unit vectors and cohort backgrounds."""

    words: tuple[str, ...]
    vectors: np.ndarray  # (len(words), dim) unit rows
    means: np.ndarray  # each word's mean cosine with the cohort
    spreads: np.ndarray  # and its spread (at least MIN_SPREAD)

    def weakest(self, caption: np.ndarray) -> tuple[str, float]:
        """The word that stands out least against ``caption`` (its vector), and its standout."""
        standouts = self.vectors @ unit(np.asarray(caption, dtype=np.float32)) - self.means
        standouts = standouts / self.spreads
        i = int(np.argmin(standouts))
        return self.words[i], float(standouts[i])


def query_words(embedder: Embedder, query: str, cache_dir: Path | None = None) -> Words | None:
    """The query's :class:`Words`; None when it has no content word."""
    words = content_words(query)
    if not words:
        return None
    table = word_vectors(embedder).units(words)
    vectors = np.stack([table[w] for w in words])
    cohort = vectors @ cohort_vectors(embedder, cache_dir).T
    spreads = np.maximum(cohort.std(axis=1), MIN_SPREAD)
    return Words(words, vectors, cohort.mean(axis=1), spreads)
