"""``index.opensearch``: Amazon OpenSearch Service domains and OpenSearch Serverless collections.

Owns the client (SigV4 signing for ``es`` or ``aoss``), the translation of OpenSearch errors into
ReelRAG's error tree, and an :class:`~reelrag.index.base.Index` with the same search semantics
as the LanceDB index: vector top-K and BM25 top-K fused by RRF for the order, absolute scores in
[0, 1] from :mod:`reelrag.index.scoring` (cosine of the stored vectors, cubed term coverage),
filters with the same meaning (:func:`~reelrag.index.opensearch.queries.filter_clauses`).

Hybrid ranking is fused here, not by a server-side ``hybrid`` query: that needs a search
pipeline (neural-search plugin) and would not give the absolute scores the "no good match"
threshold compares. Both sub-queries go in one ``_msearch`` round trip.

Serverless vector collections accept neither custom document ids nor upserts: there, an upsert
indexes the new documents (server-assigned ``_id``) and deletes the old ones by their ``_id`` in
the same bulk request, and reads collapse documents by asset id. Serverless has no refresh, so
writes become searchable after the collection's refresh interval (seconds), and an upsert that
runs before an earlier one is visible can leave a duplicate that reads collapse.

An index for a multimodal embedder also holds ``image_vector``; searches then add a k-NN query on
it to the same ``_msearch`` and fuse three rankings (caption vector, image vector, BM25).

With ``opensearch_knn = false`` vectors are scored in the client over every document that passes
the filters (exact; fine for small indexes and servers without the k-NN plugin).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from reelrag.embeddings.base import EmbedderIdentity
from reelrag.errors import BackendError, InputError
from reelrag.index import ranking, scoring
from reelrag.index.base import Index, IndexInfo, IndexQuery, IndexRecord, asset_from_fields
from reelrag.index.opensearch import queries as q
from reelrag.index.opensearch.client import ResponseError, make_client, reason_of, translate
from reelrag.settings import Settings
from reelrag.types import Asset, SearchHit

log = logging.getLogger(__name__)

BULK_DOCS = 200  # ~8 KB per 384-d document as JSON: well under the 10 MB request limit
PAGE = 1000


class OpenSearchIndex(Index):
    """Assets, text and vectors in one OpenSearch index; hybrid search fused client-side."""

    def __init__(
        self,
        client: Any,
        index_name: str,
        identity: EmbedderIdentity,
        *,
        serverless: bool = False,
        engine: str = "faiss",
        space: str = "innerproduct",
        knn: bool = True,
        rrf_k: int = 60,
        text_weight: float = 0.5,
        endpoint: str = "",
    ) -> None:
        q.check_method(engine, space)
        self.client = client
        self.name = index_name
        self.identity = identity
        self.serverless = serverless
        self.engine, self.space, self.knn = engine, space, knn
        self.rrf_k, self.text_weight = rrf_k, text_weight
        self.uri = f"{endpoint.rstrip('/')}/{index_name}" if endpoint else index_name
        self.images = "image" in identity.modalities
        self.image_cal = scoring.image_calibration(identity) if self.images else None
        self.fields = q.IMAGE_CANDIDATE_FIELDS if self.images else q.CANDIDATE_FIELDS
        self._mapping = self._open_existing()

    @classmethod
    def from_settings(cls, settings: Settings, identity: EmbedderIdentity) -> OpenSearchIndex:
        return cls(
            make_client(settings),
            settings.opensearch_index,
            identity,
            serverless=settings.opensearch_serverless,
            engine=settings.opensearch_engine,
            space=settings.opensearch_space,
            knn=settings.opensearch_knn,
            rrf_k=settings.rrf_k,
            text_weight=settings.hybrid_text_weight,
            endpoint=settings.opensearch_endpoint,
        )

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        from opensearchpy.exceptions import OpenSearchException

        try:
            yield
        except OpenSearchException as exc:
            raise translate(exc, action=action, serverless=self.serverless) from exc

    # -- index lifecycle -------------------------------------------------------------------

    def _open_existing(self) -> dict[str, Any] | None:
        with self._errors("indices.exists"):
            if not self.client.indices.exists(index=self.name):
                return None
        with self._errors("indices.get_mapping"):
            found = self.client.indices.get_mapping(index=self.name)
        mapping = dict(next(iter(found.values()))["mappings"])
        self._check_identity(mapping)
        return mapping

    def _check_identity(self, mapping: dict[str, Any]) -> None:
        ranking.check_identity(
            f"the OpenSearch index {self.uri}",
            self.identity,
            (q.stored_identity(mapping) or "", q.stored_modalities(mapping)),
            rebuild_hint="start it afresh with `reelrag ingest --reindex` "
            "(or set embedder back to the one used)",
        )

    @classmethod
    def drop(cls, settings: Settings) -> None:
        """Delete ``settings.opensearch_index`` (domain or Serverless collection; absent: no-op)."""
        from opensearchpy.exceptions import NotFoundError as MissingIndex
        from opensearchpy.exceptions import OpenSearchException

        name = settings.opensearch_index
        try:
            make_client(settings).indices.delete(index=name)
        except MissingIndex:
            return
        except OpenSearchException as exc:
            serverless = settings.opensearch_serverless
            raise translate(exc, action="indices.delete", serverless=serverless) from exc
        log.info("deleted the OpenSearch index %s", name)

    def _ensure_index(self) -> None:
        if self._mapping is not None:
            return
        body = q.index_body(
            self.identity.dim,
            self.identity.key(),
            engine=self.engine,
            space=self.space,
            modalities=self.identity.modalities,
        )
        from opensearchpy.exceptions import RequestError

        try:
            self.client.indices.create(index=self.name, body=body)
        except RequestError as exc:  # another process created it first: check it is ours
            if "already_exists" not in reason_of(exc) and "already exists" not in reason_of(exc):
                raise translate(exc, action="indices.create", serverless=self.serverless) from exc
        self._mapping = self._open_existing()

    # -- writes ----------------------------------------------------------------------------

    def upsert(self, records: Sequence[IndexRecord]) -> None:
        """Index or replace documents by asset id (in bulk requests of ``BULK_DOCS``).

        Not atomic across a call: OpenSearch has no multi-document transactions.
        """
        if not records:
            return
        ids = [r.asset.id for r in records]
        if len(set(ids)) != len(ids):
            raise InputError("an upsert batch names the same asset id twice")
        vectors = ranking.check_vectors([r.vector for r in records], self.identity.dim)
        images = self._image_vectors(records)
        self._ensure_index()
        for start in range(0, len(records), BULK_DOCS):
            stop = start + BULK_DOCS
            docs = [
                q.document(r.asset, r.text, v, image)
                for r, v, image in zip(
                    records[start:stop], vectors[start:stop], images[start:stop], strict=True
                )
            ]
            lines = q.bulk_index_lines(self.name, docs, custom_ids=not self.serverless)
            if self.serverless:  # no upserts: drop the old copies in the same request
                lines += q.bulk_delete_lines(self.name, self._doc_ids([d["id"] for d in docs]))
            self._bulk(lines, "bulk index")

    def _image_vectors(self, records: Sequence[IndexRecord]) -> list[np.ndarray | None]:
        if not self.images:
            ranking.refuse_image_vectors(records)
        dim = self.identity.dim
        given = [r.image_vector for r in records]
        return [None if v is None else ranking.check_vectors([v], dim)[0] for v in given]

    def delete(self, asset_ids: Sequence[str]) -> None:
        if self._mapping is None or not asset_ids:
            return
        doc_ids = self._doc_ids(asset_ids) if self.serverless else list(asset_ids)
        if doc_ids:
            self._bulk(q.bulk_delete_lines(self.name, doc_ids), "bulk delete")

    def _bulk(self, lines: list[dict[str, Any]], action: str) -> None:
        params = {} if self.serverless else {"refresh": "wait_for"}
        with self._errors(action):
            response = self.client.bulk(body=lines, **params)
        if not response.get("errors"):
            return
        for item in response.get("items", []):
            op, result = next(iter(item.items()))
            if op == "delete" and result.get("status") == 404:
                continue  # deleting what is already gone is fine
            if "error" in result:
                error = result["error"]
                reason = error.get("reason", error) if isinstance(error, dict) else error
                raise BackendError(f"OpenSearch {action} failed for {result.get('_id')}: {reason}")

    def _doc_ids(self, asset_ids: Sequence[str]) -> list[str]:
        """Server ``_id``s of the documents of ``asset_ids`` (Serverless assigns them)."""
        out: list[str] = []
        for start in range(0, len(asset_ids), PAGE // 4):
            body = q.ids_body(asset_ids[start : start + PAGE // 4], False)
            out += [hit["_id"] for hit in self._search(body)]
        return out

    def optimize(self) -> None:
        """Refresh a domain's index (the engine builds the HNSW graph itself as data arrives)."""
        if self._mapping is not None and not self.serverless:
            with self._errors("indices.refresh"):
                self.client.indices.refresh(index=self.name)

    # -- reads -----------------------------------------------------------------------------

    def _search(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        with self._errors("search"):
            return list(self.client.search(index=self.name, body=body)["hits"]["hits"])

    def count(self) -> int:
        if self._mapping is None:
            return 0
        with self._errors("count"):
            return int(self.client.count(index=self.name)["count"])

    def get(self, asset_id: str) -> Asset | None:
        if self._mapping is None:
            return None
        hits = self._search(q.ids_body([asset_id], q.ASSET_FIELDS))
        return asset_from_fields(hits[0]["_source"]) if hits else None

    def list_assets(self, limit: int | None = None, offset: int = 0) -> list[Asset]:
        """Assets ordered by ingestion time, then id (stable across calls)."""
        if self._mapping is None:
            return []
        rows = _unique(self._scan([], q.ASSET_FIELDS))
        stop = None if limit is None else offset + limit
        return [asset_from_fields(row) for row in itertools.islice(rows, offset, stop)]

    def _scan(self, clauses: list[dict[str, Any]], fields: list[str]) -> Iterator[dict[str, Any]]:
        after: list[Any] | None = None
        while True:
            hits = self._search(q.scan_body(clauses, fields, PAGE, after))
            yield from (hit["_source"] for hit in hits)
            if len(hits) < PAGE:
                return
            after = hits[-1]["sort"]

    def vectors(self, asset_ids: Sequence[str]) -> dict[str, np.ndarray]:
        if self._mapping is None or not asset_ids:
            return {}
        hits = self._search(q.ids_body(asset_ids, ["id", "vector"]))
        return {h["_source"]["id"]: np.asarray(h["_source"]["vector"], np.float32) for h in hits}

    def info(self) -> IndexInfo:
        method = q.stored_method(self._mapping or {})
        ann = "/".join(str(method[k]) for k in ("name", "engine", "space_type") if k in method)
        return IndexInfo(
            backend="opensearch",
            uri=self.uri,
            rows=self.count(),
            embedder=self.identity.key(),
            dim=self.identity.dim,
            ann_index=ann.upper() or None,
            text_index=self._mapping is not None,
            extra={"serverless": self.serverless, "knn_queries": self.knn},
            image_vectors=self.images,
        )

    # -- search ----------------------------------------------------------------------------

    def search(self, query: IndexQuery) -> list[SearchHit]:
        """Hybrid/vector/text search; hits carry absolute scores (see :mod:`scoring`)."""
        ranking.check_query(query)
        clauses = q.filter_clauses(query.filters)
        pair = ranking.query_vectors(query, images=self.images, dim=self.identity.dim)
        vectors = (ranking.unit_or_none(pair[0]), ranking.unit_or_none(pair[1]))
        if self._mapping is None:
            return []
        k = ranking.candidate_k(query.limit)
        found = self._candidates(query, vectors, clauses, k)
        return self._rank(query, vectors, found)

    def _candidates(
        self,
        query: IndexQuery,
        vectors: tuple[np.ndarray | None, np.ndarray | None],
        clauses: list[Any],
        k: int,
    ) -> dict[str, list[dict[str, Any]]]:
        bodies: dict[str, dict[str, Any]] = {}
        if query.mode in ("hybrid", "text") and scoring.terms(query.text):
            bodies["text"] = q.text_body(query.text, k, clauses, self.fields)
        sides = {"caption": ("vector", vectors[0]), "image": (q.IMAGE_FIELD, vectors[1])}
        wanted: dict[str, tuple[str, np.ndarray]] = {
            name: (field, vector)
            for name, (field, vector) in sides.items()
            if vector is not None and query.mode != "text"
        }
        if self.knn:
            for name, (field, vector) in wanted.items():
                bodies[name] = q.knn_body(vector, k, clauses, self.fields, field)
        found = self._msearch(bodies)
        if not self.knn and wanted:
            rows = list(_unique(self._scan(clauses, self.fields)))
            for name, (field, vector) in wanted.items():
                found[name] = ranking.nearest_rows(rows, field, vector, k)
        return found

    def _msearch(self, bodies: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        if not bodies:
            return {}
        with self._errors("msearch"):
            answer = self.client.msearch(body=q.msearch_lines(self.name, bodies.values()))
        out = {}
        for name, response in zip(bodies, answer["responses"], strict=True):
            if "error" in response:
                raise translate(ResponseError(response), action=f"{name} search")
            out[name] = _unique(hit["_source"] for hit in response["hits"]["hits"])
        return {name: list(rows) for name, rows in out.items()}

    def _rank(
        self,
        query: IndexQuery,
        vectors: tuple[np.ndarray | None, np.ndarray | None],
        found: dict[str, list[dict[str, Any]]],
    ) -> list[SearchHit]:
        vector, image = vectors

        def cosines(row: dict[str, Any]) -> tuple[float | None, float | None]:
            cosine = ranking.cosine
            return cosine(row.get("vector"), vector), cosine(row.get(q.IMAGE_FIELD), image)

        cal = None if image is None else self.image_cal
        top = ranking.rank(
            query, found, cosines, rrf_k=self.rrf_k, text_weight=self.text_weight,
            images=self.images, image_cal=cal,
        )  # fmt: skip
        return [
            SearchHit(asset=asset_from_fields(row), rank=rank, **s.hit_fields())
            for rank, (s, row) in enumerate(top, start=1)
        ]


def _unique(rows: Any) -> Iterator[dict[str, Any]]:
    """Rows with the first of each asset id (Serverless may briefly hold two copies)."""
    seen: set[str] = set()
    for row in rows:
        if row["id"] not in seen:
            seen.add(row["id"])
            yield row
