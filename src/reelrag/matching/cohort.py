"""How far a caption match stands out: the query's cosines with a fixed cohort of unrelated
captions (the 80 COCO object classes, ``reelrag/data/cohort.txt``) give its background mean and
spread, so ``standout = (cos - mean) / spread`` says how unusual a caption's similarity is for
THIS query. Short or generic queries ("a photo") sit close to everything and need more; a query
that nothing resembles ("espresso") stands out from a lower base. The cohort does not depend on
the library, so the decision means the same for 5 photos or 500,000 (score normalisation
against an impostor cohort, as in speaker verification's Z-norm).
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from reelrag.embeddings.base import Embedder
from reelrag.storage.local import atomic_write_bytes

log = logging.getLogger(__name__)

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
    return list(_cohort_texts())


@lru_cache(maxsize=1)
def _cohort_texts() -> tuple[str, ...]:  # read once: every search asks for the cohort
    text = resources.files("reelrag.data").joinpath("cohort.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


@lru_cache(maxsize=64)
def _cohort_key(embedder_key: str) -> str:
    return hashlib.sha256("\n".join([embedder_key, *_cohort_texts()]).encode()).hexdigest()[:16]


def cohort_vectors(embedder: Embedder, cache_dir: Path | None = None) -> np.ndarray:
    """The cohort's unit vectors for ``embedder``: embedded once per embedder, then kept in
    memory and, with ``cache_dir`` (the workspace's ``cache/``), on disk: a remote embedder such
    as Titan pays its 80 calls once per workspace, not once per process."""
    key = _cohort_key(embedder.identity.key())
    with _LOCK:
        cached = _CACHE.get(key)
    if cached is None:
        cached = _load(cache_dir, key) if cache_dir else None
    if cached is None:
        cached = unit(np.asarray(embedder.embed_texts(cohort_texts()), dtype=np.float32))
        if cache_dir:
            _save(cache_dir, key, cached)
    with _LOCK:
        _CACHE[key] = cached
    return cached


def _load(cache_dir: Path, key: str) -> np.ndarray | None:
    try:
        return np.load(cache_dir / f"cohort-{key}.npy", allow_pickle=False)
    except (OSError, ValueError):
        return None


def _save(cache_dir: Path, key: str, vectors: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, vectors, allow_pickle=False)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(cache_dir / f"cohort-{key}.npy", buffer.getvalue())
    except OSError as exc:  # a read-only cache costs a re-embedding next time, nothing more
        log.debug("cohort vectors not cached in %s: %s", cache_dir, exc)


def background(
    embedder: Embedder, query_vector: np.ndarray, cache_dir: Path | None = None
) -> Background:
    """The query's background against the cohort."""
    query = unit(np.asarray(query_vector, dtype=np.float32))
    cosines = cohort_vectors(embedder, cache_dir) @ query
    return Background(float(cosines.mean()), max(float(cosines.std()), MIN_SPREAD))


def unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
