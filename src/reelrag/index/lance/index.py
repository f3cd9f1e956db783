"""``index.lancedb``: the default index, one LanceDB table holding assets, text and vectors.

Owns the table layout, the embedder-identity check, filter -> SQL translation and the hybrid
search (vector top-K and BM25 top-K fused by RRF; absolute scores from
:mod:`reelrag.index.scoring`).

Layout: table ``assets`` under ``settings.index_location`` (a folder, ``s3://...`` or
``memory://``) with the :class:`~reelrag.types.Asset` fields, ``orientation`` and lower-cased
``tags`` for filters, ``text`` (what BM25 sees), ``vector`` (the caption vector,
fixed_size_list<float32, dim>) and, when the embedder's modalities include ``image``, a nullable
``image_vector`` of the same length. The embedder identity and its modalities are stored in the
table's schema metadata, so they travel with the data on any storage; opening with another
identity or another modality set raises :class:`IndexMismatchError`.

Hybrid search fuses up to three rankings by RRF: caption vectors, image vectors (exact search;
the IVF index covers caption vectors only) and BM25.

Indexes: the native full-text index (no tantivy) is created with the table and refreshed by
:meth:`LanceIndex.optimize`; rows added since are still searched (flat). An IVF_FLAT vector index
is built by ``optimize()`` once the table has ``settings.ann_min_rows`` rows; smaller tables are
searched exactly, which is both faster to maintain and perfectly accurate at that size.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import numpy as np
import pyarrow as pa
from lancedb.index import FTS, BTree, IvfFlat

from reelrag.captioning.evidence import embed_text
from reelrag.embeddings.base import EmbedderIdentity
from reelrag.errors import BackendError, InputError, NotFoundError
from reelrag.index import ranking, scoring
from reelrag.index.base import (
    ASSET_FIELDS,
    Index,
    IndexInfo,
    IndexQuery,
    IndexRecord,
    asset_from_fields,
)
from reelrag.index.lance import flat
from reelrag.index.lance import search as lance_search
from reelrag.index.lance.schema import (
    IMAGE_COLUMN,
    META_KEY,
    embed_in_batches,
    has_images,
    has_index,
    ivf_partitions,
    record_rows,
    reembedded_table,
    sql_str,
    stored_modalities,
    table_schema,
    unindexed_text_rows,
    vector_index_type,
    vector_matrix,
    where_clause,
)
from reelrag.index.lance.storage_options import lance_storage_options
from reelrag.settings import Settings
from reelrag.types import Asset, SearchHit

log = logging.getLogger(__name__)

TABLE = "assets"
# Shared by every index in the process; threads only wait on LanceDB's native code.
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="reelrag-lance")
DELETE_BATCH = 1000
FILE_FORMAT = "2.1"


class LanceIndex(Index):
    """Assets, text and vectors in one LanceDB table; hybrid BM25 + vector search."""

    def __init__(
        self,
        uri: str,
        identity: EmbedderIdentity,
        *,
        ann_min_rows: int = 50_000,
        rrf_k: int = 60,
        text_weight: float = 0.5,
        nprobes: int = 32,
        storage_options: dict[str, str] | None = None,
    ) -> None:
        import lancedb

        self.uri = uri
        self.identity = identity
        self.ann_min_rows = ann_min_rows
        self.rrf_k = rrf_k
        self.text_weight = text_weight
        self.nprobes = nprobes
        self.schema = table_schema(identity)
        self._lance: lance_search.Snapshot | None = None  # the version searches read
        self._opened: Any = None  # the LanceDB table once it exists
        self.images = has_images(identity)
        self.image_cal = scoring.image_calibration(identity) if self.images else None
        try:
            # Interval 0: every read sees writes from other processes (ingest beside a server).
            self._db = lancedb.connect(
                uri, read_consistency_interval=timedelta(0), storage_options=storage_options or None
            )
            self._opened = self._open_existing()
        except (OSError, RuntimeError, ValueError) as exc:
            raise BackendError(f"cannot open the LanceDB index at {uri}: {exc}") from exc

    @classmethod
    def from_settings(cls, settings: Settings, identity: EmbedderIdentity) -> LanceIndex:
        return cls(
            settings.index_location,
            identity,
            ann_min_rows=settings.ann_min_rows,
            rrf_k=settings.rrf_k,
            text_weight=settings.hybrid_text_weight,
            nprobes=settings.ann_nprobes,
            storage_options=lance_storage_options(settings.index_location, settings),
        )

    # -- table lifecycle -------------------------------------------------------------------

    @property
    def _table(self) -> Any:
        """The table, or None while there is none; looked for again on each use until one
        exists, since another handle or process (an ingest beside a server) may create it."""
        if self._opened is None:
            self._opened = self._open_existing()
        return self._opened

    def _open_existing(self) -> Any:
        if TABLE not in self._db.list_tables().tables:
            return None
        table = self._db.open_table(TABLE)
        self._check_identity(table.schema)
        return table

    def _check_identity(self, schema: pa.Schema) -> None:
        stored = (schema.metadata or {}).get(META_KEY, b"").decode()
        ranking.check_identity(
            f"the index at {self.uri}",
            self.identity,
            (stored, stored_modalities(schema)),
            rebuild_hint="re-embed the stored captions with `reelrag index rebuild`, or start it "
            "afresh with `reelrag ingest --reindex` (or set embedder back to the one used)",
        )

    def _ensure_table(self) -> Any:
        if self._table is None:
            table = self._db.create_table(
                TABLE, schema=self.schema, exist_ok=True, data_storage_version=FILE_FORMAT
            )
            self._check_identity(table.schema)
            self._opened = table
        return self._opened

    @classmethod
    def drop(cls, settings: Settings) -> None:
        """Drop the ``assets`` table at ``settings.index_location`` (absent: nothing to do)."""
        import lancedb

        uri = settings.index_location
        try:
            db = lancedb.connect(uri, storage_options=lance_storage_options(uri, settings) or None)
            if TABLE not in db.list_tables().tables:
                return
            db.drop_table(TABLE)
        except (OSError, RuntimeError, ValueError) as exc:
            raise BackendError(
                f"cannot drop the LanceDB index at {uri}: {exc}",
                hint="check the index location's permissions",
            ) from exc
        log.info("dropped the LanceDB table %s at %s", TABLE, uri)

    @classmethod
    def rebuild(
        cls, settings: Settings, embedder: Any, progress: Callable[[int, int], None] | None = None
    ) -> LanceIndex:
        """Re-embed every row's stored ``text`` with ``embedder`` and replace the table.

        The way out of an :class:`IndexMismatchError` without re-reading the images: captions
        live in the table. The new table is written as one new version (readers see the old
        or the new, never a mix); indexes are rebuilt by ``optimize()``.
        """
        import lancedb

        uri = settings.index_location
        db = lancedb.connect(uri, storage_options=lance_storage_options(uri, settings) or None)
        if TABLE not in db.list_tables().tables:
            raise NotFoundError(f"no index at {uri}", hint="run `reelrag ingest PATH` first")
        old = db.open_table(TABLE).to_lance().to_table()
        # The caption vector embeds what ingest embeds: caption and keywords, no path words.
        assets = [asset_from_fields(row) for row in old.select(ASSET_FIELDS).to_pylist()]
        texts = [embed_text(asset) for asset in assets]
        vectors = embed_in_batches(embedder, texts, progress)
        if has_images(embedder.identity):
            # Pixels are not in the table: image vectors come back with `ingest --reindex`.
            log.warning("rebuild leaves image vectors empty; run `reelrag ingest --reindex`")
        new = reembedded_table(old, vectors, embedder.identity)
        db.create_table(TABLE, new, mode="overwrite", data_storage_version=FILE_FORMAT)
        index = cls.from_settings(settings, embedder.identity)
        index.optimize()
        return index

    # -- writes ----------------------------------------------------------------------------

    def upsert(self, records: Sequence[IndexRecord]) -> None:
        """Insert or replace rows by asset id in one commit (all or nothing)."""
        if not records:
            return
        ids = [r.asset.id for r in records]
        if len(set(ids)) != len(ids):
            raise InputError("an upsert batch names the same asset id twice")
        rows = record_rows(records, self.schema, self.identity.dim)
        table = self._ensure_table()
        (
            table.merge_insert("id")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute(rows)
        )
        if not self._has_text_index(table):
            self._create_text_index(table)  # so text search works before the first optimize()

    def delete(self, asset_ids: Sequence[str]) -> None:
        if self._table is None or not asset_ids:
            return
        ids = list(asset_ids)
        for start in range(0, len(ids), DELETE_BATCH):  # bounded SQL size for large prunes
            chunk = ids[start : start + DELETE_BATCH]
            self._table.delete(f"id IN ({', '.join(sql_str(i) for i in chunk)})")

    def optimize(self) -> None:
        """Create/refresh the text index; build IVF_FLAT once rows >= ``ann_min_rows``."""
        table = self._table
        if table is None:
            return
        if not self._has_text_index(table):
            self._create_text_index(table)
        rows = table.count_rows()
        if rows >= self.ann_min_rows and vector_index_type(table) is None:
            partitions = ivf_partitions(rows)
            log.info("building IVF_FLAT over %d rows (%d partitions)", rows, partitions)
            table.create_index(
                "vector", config=IvfFlat(distance_type="cosine", num_partitions=partitions)
            )
        if rows >= self.ann_min_rows and not has_index(table, "BTree"):
            table.create_index("id", config=BTree())  # fast fetch of the final hits by id
        table.optimize()  # compacts and folds rows added since into both indexes

    def _create_text_index(self, table: Any) -> None:
        table.create_index("text", config=FTS(), replace=True)

    # -- reads -----------------------------------------------------------------------------

    def count(self) -> int:
        return 0 if self._table is None else int(self._table.count_rows())

    def get(self, asset_id: str) -> Asset | None:
        if self._table is None:
            return None
        found = self._table.search().where(f"id = {sql_str(asset_id)}").limit(1).to_arrow()
        return asset_from_fields(found.to_pylist()[0]) if found.num_rows else None

    def list_assets(self, limit: int | None = None, offset: int = 0) -> list[Asset]:
        """Assets ordered by ingestion time, then id (stable across calls)."""
        if self._table is None:
            return []
        columns = ASSET_FIELDS
        data = self._table.to_lance().to_table(columns=columns)
        data = data.sort_by([("ingested_at", "ascending"), ("id", "ascending")])
        return [asset_from_fields(row) for row in data.slice(offset, limit).to_pylist()]

    def vectors(self, asset_ids: Sequence[str]) -> dict[str, np.ndarray]:
        if self._table is None or not asset_ids:
            return {}
        where = f"id IN ({', '.join(sql_str(i) for i in asset_ids)})"
        found = self._table.search().where(where).select(["id", "vector"]).limit(len(asset_ids))
        data = found.to_arrow()
        return dict(
            zip(data.column("id").to_pylist(), vector_matrix(data, self.identity.dim), strict=True)
        )

    def info(self) -> IndexInfo:
        table = self._table
        extra: dict[str, Any] = {"table": TABLE, "ann_min_rows": self.ann_min_rows}
        if table is not None:
            extra["version"] = table.version
            extra["unindexed_text_rows"] = unindexed_text_rows(table)
        return IndexInfo(
            backend="lancedb",
            uri=self.uri,
            rows=self.count(),
            embedder=self.identity.key(),
            dim=self.identity.dim,
            ann_index=None if table is None else vector_index_type(table),
            text_index=table is not None and self._has_text_index(table),
            extra=extra,
            image_vectors=self.images,
        )

    def _has_text_index(self, table: Any) -> bool:
        return has_index(table, "FTS")

    # -- search ----------------------------------------------------------------------------

    def search(self, query: IndexQuery) -> list[SearchHit]:
        """Hybrid/vector/text search; hits carry absolute scores (see :mod:`scoring`)."""
        ranking.check_query(query)
        where = where_clause(query.filters)
        if self._table is None:
            return []
        vector, image = ranking.query_vectors(query, images=self.images, dim=self.identity.dim)
        snap = self._snapshot()
        k = ranking.candidate_k(query.limit)
        # The queries run in Rust without the GIL: overlap them to cut latency. This thread runs
        # the first itself: a hop to the pool and back costs ~0.3 CPU-ms and gains nothing.
        legs = list(self._legs(snap, query.mode, (vector, image), query.text, where, k).items())
        pending = {name: _POOL.submit(run, *args) for name, (run, args) in legs[1:]}
        found = {name: run(*args) for name, (run, args) in legs[:1]}
        found |= {name: future.result() for name, future in pending.items()}
        cal = None if image is None else self.image_cal
        top = ranking.rank(
            query, found, lambda row: lance_search.cosines(snap, row, vector, image),
            rrf_k=self.rrf_k, text_weight=self.text_weight, images=self.images, image_cal=cal,
            key=lance_search.ROW_ID, fetch=lambda rows: flat.fetch(snap, rows),
        )  # fmt: skip
        return [
            SearchHit(asset=asset_from_fields(row), rank=rank, **s.hit_fields())
            for rank, (s, row) in enumerate(top, start=1)
        ]

    def _legs(
        self,
        snap: lance_search.Snapshot,
        mode: str,
        vectors: tuple[np.ndarray | None, np.ndarray | None],
        text: str,
        where: str | None,
        k: int,
    ) -> dict[str, tuple[Callable[..., list[dict[str, Any]]], tuple[Any, ...]]]:
        """The candidate queries of ``mode``: vectors in hybrid/vector, BM25 in hybrid/text."""
        plan: dict[str, tuple[Callable[..., list[dict[str, Any]]], tuple[Any, ...]]] = {}
        if mode != "text":
            for name, column, vector in zip(
                ("caption", "image"), ("vector", IMAGE_COLUMN), vectors, strict=True
            ):
                if vector is not None:
                    leg = flat.vector_leg if flat.applies(snap, column, where) else None
                    plan[name] = (leg or lance_search.vector_leg, (snap, vector, column, where, k))
        if mode != "vector":
            plan["text"] = (lance_search.text_leg, (snap, text, where, k))
        return plan

    def _snapshot(self) -> lance_search.Snapshot:
        """The table's current version as a Lance dataset, reused while the version holds
        (opening one costs ~2.5 ms). The pinned dataset asks storage for its newest version
        (~0.01 ms, writes by any handle or process included); LanceDB's ``table.version``
        answers the same through its event-loop thread in ~0.25 ms, so it is asked only when
        a write has happened."""
        held = self._lance
        if held is not None and held.dataset.latest_version == held.dataset.version:
            return held
        version = self._table.version
        if self._lance is None or self._lance.dataset.version != version:
            dataset = self._table.to_lance()
            ivf = vector_index_type(self._table) is not None
            self._lance = lance_search.Snapshot(
                dataset, self.identity.dim, self.images, ivf, self.nprobes, dataset.count_rows()
            )
        return self._lance
