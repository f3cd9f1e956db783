"""Pure builders of OpenSearch request bodies for ``index.opensearch`` (no network, no client).

Owns the index mapping (a ``knn_vector`` with engine and space set explicitly: OpenSearch 2.18
changed the default engine from nmslib to faiss, and faiss HNSW lacks ``cosinesimil`` there),
the translation of :class:`~reelrag.types.SearchFilters` into query-DSL filter clauses with the
same meaning as the LanceDB index's SQL, and the k-NN, text, scan, id and bulk bodies. Keeping
them pure lets the tests check every body against the documented shapes, including the k-NN
queries that the in-memory test server cannot run. An index for a multimodal embedder gets a
second ``knn_vector`` field, ``image_vector``, with the same method; its modalities are recorded
in ``_meta`` beside the embedder identity.

Shapes follow https://docs.opensearch.org/latest/vector-search/creating-vector-index and
https://docs.opensearch.org/latest/query-dsl/specialized/k-nn/ (``knn`` with ``filter``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from reelrag.errors import ConfigError
from reelrag.index.base import ASSET_FIELDS, ASSET_STR_FIELDS
from reelrag.index.filters import check_filters, folder_prefix
from reelrag.types import Asset, SearchFilters

ENGINES = ("faiss", "lucene", "nmslib")
SPACES = ("innerproduct", "cosinesimil", "l2")
META_KEY = "reelrag"
# What ranking needs from each candidate; full assets come along (one round trip, small rows).
CANDIDATE_FIELDS = [*ASSET_FIELDS, "text", "vector"]
IMAGE_FIELD = "image_vector"
IMAGE_CANDIDATE_FIELDS = [*CANDIDATE_FIELDS, IMAGE_FIELD]
ORDER = [{"ingested_at": "asc"}, {"id": "asc"}]  # list order: ingestion time, then id


def check_method(engine: str, space: str) -> None:
    """Refuse an engine or space this backend does not support (before any request)."""
    if engine not in ENGINES:
        raise ConfigError(
            f"opensearch_engine={engine!r} is not one of {', '.join(ENGINES)}",
            hint="use faiss (Serverless vector collections expect Faiss HNSW)",
        )
    if space not in SPACES:
        raise ConfigError(
            f"opensearch_space={space!r} is not one of {', '.join(SPACES)}",
            hint="use innerproduct (unit vectors: the same order as cosine)",
        )


def index_body(
    dim: int,
    identity_key: str,
    *,
    engine: str = "faiss",
    space: str = "innerproduct",
    modalities: Sequence[str] = ("text",),
) -> dict[str, Any]:
    """Settings and mappings of a new index; the embedder identity and modalities go in
    ``_meta``; ``"image"`` in ``modalities`` adds the ``image_vector`` field."""
    check_method(engine, space)
    knn_field = {
        "type": "knn_vector",
        "dimension": dim,
        "method": {"name": "hnsw", "engine": engine, "space_type": space},
    }
    keyword = {"type": "keyword"}
    properties: dict[str, Any] = {name: keyword for name in ASSET_STR_FIELDS}
    properties["caption"] = {"type": "text", "index": False}  # shown, never searched
    properties.update(
        width={"type": "integer"},
        height={"type": "integer"},
        size_bytes={"type": "long"},
        keywords=keyword,
        tags=keyword,
        orientation=keyword,
        text={"type": "text"},
        vector=knn_field,
    )
    if "image" in modalities:
        properties[IMAGE_FIELD] = dict(knn_field)
    meta = {"embedder": identity_key, "dim": dim, "modalities": modalities_label(modalities)}
    return {
        "settings": {"index": {"knn": True}},
        "mappings": {
            "dynamic": "strict",  # a misspelt field fails loudly instead of being guessed
            "_meta": {META_KEY: meta},
            "properties": properties,
        },
    }


def stored_identity(mapping: dict[str, Any]) -> str:
    """The embedder key in an index mapping's ``_meta`` ("" when there is none)."""
    meta = mapping.get("_meta") or {}
    return str((meta.get(META_KEY) or {}).get("embedder", ""))


def modalities_label(modalities: Sequence[str]) -> str:
    return ",".join(sorted(modalities))


def stored_modalities(mapping: dict[str, Any]) -> str:
    """The modalities in a mapping's ``_meta`` ("text" for indexes from before image vectors)."""
    meta = mapping.get("_meta") or {}
    return str((meta.get(META_KEY) or {}).get("modalities") or "text")


def stored_method(mapping: dict[str, Any]) -> dict[str, Any]:
    """The ``method`` of the mapping's ``vector`` field ({} when absent)."""
    vector = (mapping.get("properties") or {}).get("vector") or {}
    return dict(vector.get("method") or {})


def filter_clauses(filters: SearchFilters) -> list[dict[str, Any]]:
    """Filters as bool-filter clauses; the same meaning as the LanceDB index's SQL.

    >>> filter_clauses(SearchFilters(folder="people/", min_width=800))
    [{'range': {'width': {'gte': 800}}}, {'bool': {'should': [{'term': {'folder': 'people'}}, \
{'prefix': {'folder': 'people/'}}], 'minimum_should_match': 1}}]
    """
    check_filters(filters)
    clauses: list[dict[str, Any]] = []
    if filters.orientation:
        clauses.append({"term": {"orientation": filters.orientation}})
    if filters.min_width is not None:
        clauses.append({"range": {"width": {"gte": int(filters.min_width)}}})
    if filters.min_height is not None:
        clauses.append({"range": {"height": {"gte": int(filters.min_height)}}})
    if filters.folder:
        prefix = folder_prefix(filters.folder)
        if prefix:  # "/" alone means every folder
            folder = [{"term": {"folder": prefix}}, {"prefix": {"folder": prefix + "/"}}]
            clauses.append({"bool": {"should": folder, "minimum_should_match": 1}})
    if filters.tag:
        clauses.append({"term": {"tags": filters.tag.strip().lower()}})
    if filters.caption_source:
        clauses.append({"term": {"caption_source": filters.caption_source}})
    return clauses


def _filtered(query: dict[str, Any] | None, clauses: list[dict[str, Any]]) -> dict[str, Any]:
    if not clauses:
        return query or {"match_all": {}}
    body: dict[str, Any] = {"filter": clauses}
    if query:
        body["must"] = [query]
    return {"bool": body}


def knn_body(
    vector: np.ndarray,
    k: int,
    clauses: list[dict[str, Any]],
    fields: Sequence[str],
    field: str = "vector",
) -> dict[str, Any]:
    """A k-NN query on ``field`` for the ``k`` nearest vectors among documents that pass
    ``clauses`` (documents without the field, such as an asset with no image vector, never match).

    The filter sits inside ``knn`` (efficient filtering, faiss and lucene): the engine returns
    ``k`` matches of the filter rather than ``k`` neighbours of which some are then dropped.
    """
    knn: dict[str, Any] = {"vector": [float(x) for x in np.asarray(vector).ravel()], "k": k}
    if clauses:
        knn["filter"] = {"bool": {"filter": clauses}}
    return {"size": k, "_source": list(fields), "query": {"knn": {field: knn}}}


def text_body(
    text: str, k: int, clauses: list[dict[str, Any]], fields: Sequence[str]
) -> dict[str, Any]:
    """BM25 over ``text`` with a ``match`` query: the query text is analysed, never parsed as
    query syntax, so quotes, ``AND`` or ``*`` in user text cannot break or change it."""
    match = {"match": {"text": {"query": text, "operator": "or"}}}
    return {"size": k, "_source": list(fields), "query": _filtered(match, clauses)}


def scan_body(
    clauses: list[dict[str, Any]],
    fields: Sequence[str],
    size: int,
    search_after: list[Any] | None = None,
) -> dict[str, Any]:
    """One page of every document passing ``clauses``, in list order (``search_after`` paging)."""
    body: dict[str, Any] = {
        "size": size,
        "_source": list(fields),
        "query": _filtered(None, clauses),
        "sort": ORDER,
    }
    if search_after is not None:
        body["search_after"] = search_after
    return body


def ids_body(asset_ids: Sequence[str], fields: Sequence[str] | bool) -> dict[str, Any]:
    """Documents whose ``id`` field is one of ``asset_ids`` (works without custom ``_id``s)."""
    source = fields if isinstance(fields, bool) else list(fields)
    return {
        "size": max(1, 4 * len(asset_ids)),  # room for Serverless duplicates awaiting cleanup
        "_source": source,
        "query": {"terms": {"id": list(asset_ids)}},
    }


def msearch_lines(index: str, bodies: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The header/body pairs of one ``_msearch`` request."""
    lines: list[dict[str, Any]] = []
    for body in bodies:
        lines += [{"index": index}, body]
    return lines


def document(
    asset: Asset, text: str, vector: np.ndarray, image_vector: np.ndarray | None = None
) -> dict[str, Any]:
    """The ``_source`` of one asset's document (``image_vector`` left out when ``None``)."""
    doc: dict[str, Any] = {name: getattr(asset, name) for name in ASSET_STR_FIELDS}
    doc.update(
        width=int(asset.width),
        height=int(asset.height),
        size_bytes=int(asset.size_bytes),
        keywords=list(asset.keywords),
        tags=sorted({k.strip().lower() for k in asset.keywords if k.strip()}),
        orientation=asset.orientation,
        text=text,
        vector=[float(x) for x in vector],
    )
    if image_vector is not None:
        doc[IMAGE_FIELD] = [float(x) for x in image_vector]
    return doc


def bulk_index_lines(
    index: str, docs: Sequence[dict[str, Any]], *, custom_ids: bool
) -> list[dict[str, Any]]:
    """``index`` actions; without ``custom_ids`` (Serverless vector collections) the server
    assigns each document's ``_id`` and an upsert is "index new, then delete old"."""
    lines: list[dict[str, Any]] = []
    for doc in docs:
        action: dict[str, Any] = {"_index": index}
        if custom_ids:
            action["_id"] = doc["id"]
        lines += [{"index": action}, doc]
    return lines


def bulk_delete_lines(index: str, doc_ids: Iterable[str]) -> list[dict[str, Any]]:
    return [{"delete": {"_index": index, "_id": doc_id}} for doc_id in doc_ids]
