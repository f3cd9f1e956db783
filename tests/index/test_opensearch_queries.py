"""OpenSearch request bodies against the documented shapes, SigV4 signing and error translation.

No server: the k-NN bodies here are the ones the in-memory test server (osmem) refuses to run,
so their shape is checked against the OpenSearch documentation instead
(https://docs.opensearch.org/latest/query-dsl/specialized/k-nn/ ,
https://docs.opensearch.org/latest/vector-search/creating-vector-index).
"""

from __future__ import annotations

import numpy as np
import pytest
import requests
from opensearchpy import exceptions as ox

from reelrag.errors import (
    AccessDeniedError,
    BackendError,
    ConfigError,
    InputError,
    RetryableBackendError,
)
from reelrag.index.base import asset_from_fields
from reelrag.index.opensearch import queries as q
from reelrag.index.opensearch.client import make_client, region_from_endpoint, translate
from reelrag.settings import load_settings
from reelrag.types import Asset, SearchFilters


def test_index_body_sets_engine_and_space_explicitly() -> None:
    body = q.index_body(384, "minilm:m:384", engine="faiss", space="innerproduct")
    assert body["settings"] == {"index": {"knn": True}}
    vector = body["mappings"]["properties"]["vector"]
    assert vector == {
        "type": "knn_vector",
        "dimension": 384,
        "method": {"name": "hnsw", "engine": "faiss", "space_type": "innerproduct"},
    }
    assert q.stored_identity(body["mappings"]) == "minilm:m:384"
    assert q.stored_method(body["mappings"])["engine"] == "faiss"
    assert body["mappings"]["properties"]["text"] == {"type": "text"}
    assert body["mappings"]["properties"]["folder"] == {"type": "keyword"}


@pytest.mark.parametrize(("engine", "space"), [("annoy", "l2"), ("faiss", "hamming")])
def test_unknown_engine_or_space_is_refused(engine: str, space: str) -> None:
    with pytest.raises(ConfigError) as info:
        q.index_body(8, "x", engine=engine, space=space)
    assert info.value.hint


def test_knn_body_puts_the_filter_inside_knn() -> None:
    clauses = q.filter_clauses(SearchFilters(orientation="portrait", tag=" Animals "))
    body = q.knn_body(np.array([0.5, -0.5], np.float32), 50, clauses, ["id", "vector"])
    knn = body["query"]["knn"]["vector"]
    assert body["size"] == 50 and knn["k"] == 50 and knn["vector"] == [0.5, -0.5]
    assert knn["filter"] == {
        "bool": {"filter": [{"term": {"orientation": "portrait"}}, {"term": {"tags": "animals"}}]}
    }
    assert body["_source"] == ["id", "vector"]
    assert "filter" not in q.knn_body(np.ones(2), 5, [], ["id"])["query"]["knn"]["vector"]


def test_text_body_is_a_match_query_that_never_parses_syntax() -> None:
    odd = 'it\'s "quoted" AND (x) *'
    body = q.text_body(odd, 20, [], ["id"])
    assert body["query"] == {"match": {"text": {"query": odd, "operator": "or"}}}
    filtered = q.text_body("cat", 20, q.filter_clauses(SearchFilters(min_width=10)), ["id"])
    assert filtered["query"]["bool"]["must"] == [
        {"match": {"text": {"query": "cat", "operator": "or"}}}
    ]
    assert filtered["query"]["bool"]["filter"] == [{"range": {"width": {"gte": 10}}}]


def test_msearch_lines_pair_headers_and_bodies() -> None:
    lines = q.msearch_lines("idx", [{"query": {"match_all": {}}}, {"size": 1}])
    assert lines == [{"index": "idx"}, {"query": {"match_all": {}}}, {"index": "idx"}, {"size": 1}]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (SearchFilters(), []),
        (SearchFilters(folder="/"), []),
        (SearchFilters(min_height=0), [{"range": {"height": {"gte": 0}}}]),
        (SearchFilters(caption_source="sidecar"), [{"term": {"caption_source": "sidecar"}}]),
        (
            SearchFilters(folder="a\\b/"),
            [{"bool": {"should": [{"term": {"folder": "a/b"}}, {"prefix": {"folder": "a/b/"}}],
                       "minimum_should_match": 1}}],
        ),
    ],
)  # fmt: skip
def test_filter_clauses(filters: SearchFilters, expected: list[object]) -> None:
    assert q.filter_clauses(filters) == expected


def test_invalid_filters_raise_before_any_request() -> None:
    with pytest.raises(InputError):
        q.filter_clauses(SearchFilters(orientation="round"))


def test_bulk_lines_with_and_without_custom_ids() -> None:
    asset = Asset(
        id="abc", source="s3://b/x.jpg", width=4, height=3, format="jpeg", keywords=("Cat",)
    )
    doc = q.document(asset, "a cat", np.array([1.0, 0.0], np.float32))
    assert doc["tags"] == ["cat"] and doc["orientation"] == "landscape"
    assert asset_from_fields(doc) == asset
    assert q.bulk_index_lines("i", [doc], custom_ids=True)[0] == {
        "index": {"_index": "i", "_id": "abc"}
    }
    assert q.bulk_index_lines("i", [doc], custom_ids=False)[0] == {"index": {"_index": "i"}}
    assert q.bulk_delete_lines("i", ["z"]) == [{"delete": {"_index": "i", "_id": "z"}}]


def test_region_from_endpoint() -> None:
    assert region_from_endpoint("https://search-x-abc.eu-west-1.es.amazonaws.com") == "eu-west-1"
    assert region_from_endpoint("http://127.0.0.1:9200") == ""


def _settings(**values: object):  # type: ignore[no-untyped-def]
    return load_settings(values, environ={})


def test_make_client_refuses_missing_or_bad_endpoint() -> None:
    with pytest.raises(ConfigError, match="opensearch_endpoint"):
        make_client(_settings())
    with pytest.raises(ConfigError, match="not a URL"):
        make_client(_settings(opensearch_endpoint="abc.us-east-1.aoss.amazonaws.com"))
    with pytest.raises(ConfigError, match="opensearch_auth"):
        make_client(_settings(opensearch_endpoint="https://h", opensearch_auth="basic"))


@pytest.mark.parametrize(("serverless", "service"), [(True, "aoss"), (False, "es")])
def test_sigv4_signs_for_the_right_service(
    monkeypatch: pytest.MonkeyPatch, serverless: bool, service: str
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    endpoint = "https://abc123.us-west-2.aoss.amazonaws.com"
    client = make_client(_settings(opensearch_endpoint=endpoint, opensearch_serverless=serverless))
    auth = client.transport.get_connection().session.auth
    prepared = requests.Request("GET", f"{endpoint}/idx/_search", data=b"{}").prepare()
    signed = auth(prepared)
    header = signed.headers["Authorization"]
    assert header.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert f"/us-west-2/{service}/aws4_request" in header


def test_sigv4_without_credentials_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(AccessDeniedError) as info:
        make_client(_settings(opensearch_endpoint="https://h.us-east-1.es.amazonaws.com"))
    assert "aws configure" in (info.value.hint or "")


@pytest.mark.parametrize(
    ("exc", "kind", "words"),
    [
        (ox.AuthorizationException(403, "security_exception", {"error": {"reason": "no"}}),
         AccessDeniedError, "aoss:APIAccessAll"),
        (ox.TransportError(429, "too_many_requests", {}), RetryableBackendError, "busy"),
        (ox.TransportError(503, "unavailable", {}), RetryableBackendError, "busy"),
        (ox.ConnectionError("N/A", "refused", None), RetryableBackendError, "opensearch_endpoint"),
        (ox.RequestError(400, "x", {"error": {"reason": "[knn] query is not supported"}}),
         BackendError, "opensearch_knn"),
    ],
)  # fmt: skip
def test_translate(exc: Exception, kind: type, words: str) -> None:
    error = translate(exc, action="search", serverless=True)
    assert type(error) is kind
    assert words in str(error)
