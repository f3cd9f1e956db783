"""The index contract: assets with text and vectors, hybrid search with filters.

Scores returned by every index are in [0, 1] and comparable to ``SearchRequest.min_score``, so
the "no good match" threshold means the same thing whatever the backend.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reelrag.embeddings.base import EmbedderIdentity
from reelrag.types import Asset, SearchFilters, SearchHit


@dataclass(frozen=True)
class IndexRecord:
    """One row: the asset plus the text that BM25 sees and the caption vector."""

    asset: Asset
    vector: np.ndarray
    text: str  # caption + keywords + file/folder words


@dataclass(frozen=True)
class IndexQuery:
    text: str
    vector: np.ndarray | None
    limit: int = 5
    filters: SearchFilters = field(default_factory=SearchFilters)
    mode: str = "hybrid"  # hybrid | vector | text


@dataclass(frozen=True)
class IndexInfo:
    backend: str
    uri: str
    rows: int
    embedder: str  # EmbedderIdentity.key()
    dim: int
    ann_index: str | None  # e.g. "IVF_FLAT", None while search is exact
    text_index: bool
    extra: dict[str, Any] = field(default_factory=dict)


class Index(abc.ABC):
    """Opened for one embedder identity; raises IndexMismatchError on another."""

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: Any, identity: EmbedderIdentity) -> Index: ...

    @classmethod
    @abc.abstractmethod
    def drop(cls, settings: Any) -> None:
        """Delete the index's derived data (rows, vectors, text index) at the configured location.

        The catalog and store are untouched: the library refills the index with
        ``reelrag ingest --reindex``. Dropping an index that does not exist is not an error.
        """

    @abc.abstractmethod
    def upsert(self, records: Sequence[IndexRecord]) -> None:
        """Insert or replace rows by asset id, atomically per call."""

    @abc.abstractmethod
    def delete(self, asset_ids: Sequence[str]) -> None: ...

    @abc.abstractmethod
    def get(self, asset_id: str) -> Asset | None: ...

    @abc.abstractmethod
    def list_assets(self, limit: int | None = None, offset: int = 0) -> list[Asset]: ...

    @abc.abstractmethod
    def count(self) -> int: ...

    @abc.abstractmethod
    def search(self, query: IndexQuery) -> list[SearchHit]:
        """Ranked hits, best first, with fused ``score`` in [0, 1] and both component scores."""

    def vectors(self, asset_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored caption vectors by id (used for MMR diversity)."""
        return {}

    @abc.abstractmethod
    def optimize(self) -> None:
        """Build or refresh text and ANN indexes as the table size warrants."""

    @abc.abstractmethod
    def info(self) -> IndexInfo: ...
