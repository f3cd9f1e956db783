"""How far a caption match stands out: the query's cosines with a fixed cohort of unrelated
captions (the 80 COCO object classes, ``reelrag/data/cohort.txt``) give its background mean and
spread, so ``standout = (cos - mean) / spread`` says how unusual a caption's similarity is for
THIS query. Short or generic queries ("a photo") sit close to everything and need more; a query
that nothing resembles ("espresso") stands out from a lower base. The cohort does not depend on
the library, so the decision means the same for 5 photos or 500,000 (score normalisation
against an impostor cohort, as in speaker verification's Z-norm).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib import resources

import numpy as np

from reelrag.embeddings.base import Embedder

MIN_SPREAD = 0.03  # a cohort that agrees too well must not inflate the standout
_CACHE: dict[str, np.ndarray] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Background:
    """A query's cosine statistics against the cohort."""

    mean: float
    spread: float

    def standout(self, cosine: float) -> float:
        return (cosine - self.mean) / self.spread


def cohort_texts() -> list[str]:
    text = resources.files("reelrag.data").joinpath("cohort.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def cohort_vectors(embedder: Embedder) -> np.ndarray:
    """The cohort's unit vectors for ``embedder`` (embedded once per process and embedder)."""
    key = embedder.identity.key()
    with _LOCK:
        cached = _CACHE.get(key)
    if cached is None:
        cached = unit(np.asarray(embedder.embed_texts(cohort_texts()), dtype=np.float32))
        with _LOCK:
            _CACHE[key] = cached
    return cached


def background(embedder: Embedder, query_vector: np.ndarray) -> Background:
    """The query's background against the cohort."""
    cosines = cohort_vectors(embedder) @ unit(np.asarray(query_vector, dtype=np.float32))
    return Background(float(cosines.mean()), max(float(cosines.std()), MIN_SPREAD))


def unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
