"""LanceDB index in S3 (``index_uri = "s3://..."``) against moto's S3 server on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import boto3
import lancedb
import pyarrow as pa
import pytest
from moto.server import ThreadedMotoServer

from reelrag.embeddings.minilm import MiniLMEmbedder
from reelrag.index.base import IndexQuery
from reelrag.index.lance.index import LanceIndex
from reelrag.index.lance.storage_options import lance_storage_options
from reelrag.settings import load_settings
from retrieval_library import make_records

BUCKET = "reelrag-index"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    client.create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)


def test_storage_options_follow_the_settings() -> None:
    settings = load_settings(
        {"aws_region": "eu-west-1", "s3_endpoint_url": "http://127.0.0.1:9000"}, environ={}
    )
    assert lance_storage_options("s3://b/index", settings) == {
        "region": "eu-west-1",
        "endpoint": "http://127.0.0.1:9000",
        "allow_http": "true",
    }
    assert lance_storage_options("/local/index", settings) == {}
    https = load_settings({"s3_endpoint_url": "https://minio.example"}, environ={})
    assert lance_storage_options("s3://b/i", https) == {"endpoint": "https://minio.example"}


def test_lancedb_round_trip_in_s3_with_the_helper(endpoint: str, aws_env: None) -> None:
    settings = load_settings({"aws_region": "us-east-1", "s3_endpoint_url": endpoint}, environ={})
    uri = f"s3://{BUCKET}/raw"
    db = lancedb.connect(uri, storage_options=lance_storage_options(uri, settings))
    table = db.create_table("t", data=pa.table({"id": ["a", "b"], "n": [1, 2]}))
    merge = table.merge_insert("id").when_matched_update_all().when_not_matched_insert_all()
    merge.execute(pa.table({"id": ["b", "c"], "n": [20, 3]}))
    reopened = lancedb.connect(uri, storage_options=lance_storage_options(uri, settings))
    rows = reopened.open_table("t").to_arrow().sort_by("id").to_pylist()
    assert rows == [{"id": "a", "n": 1}, {"id": "b", "n": 20}, {"id": "c", "n": 3}]
    keys = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").list_objects_v2(
        Bucket=BUCKET, Prefix="raw/"
    )
    assert keys["KeyCount"] > 0  # the table really lives in the bucket


def test_lance_index_in_s3(endpoint: str, aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # LanceDB's object store also reads these variables: a deployment may rely on them
    # instead of the settings.
    monkeypatch.setenv("AWS_ENDPOINT", endpoint)
    monkeypatch.setenv("AWS_ALLOW_HTTP", "true")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    embedder = MiniLMEmbedder()
    records = make_records(embedder)[:8]
    index = LanceIndex(f"s3://{BUCKET}/index", embedder.identity)
    index.upsert(records)
    reopened: Any = LanceIndex(f"s3://{BUCKET}/index", embedder.identity)
    assert reopened.count() == len(records)
    text = records[0].asset.caption
    hits = reopened.search(IndexQuery(text, embedder.embed_texts([text])[0], limit=1))
    assert hits[0].asset.id == records[0].asset.id


def test_lance_index_in_s3_from_settings_alone(endpoint: str, aws_env: None) -> None:
    # No AWS_ENDPOINT variable: the settings (index_uri, s3_endpoint_url, aws_region) suffice.
    settings = load_settings(
        {"index_uri": f"s3://{BUCKET}/settings-index", "s3_endpoint_url": endpoint,
         "aws_region": "us-east-1"},
        environ={},
    )  # fmt: skip
    embedder = MiniLMEmbedder()
    records = make_records(embedder)[:4]
    LanceIndex.from_settings(settings, embedder.identity).upsert(records)
    assert LanceIndex.from_settings(settings, embedder.identity).count() == len(records)
    LanceIndex.drop(settings)
    assert LanceIndex.from_settings(settings, embedder.identity).count() == 0
