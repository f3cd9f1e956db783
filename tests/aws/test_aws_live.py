"""Live AWS checks (marker ``aws``): run only with credentials and ``REELRAG_TEST_BUCKET``.

They cost little: S3 round trips, a few GetFoundationModel calls, one Titan embedding, one caption,
three Nova embeddings (us-east-1) and one Stability inpaint (~0.07 USD, through the ``us.`` profile;
``REELRAG_TEST_EDIT_REGION``, default the test region). Ray2 is checked for its lifecycle and for
refusing an image before any paid call (``REELRAG_TEST_VIDEO_REGION``, default us-west-2); no
video is generated (that costs money and minutes) unless ``REELRAG_TEST_VIDEO=1``.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.aws

BUCKET = os.environ.get("REELRAG_TEST_BUCKET", "")


def _has_credentials() -> bool:
    try:
        import boto3
    except ModuleNotFoundError:
        return False
    return boto3.Session().get_credentials() is not None


if not BUCKET or not _has_credentials():
    pytest.skip("live AWS tests need credentials and REELRAG_TEST_BUCKET", allow_module_level=True)


@pytest.fixture
def live_settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    from reelrag.settings import load_settings

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return load_settings(
        {
            "workspace": tmp_path,
            "aws_region": region,
            "s3_output_uri": f"s3://{BUCKET}/reelrag-test/videos",
        },
        environ={},
    )


def test_s3_store_roundtrip(live_settings) -> None:  # type: ignore[no-untyped-def]
    from reelrag.storage.s3 import S3Store

    store = S3Store.from_uri(f"s3://{BUCKET}/reelrag-test/{uuid.uuid4().hex}", live_settings)
    store.put_bytes("a.txt", b"hello")
    assert store.get_bytes("a.txt") == b"hello" and list(store.list()) == ["a.txt"]
    store.delete("a.txt")
    assert not store.exists("a.txt")


def test_titan_embeds_text_and_image(live_settings) -> None:  # type: ignore[no-untyped-def]
    from reelrag.embeddings.titan import TitanEmbedder

    embedder = TitanEmbedder.from_settings(live_settings)
    text = embedder.embed_texts(["a red square"])
    image = embedder.embed_images([Image.new("RGB", (64, 64), (220, 10, 10))])
    np.testing.assert_allclose(np.linalg.norm(np.vstack([text, image]), axis=1), 1.0, atol=1e-4)


def test_caption_and_lifecycle(live_settings) -> None:  # type: ignore[no-untyped-def]
    from reelrag.aws.clients import make_client
    from reelrag.aws.lifecycle import check_model
    from reelrag.captioning.base import CaptionInput
    from reelrag.captioning.bedrock import BedrockCaptioner

    info = check_model(make_client("bedrock", live_settings), "luma.ray-v2:0")
    assert info.status in ("ACTIVE", "LEGACY", "UNKNOWN")
    captioner = BedrockCaptioner.from_settings(live_settings)
    item = CaptionInput("x.png", "x.png", uuid.uuid4().hex, {}, Image.new("RGB", (64, 64), "red"))
    assert captioner.caption_batch([item])[0].text


def test_stability_inpaint(live_settings) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from reelrag.editing.base import EditRequest
    from reelrag.editing.bedrock.stability import StabilityEditor
    from reelrag.editing.masks import mask_from_boxes

    region = os.environ.get("REELRAG_TEST_EDIT_REGION") or live_settings.aws_region
    editor = StabilityEditor(dataclasses.replace(live_settings, aws_region=region))
    photo = Image.new("RGB", (512, 512), (40, 120, 200))
    mask = mask_from_boxes(photo.size, [(192, 192, 128, 128)])
    result = editor.edit(photo, mask, EditRequest(prompt="a yellow rubber duck", seed=7))
    assert result.model == "us.stability.stable-image-inpaint-v1:0"
    assert result.details["lifecycle"]["status"] in ("ACTIVE", "LEGACY")
    kept = result.kept
    assert kept, [v.blocked for v in result.variants]
    pixels, inside = np.asarray(kept[0][1]), np.asarray(mask) == 255
    assert pixels.shape == (512, 512, 3)
    assert np.array_equal(pixels[~inside], np.asarray(photo)[~inside])


def test_nova_embeds_text_queries_and_images(live_settings) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from reelrag.embeddings.nova import NovaEmbedder

    region = os.environ.get("REELRAG_TEST_NOVA_REGION", "us-east-1")
    settings = dataclasses.replace(live_settings, aws_region=region, nova_dim=384)
    embedder = NovaEmbedder.from_settings(settings)
    text = embedder.embed_texts(["a red square"])
    query = embedder.embed_queries(["red"])
    images = embedder.embed_images(
        [Image.new("RGB", (64, 64), (220, 10, 10)), Image.new("RGB", (64, 64), (10, 10, 220))]
    )
    vectors = np.vstack([text, query, images])
    assert vectors.shape == (4, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert float(query[0] @ images[0]) > float(query[0] @ images[1])  # one space: red meets red


def test_ray2_lifecycle_and_image_refused_before_paying(live_settings) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from reelrag.aws.clients import make_client
    from reelrag.aws.lifecycle import check_model
    from reelrag.errors import CapabilityError
    from reelrag.generation.base import check_request
    from reelrag.generation.bedrock.generator import BedrockGenerator
    from reelrag.types import GenerationRequest

    region = os.environ.get("REELRAG_TEST_VIDEO_REGION", "us-west-2")
    settings = dataclasses.replace(live_settings, aws_region=region)
    info = check_model(make_client("bedrock", settings), "luma.ray-v2:0", fresh=True)
    assert info.source == "aws" and info.status in ("ACTIVE", "LEGACY")
    generator = BedrockGenerator.from_settings(settings)
    with pytest.raises(CapabilityError, match="no image input"):
        check_request(
            GenerationRequest(prompt="slow pan", image="x.png"), generator.capabilities, 1
        )
    job = check_request(GenerationRequest(prompt="slow pan"), generator.capabilities, seed=1)
    with pytest.raises(CapabilityError, match="cannot start from an image"):
        generator.submit(job, Image.new("RGB", (1280, 720)), "live-ray2-image-refused")


@pytest.mark.skipif(not os.environ.get("REELRAG_TEST_VIDEO"), reason="set REELRAG_TEST_VIDEO=1")
def test_generate_one_video(live_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from reelrag.generation.base import check_request
    from reelrag.generation.bedrock.generator import BedrockGenerator
    from reelrag.types import GenerationRequest

    generator = BedrockGenerator.from_settings(live_settings)
    job = check_request(
        GenerationRequest(prompt="waves on a beach, slow pan right"), generator.capabilities, seed=1
    )
    result = generator.generate(job, None, tmp_path / "live.mp4")
    assert result.video.is_file() and result.frames > 0


@pytest.mark.skipif(
    not os.environ.get("REELRAG_TEST_OPENSEARCH"),
    reason="set REELRAG_TEST_OPENSEARCH to an endpoint (REELRAG_TEST_AOSS=1: Serverless)",
)
def test_opensearch_index_roundtrip(live_settings) -> None:  # type: ignore[no-untyped-def]
    import dataclasses
    import time

    from reelrag.embeddings.minilm import MiniLMEmbedder
    from reelrag.index.base import IndexQuery, IndexRecord
    from reelrag.index.opensearch.index import OpenSearchIndex
    from reelrag.types import Asset

    settings = dataclasses.replace(
        live_settings,
        opensearch_endpoint=os.environ["REELRAG_TEST_OPENSEARCH"],
        opensearch_serverless=bool(os.environ.get("REELRAG_TEST_AOSS")),
        opensearch_index=f"reelrag-test-{uuid.uuid4().hex[:8]}",
    )
    embedder = MiniLMEmbedder()
    index = OpenSearchIndex.from_settings(settings, embedder.identity)
    try:
        text = "a ginger cat asleep on a sofa"
        asset = Asset(id=uuid.uuid4().hex, source="live.jpg", width=64, height=48, format="jpeg")
        index.upsert([IndexRecord(asset, embedder.embed_texts([text])[0], text)])
        query = IndexQuery("cat", embedder.embed_texts(["cat"])[0], limit=1)
        for _ in range(30):  # Serverless makes writes searchable after its refresh interval
            hits = index.search(query)
            if hits:
                break
            time.sleep(2)
        assert hits and hits[0].asset.id == asset.id and hits[0].score >= 0.45
    finally:
        index.client.indices.delete(index=settings.opensearch_index)
