"""The shared backend contracts, run against the AWS backends offline.

S3Store runs the object-store contract against moto's in-process S3. Titan and the Bedrock
captioner run the structural embedder/captioner checks with a fake Bedrock runtime at the network
edge (deterministic vectors keyed by the request), and the generator accepts the shared request.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from reelrag.captioning.base import Caption, CaptionInput
from reelrag.captioning.bedrock import BedrockCaptioner
from reelrag.embeddings.titan import TitanEmbedder
from reelrag.errors import InputError, NotFoundError
from reelrag.generation.base import check_request
from reelrag.generation.bedrock.generator import BedrockGenerator
from reelrag.settings import load_settings
from reelrag.storage import open_store
from reelrag.storage.s3 import S3Store
from reelrag.types import GenerationRequest


@pytest.fixture
def s3(moto_s3: Any) -> Any:
    moto_s3.create_bucket(Bucket="lib")
    return moto_s3


@pytest.fixture(params=["", "photos/v1"])
def store(request: pytest.FixtureRequest, s3: Any) -> S3Store:
    return S3Store("lib", request.param, client=s3)


def test_put_get_roundtrip_and_uri(store: S3Store) -> None:
    uri = store.put_bytes("a/b/c.bin", b"\x00\x01payload", "application/octet-stream")
    assert store.get_bytes("a/b/c.bin") == b"\x00\x01payload"
    assert store.exists("a/b/c.bin") and uri == store.uri_for("a/b/c.bin")
    assert uri.startswith("s3://lib/") and uri.endswith("a/b/c.bin")


def test_overwrite_list_delete(store: S3Store) -> None:
    store.put_bytes("k", b"long old content")
    store.put_bytes("k", b"new")
    assert store.get_bytes("k") == b"new"
    for key in ("x/2", "x/1", "y/1"):
        store.put_bytes(key, b"-")
    assert list(store.list("x/")) == ["x/1", "x/2"]
    store.delete("k")
    store.delete("k")
    assert not store.exists("k")
    with pytest.raises(NotFoundError, match="no object 'k'"):
        store.get_bytes("k")


def test_keys_cannot_escape(s3: Any) -> None:
    store = S3Store("lib", "p", client=s3)
    for key in ["../escape", "/abs", "a/../../b", "", "a//b", "./a"]:
        with pytest.raises(InputError):
            store.put_bytes(key, b"-")
    assert list(store.list()) == []


def test_multipart_put_file_and_atomic_download(store: S3Store, tmp_path: Path) -> None:
    from boto3.s3.transfer import TransferConfig

    store._transfer = TransferConfig(multipart_threshold=5 * 2**20, multipart_chunksize=5 * 2**20)
    source = tmp_path / "big.bin"
    source.write_bytes(np.random.default_rng(0).bytes(11 * 2**20))  # 3 parts
    store.put_file("big.bin", source)
    target = store.get_file("big.bin", tmp_path / "down" / "big.bin")
    assert target.read_bytes() == source.read_bytes()
    assert [p.name for p in target.parent.iterdir()] == ["big.bin"]
    with pytest.raises(NotFoundError):
        store.get_file("missing", tmp_path / "down" / "missing")
    assert not (tmp_path / "down" / "missing").exists()


def test_open_store_picks_s3_by_uri(s3: Any) -> None:
    settings = load_settings({"store": "s3://lib/prefix", "aws_region": "us-east-1"}, environ={})
    store = open_store(settings)
    assert isinstance(store, S3Store) and store.uri == "s3://lib/prefix"
    store.put_bytes("z", b"1")
    assert s3.get_object(Bucket="lib", Key="prefix/z")["Body"].read() == b"1"


# -- embedder / captioner / generator contracts with a fake runtime at the network edge ------


class FakeRuntime:
    """Answers invoke_model (Titan) and converse deterministically from the request content."""

    meta = type("Meta", (), {"region_name": "us-east-1"})()

    def invoke_model(self, *, modelId: str, body: str, **_: Any) -> dict[str, Any]:
        request = json.loads(body)
        seed = int(hashlib.sha256(body.encode()).hexdigest()[:8], 16)
        dim = request["embeddingConfig"]["outputEmbeddingLength"]
        vector = np.random.default_rng(seed).normal(size=dim).tolist()
        return {"body": io.BytesIO(json.dumps({"embedding": vector}).encode())}

    def converse(self, *, modelId: str, messages: list[Any], **_: Any) -> dict[str, Any]:
        return {"output": {"message": {"content": [{"text": "A photo.\nKeywords: photo"}]}}}


def test_titan_embedder_contract() -> None:
    embedder = TitanEmbedder(FakeRuntime(), dim=256)
    texts = ["a cat on a sofa", "red shoes", "mountains"]
    vectors = embedder.embed_texts(texts)
    assert vectors.shape == (3, 256) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(embedder.embed_texts(texts[::-1])[::-1], vectors, atol=1e-6)
    assert embedder.embed_texts([]).shape == (0, 256)
    images = embedder.embed_images([Image.new("RGB", (32, 32), (9, 9, 9))])
    assert images.shape == (1, 256)
    identity = embedder.identity
    assert identity.key() == f"{identity.name}:{identity.model}:{identity.dim}"


def test_bedrock_captioner_contract(tmp_path: Path) -> None:
    captioner = BedrockCaptioner(FakeRuntime(), cache_dir=tmp_path)
    image = Image.new("RGB", (32, 24), (200, 20, 20))
    items = [CaptionInput(f"p{i}.jpg", f"p{i}.jpg", str(i) * 64, {}, image) for i in range(3)]
    captions = captioner.caption_batch(items)
    assert len(captions) == 3 and all(isinstance(c, Caption) for c in captions)
    assert all(c.keywords == ("photo",) and c.source == "bedrock" for c in captions)
    assert captioner.caption_batch([]) == [] and captioner.needs_pixels


@pytest.mark.parametrize(
    "model", ["amazon.nova-reel-v1:0", "amazon.nova-reel-v1:1", "luma.ray-v2:0"]
)
def test_generator_accepts_the_shared_request(model: str) -> None:
    settings = load_settings({"bedrock_video_model": model}, environ={})
    generator = BedrockGenerator(settings)
    job = check_request(GenerationRequest(prompt="slow zoom in"), generator.capabilities, seed=1)
    assert (job.width, job.height, job.fps) == (1280, 720, 24)
    assert generator.estimate_cost_usd(job) > 0
    assert generator.model_input(job, None)  # a valid body, built and checked offline
