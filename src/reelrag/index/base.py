"""The index contract: assets with text and vectors, hybrid search with filters.

Scores returned by every index are in [0, 1] and comparable to ``SearchRequest.min_score``, so
the "no good match" threshold means the same thing whatever the backend.

An index opened for an identity whose ``modalities`` include ``"image"`` (CLIP, SigLIP, Titan
Multimodal) holds a second vector per asset, the embedding of its pixels, beside the caption
vector; searches compare ``IndexQuery.image_vector`` with it, so an asset without a useful
caption is still found by what it shows. Text-only identities hold caption vectors only.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reelrag.embeddings.base import EmbedderIdentity
from reelrag.settings import Settings
from reelrag.types import Asset, SearchFilters, SearchHit

# The Asset fields every index stores and rebuilds assets from (string fields first).
ASSET_STR_FIELDS = (
    "id", "source", "format", "caption", "caption_source", "folder",
    "original_key", "normalized_key", "thumbnail_key", "ingested_at",
)  # fmt: skip
ASSET_FIELDS = [*ASSET_STR_FIELDS, "width", "height", "size_bytes", "keywords"]


def asset_from_fields(row: Mapping[str, Any]) -> Asset:
    """The :class:`Asset` held in a stored row or document (see :data:`ASSET_FIELDS`)."""
    return Asset(
        **{name: row.get(name) or "" for name in ASSET_STR_FIELDS},
        width=int(row["width"]),
        height=int(row["height"]),
        size_bytes=int(row.get("size_bytes") or 0),
        keywords=tuple(row.get("keywords") or ()),
    )


@dataclass(frozen=True)
class IndexRecord:
    """One row: the asset, the text that BM25 sees, the caption vector and, for an index of a
    multimodal embedder, the image vector (``None``: not embedded; the row is found by caption
    and text only)."""

    asset: Asset
    vector: np.ndarray
    text: str  # caption + keywords + file/folder words
    image_vector: np.ndarray | None = None


@dataclass(frozen=True)
class IndexQuery:
    """``vector`` is compared with caption vectors, ``image_vector`` with image vectors (only an
    index holding them accepts it). Retrieval sets both to the query text's vector when the
    embedder puts text and images in one space; ``vector=None`` with an ``image_vector`` in
    vector mode searches by pixels alone."""

    text: str
    vector: np.ndarray | None
    limit: int = 5
    filters: SearchFilters = field(default_factory=SearchFilters)
    mode: str = "hybrid"  # hybrid | vector | text
    image_vector: np.ndarray | None = None


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
    image_vectors: bool = False  # the index holds an image vector per asset


class Index(abc.ABC):
    """Opened for one embedder identity; raises IndexMismatchError on another."""

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: Settings, identity: EmbedderIdentity) -> Index: ...

    @classmethod
    @abc.abstractmethod
    def drop(cls, settings: Settings) -> None:
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
        """Ranked hits, best first, with fused ``score`` in [0, 1] and the component scores."""

    def vectors(self, asset_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored caption vectors by id (used for MMR diversity)."""
        return {}

    @abc.abstractmethod
    def optimize(self) -> None:
        """Build or refresh text and ANN indexes as the table size warrants."""

    @abc.abstractmethod
    def info(self) -> IndexInfo: ...
