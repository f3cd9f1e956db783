"""The embedder contract: L2-normalised float32 vectors with a recorded identity."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from reelrag.errors import BackendError
from reelrag.settings import Settings


@dataclass(frozen=True)
class EmbedderIdentity:
    """Stored beside the vectors; an index refuses vectors from another identity."""

    name: str  # registry name, e.g. "minilm"
    model: str  # model id, e.g. "sentence-transformers/all-MiniLM-L6-v2"
    dim: int
    modalities: tuple[str, ...] = ("text",)  # "text" and/or "image"

    def key(self) -> str:
        return f"{self.name}:{self.model}:{self.dim}"


class Embedder(abc.ABC):
    identity: EmbedderIdentity

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: Settings) -> Embedder: ...

    @abc.abstractmethod
    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Shape (len(texts), dim), float32, each row of unit length."""

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of search queries; the same as :meth:`embed_texts` unless the model embeds
        queries differently from what it indexes (Nova: ``GENERIC_RETRIEVAL``)."""
        return self.embed_texts(texts)

    def embed_images(self, images: Sequence[Any]) -> np.ndarray:
        """Image vectors in the same space as text vectors (multimodal embedders only)."""
        raise NotImplementedError(f"{self.identity.name} does not embed images")


def unit_rows(rows: list[np.ndarray], dim: int, backend: str) -> np.ndarray:
    """``rows`` stacked into float32 unit vectors, shape (n, dim); an all-zero row is the
    backend's error (it cannot be normalised, and search would treat it as matching nothing)."""
    if not rows:
        return np.zeros((0, dim), dtype=np.float32)
    matrix = np.vstack(rows).astype(np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise BackendError(f"{backend} returned an all-zero embedding")
    out: np.ndarray = matrix / norms
    return out
