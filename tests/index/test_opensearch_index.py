"""``index.opensearch`` against a real in-memory OpenSearch-compatible server (osmem-server).

osmem runs index, bulk, text, filter, count and paging calls for real and refuses ``knn`` queries,
so these tests use ``opensearch_knn = false`` (vectors scored in the client) for vector search and
check that a server without k-NN fails with a hint. The shared contract suite
(tests/test_index_contract.py) runs the same backend too. Each test gets its own osmem clone
(the ``osmem_clone`` fixture of osmem-server's pytest plugin; one server per session).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from opensearchpy import OpenSearch

from reelrag.embeddings.minilm import MiniLMEmbedder
from reelrag.errors import BackendError, IndexMismatchError, RetryableBackendError
from reelrag.index.base import IndexQuery, IndexRecord
from reelrag.index.opensearch import index as opensearch_module
from reelrag.index.opensearch.index import OpenSearchIndex
from reelrag.plugins import registry
from reelrag.settings import load_settings
from reelrag.types import SearchFilters
from retrieval_library import by_name


@pytest.fixture
def url(osmem_clone: Any) -> str:
    return str(osmem_clone.url)


def _index(url: str, embedder: MiniLMEmbedder, **options: Any) -> OpenSearchIndex:
    options.setdefault("knn", False)
    return OpenSearchIndex(OpenSearch(hosts=[url]), "assets", embedder.identity, **options)


def _query(embedder: MiniLMEmbedder, text: str, **kw: Any) -> IndexQuery:
    return IndexQuery(text, embedder.embed_texts([text])[0], **kw)


def test_from_settings_through_the_registry(
    url: str, embedder: MiniLMEmbedder, records: list[IndexRecord]
) -> None:
    settings = load_settings(
        {"opensearch_endpoint": url, "opensearch_auth": "none", "opensearch_knn": False},
        environ={},
    )
    index = registry.get("index", "opensearch").from_settings(settings, embedder.identity)
    index.upsert(records)
    info = index.info()
    assert (info.backend, info.uri, info.rows) == (
        "opensearch",
        f"{url}/reelrag-assets",
        len(records),
    )
    assert info.ann_index == "HNSW/FAISS/INNERPRODUCT" and info.text_index
    hit = index.search(_query(embedder, "ginger cat", limit=1))[0]
    assert hit.asset == by_name(records, "cat").asset and hit.score >= 0.45


def test_server_without_knn_fails_with_a_hint(
    url: str, embedder: MiniLMEmbedder, records: list[IndexRecord]
) -> None:
    index = _index(url, embedder, knn=True)
    index.upsert(records)
    with pytest.raises(BackendError) as info:
        index.search(_query(embedder, "cat", mode="hybrid"))
    assert "opensearch_knn = false" in (info.value.hint or "")
    # Text search sends no k-NN query, so it works on any server.
    hits = index.search(IndexQuery("seagulls harbour", None, mode="text"))
    assert hits[0].asset.id == by_name(records, "birds").asset.id and hits[0].score == 1.0


def test_managed_domain_uses_asset_ids_as_document_ids(
    url: str, embedder: MiniLMEmbedder, records: list[IndexRecord]
) -> None:
    _index(url, embedder).upsert(records[:3])
    raw = OpenSearch(hosts=[url]).search(index="assets", body={"query": {"match_all": {}}})
    assert {h["_id"] for h in raw["hits"]["hits"]} == {r.asset.id for r in records[:3]}


def test_serverless_upsert_replaces_without_custom_ids(
    url: str, embedder: MiniLMEmbedder, records: list[IndexRecord]
) -> None:
    index = _index(url, embedder, serverless=True)
    index.upsert(records)
    cat = by_name(records, "cat")
    text = "A red racing car on a track"
    index.upsert(
        [IndexRecord(cat.asset.replace(caption=text), embedder.embed_texts([text])[0], text)]
    )
    assert index.count() == len(records)  # the old copy went in the same bulk request
    assert index.get(cat.asset.id).caption == text  # type: ignore[union-attr]
    raw = OpenSearch(hosts=[url]).search(
        index="assets", body={"query": {"match_all": {}}, "size": 100}
    )
    assert not {h["_id"] for h in raw["hits"]["hits"]} & {r.asset.id for r in records}
    index.delete([cat.asset.id])
    assert index.get(cat.asset.id) is None and index.count() == len(records) - 1


def test_list_assets_pages_with_search_after(
    monkeypatch: pytest.MonkeyPatch, url: str, embedder: MiniLMEmbedder, records: list[IndexRecord]
) -> None:
    monkeypatch.setattr(opensearch_module, "PAGE", 4)  # force several pages
    index = _index(url, embedder)
    index.upsert(records)
    assert [a.id for a in index.list_assets()] == [r.asset.id for r in records]
    assert index.list_assets(limit=5, offset=3) == [r.asset for r in records[3:8]]
    filtered = index.search(
        _query(embedder, "a photo", limit=50, filters=SearchFilters(folder="people"), mode="vector")
    )
    assert {h.asset.folder.split("/")[0] for h in filtered} == {"people"}


def test_a_foreign_index_is_refused(url: str, embedder: MiniLMEmbedder) -> None:
    client = OpenSearch(hosts=[url])
    client.indices.create(
        index="assets", body={"mappings": {"properties": {"id": {"type": "keyword"}}}}
    )
    with pytest.raises(IndexMismatchError, match="unknown embedder"):
        _index(url, embedder)


def test_rejected_documents_are_reported(
    url: str, embedder: MiniLMEmbedder, records: list[IndexRecord]
) -> None:
    client = OpenSearch(hosts=[url])
    key = embedder.identity.key()
    mapping = {
        "dynamic": "strict",
        "_meta": {"reelrag": {"embedder": key}},
        "properties": {"id": {"type": "keyword"}},
    }
    client.indices.create(index="assets", body={"mappings": mapping})
    with pytest.raises(BackendError, match=records[0].asset.id):
        _index(url, embedder).upsert(records[:2])


def test_unreachable_server_is_retryable(embedder: MiniLMEmbedder) -> None:
    client = OpenSearch(hosts=["http://127.0.0.1:9"], max_retries=0, timeout=2)
    with pytest.raises(RetryableBackendError) as info:
        OpenSearchIndex(client, "assets", embedder.identity)
    assert "opensearch_endpoint" in (info.value.hint or "")


def test_vectors_round_trip(url: str, embedder: MiniLMEmbedder, records: list[IndexRecord]) -> None:
    index = _index(url, embedder)
    index.upsert(records)
    stored = index.vectors([records[1].asset.id, "missing"])
    assert list(stored) == [records[1].asset.id]
    np.testing.assert_allclose(stored[records[1].asset.id], records[1].vector, atol=1e-6)
