"""Table layout, SQL and row conversion for the LanceDB index backend.

Owns the Arrow schema of the ``assets`` table (with the embedder identity in its metadata), the
translation of :class:`SearchFilters` into a safely quoted SQL prefilter, and the conversions
between index records, Arrow rows and :class:`Asset` values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from reelrag.embeddings.base import EmbedderIdentity
from reelrag.index.base import ASSET_STR_FIELDS, IndexRecord
from reelrag.index.filters import check_filters, folder_prefix
from reelrag.index.ranking import check_vectors, refuse_image_vectors
from reelrag.types import SearchFilters

REBUILD_BATCH = 256
META_KEY = b"reelrag.embedder"
MODALITIES_KEY = b"reelrag.modalities"  # absent in tables from before image vectors: "text"
IMAGE_COLUMN = "image_vector"


def has_images(identity: EmbedderIdentity) -> bool:
    """Whether an index for ``identity`` holds image vectors."""
    return "image" in identity.modalities


def modalities_label(identity: EmbedderIdentity) -> str:
    return ",".join(sorted(identity.modalities))


def stored_modalities(schema: pa.Schema) -> str:
    return (schema.metadata or {}).get(MODALITIES_KEY, b"text").decode()


def table_schema(identity: EmbedderIdentity) -> pa.Schema:
    """The Arrow schema of the ``assets`` table for vectors of ``identity``: a nullable
    ``image_vector`` column joins ``vector`` when the identity embeds images."""
    fields = [pa.field(name, pa.string()) for name in ASSET_STR_FIELDS]
    fields += [
        pa.field("width", pa.int32()),
        pa.field("height", pa.int32()),
        pa.field("size_bytes", pa.int64()),
        pa.field("keywords", pa.list_(pa.string())),
        pa.field("tags", pa.list_(pa.string())),
        pa.field("orientation", pa.string()),
        pa.field("text", pa.string()),
        pa.field("vector", pa.list_(pa.float32(), identity.dim)),
    ]
    if has_images(identity):
        fields.append(pa.field(IMAGE_COLUMN, pa.list_(pa.float32(), identity.dim), nullable=True))
    metadata = {META_KEY: identity.key().encode(), MODALITIES_KEY: modalities_label(identity)}
    return pa.schema(fields, metadata=metadata)


def vector_columns(schema: pa.Schema) -> list[str]:
    """The vector columns of ``schema``, last in its field order."""
    return [name for name in ("vector", IMAGE_COLUMN) if name in schema.names]


def ivf_partitions(rows: int) -> int:
    """IVF partitions for ``rows`` vectors: ~1,500 rows each.

    Measured at 100k x 384 (2 cores): per-partition overhead dominates a query, so 66 partitions
    answer faster than sqrt(rows) = 316 (id-only top-50: ~5.6 vs ~9.9 ms). On the benchmark's
    clustered data, recall@5 over four index builds (k-means varies) was 0.93-0.97 probing 10
    of 66, 0.96-0.99 probing 20 and 0.97-0.995 probing 30 (``settings.ann_nprobes``: 32);
    each probe costs ~0.08 ms a query.
    """
    return max(8, rows // 1500)


def sql_str(value: str) -> str:
    """A SQL string literal with quotes doubled, so user text cannot change the query.

    >>> sql_str("it's")
    "'it''s'"
    """
    return "'" + value.replace("'", "''") + "'"


def where_clause(filters: SearchFilters) -> str | None:
    """Filters as a SQL predicate for LanceDB's prefilter, or ``None`` when there are none."""
    check_filters(filters)
    parts = []
    if filters.orientation:
        parts.append(f"orientation = {sql_str(filters.orientation)}")
    if filters.min_width is not None:
        parts.append(f"width >= {int(filters.min_width)}")
    if filters.min_height is not None:
        parts.append(f"height >= {int(filters.min_height)}")
    if filters.folder:
        prefix = folder_prefix(filters.folder)
        if prefix:  # "/" alone means every folder
            parts.append(
                f"(folder = {sql_str(prefix)} OR starts_with(folder, {sql_str(prefix + '/')}))"
            )
    if filters.tag:
        parts.append(f"array_has(tags, {sql_str(filters.tag.strip().lower())})")
    if filters.caption_source:
        parts.append(f"caption_source = {sql_str(filters.caption_source)}")
    return " AND ".join(parts) or None


def record_rows(records: Sequence[IndexRecord], schema: pa.Schema, dim: int) -> pa.Table:
    columns: dict[str, list[Any]] = {name: [] for name in schema.names}
    for record in records:
        asset = record.asset
        for name in (*ASSET_STR_FIELDS, "width", "height", "size_bytes"):
            columns[name].append(getattr(asset, name))
        columns["keywords"].append(list(asset.keywords))
        columns["tags"].append(sorted({k.strip().lower() for k in asset.keywords if k.strip()}))
        columns["orientation"].append(asset.orientation)
        columns["text"].append(record.text)
    vectors = check_vectors([r.vector for r in records], dim)
    plain = [name for name in schema.names if name not in vector_columns(schema)]
    arrays = [pa.array(columns[name], type=schema.field(name).type) for name in plain]
    arrays.append(pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), dim))
    if IMAGE_COLUMN in schema.names:
        arrays.append(image_array([r.image_vector for r in records], dim))
    else:
        refuse_image_vectors(records)
    return pa.Table.from_arrays(arrays, schema=schema)


def image_array(vectors: Sequence[np.ndarray | None], dim: int) -> pa.Array:
    """A nullable fixed-size-list column: ``None`` where an asset has no image vector."""
    present = [v for v in vectors if v is not None]
    matrix = check_vectors(present, dim) if present else np.zeros((0, dim), np.float32)
    rows: list[Any] = []
    it = iter(matrix)
    for vector in vectors:
        rows.append(None if vector is None else next(it).tolist())
    return pa.array(rows, type=pa.list_(pa.float32(), dim))


def embed_in_batches(
    embedder: Any, texts: list[str], progress: Callable[[int, int], None] | None
) -> np.ndarray:
    out = np.empty((len(texts), embedder.identity.dim), dtype=np.float32)
    for start in range(0, len(texts), REBUILD_BATCH):
        out[start : start + REBUILD_BATCH] = embedder.embed_texts(
            texts[start : start + REBUILD_BATCH]
        )
        if progress is not None:
            progress(min(start + REBUILD_BATCH, len(texts)), len(texts))
    return out


def vector_matrix(table: pa.Table, dim: int, column_name: str = "vector") -> np.ndarray:
    column = table.column(column_name).combine_chunks()
    return np.asarray(column.flatten(), dtype=np.float32).reshape(-1, dim)


def optional_vectors(table: pa.Table, dim: int, column_name: str) -> list[np.ndarray | None]:
    """Rows of a nullable vector column (``None`` for a null or an absent column)."""
    if column_name not in table.column_names:
        return [None] * table.num_rows
    rows = table.column(column_name).to_pylist()
    return [None if r is None else np.asarray(r, np.float32).reshape(dim) for r in rows]


def candidate_rows(data: pa.Table, dim: int) -> list[dict[str, Any]]:
    """Search results as row dicts with ``vector`` and ``image_vector`` as float32 arrays
    (``None`` when absent or not selected), ready for scoring."""
    if "vector" in data.column_names:
        vectors: Sequence[np.ndarray | None] = list(vector_matrix(data, dim))
        data = data.drop_columns(["vector"])
    else:
        vectors = [None] * data.num_rows
    images = optional_vectors(data, dim, IMAGE_COLUMN)
    rows = data.to_pylist()
    for row, vec, image in zip(rows, vectors, images, strict=True):
        row["vector"], row[IMAGE_COLUMN] = vec, image
    return rows


def reembedded_table(old: pa.Table, vectors: np.ndarray, identity: EmbedderIdentity) -> pa.Table:
    """``old`` with its caption vectors replaced by ``vectors`` under the schema of
    ``identity``; image vectors are left empty (the pixels are not in the table)."""
    schema = table_schema(identity)
    dim = identity.dim
    columns = [old.column(name) for name in schema.names if name not in ("vector", IMAGE_COLUMN)]
    flat = pa.array(vectors.ravel(), type=pa.float32())
    columns.append(pa.FixedSizeListArray.from_arrays(flat, dim))
    if IMAGE_COLUMN in schema.names:
        columns.append(image_array([None] * old.num_rows, dim))
    return pa.Table.from_arrays(columns, schema=schema)


# -- the table's indexes --------------------------------------------------------------------


def has_index(table: Any, index_type: str) -> bool:
    """Whether ``table`` has an index of ``index_type`` ("FTS", "BTree", "IVF_FLAT", ...)."""
    return any(ix.index_type == index_type for ix in table.list_indices())


def vector_index_type(table: Any) -> str | None:
    """The type of the index on the caption ``vector`` column (None: searched exactly)."""
    for ix in table.list_indices():
        if list(ix.columns) == ["vector"]:
            return str(ix.index_type)
    return None


def unindexed_text_rows(table: Any) -> int | None:
    """Rows added since the full-text index was last refreshed (None: no such index)."""
    for ix in table.list_indices():
        if ix.index_type == "FTS":
            stats = table.index_stats(ix.name)
            return None if stats is None else int(stats.num_unindexed_rows)
    return None
