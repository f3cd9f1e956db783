"""TitanEmbedder and BedrockCaptioner offline, through botocore's Stubber."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from PIL import Image

from reelrag.captioning.base import CaptionInput
from reelrag.captioning.bedrock import BedrockCaptioner, parse_answer
from reelrag.embeddings.titan import MODEL_ID, TitanEmbedder, encode_for_titan
from reelrag.errors import AccessDeniedError, BackendError, ConfigError


def _runtime() -> Any:
    return boto3.client(
        "bedrock-runtime", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )


def _body(payload: dict[str, Any]) -> dict[str, Any]:
    data = json.dumps(payload).encode()
    return {"body": StreamingBody(io.BytesIO(data), len(data)), "contentType": "application/json"}


def _invoke_params(body: Any) -> dict[str, Any]:
    return {
        "modelId": MODEL_ID,
        "body": body,
        "contentType": "application/json",
        "accept": "application/json",
    }


def test_titan_text_request_and_normalised_vectors() -> None:
    client = _runtime()
    embedder = TitanEmbedder(client, dim=256, sleep=lambda s: None)
    raw = [3.0, 4.0] + [0.0] * 254
    with Stubber(client) as stub:
        expected = json.dumps(
            {"inputText": "red shoes", "embeddingConfig": {"outputEmbeddingLength": 256}}
        )
        stub.add_response(
            "invoke_model",
            _body({"embedding": raw, "inputTextTokenCount": 3}),
            _invoke_params(expected),
        )
        vectors = embedder.embed_texts(["red shoes"])
        stub.assert_no_pending_responses()
    assert vectors.shape == (1, 256) and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors[0, :2], [0.6, 0.8], atol=1e-6)
    assert embedder.identity.key() == "titan:amazon.titan-embed-image-v1:256"
    assert embedder.identity.modalities == ("text", "image")


def test_titan_backs_off_on_throttling() -> None:
    client = _runtime()
    sleeps: list[float] = []
    embedder = TitanEmbedder(client, dim=384, sleep=sleeps.append)
    with Stubber(client) as stub:
        stub.add_client_error("invoke_model", "ThrottlingException", "slow down")
        stub.add_response("invoke_model", _body({"embedding": [1.0] * 384}))
        vectors = embedder.embed_texts(["x"])
    assert len(sleeps) == 1 and vectors.shape == (1, 384)


def test_titan_images_are_downscaled_and_wrong_lengths_refused() -> None:
    big = Image.new("RGB", (3000, 1500), (30, 60, 90))
    sent = Image.open(io.BytesIO(base64.b64decode(encode_for_titan(big))))
    assert sent.size == (2048, 1024)
    client = _runtime()
    embedder = TitanEmbedder(client, dim=1024)
    with Stubber(client) as stub:
        stub.add_response("invoke_model", _body({"embedding": [1.0] * 10}), _invoke_params(ANY))
        with pytest.raises(BackendError, match="returned 10 values"):
            embedder.embed_images([big])
    with pytest.raises(ConfigError, match="titan_dim=512"):
        TitanEmbedder(client, dim=512)


def _item(tmp_path: Path, name: str = "red_shoes.jpg", digest: str = "a" * 64) -> CaptionInput:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    return CaptionInput(str(tmp_path / name), name, digest, {}, image)


def _converse_params(item: CaptionInput, captioner: BedrockCaptioner) -> dict[str, Any]:
    buffer = io.BytesIO()
    item.image.convert("RGB").save(buffer, format="JPEG", quality=90)
    block = {"image": {"format": "jpeg", "source": {"bytes": buffer.getvalue()}}}
    return {
        "modelId": captioner.model,
        "messages": [{"role": "user", "content": [block, {"text": captioner.prompt}]}],
        "inferenceConfig": {"maxTokens": 300, "temperature": 0.2},
    }


def _answer(text: str) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
        "metrics": {"latencyMs": 5},
    }


def test_caption_request_parse_and_cache(tmp_path: Path) -> None:
    client = _runtime()
    captioner = BedrockCaptioner(client, cache_dir=tmp_path / "cache", sleep=lambda s: None)
    item = _item(tmp_path)
    with Stubber(client) as stub:
        stub.add_response(
            "converse",
            _answer("A red shoe.\nKeywords: shoe, red"),
            _converse_params(item, captioner),
        )
        first = captioner.caption_batch([item])[0]
        again = captioner.caption_batch([item])[0]  # cached: a second call would be unstubbed
        stub.assert_no_pending_responses()
    assert first == again
    assert (first.text, first.keywords, first.source) == ("A red shoe.", ("shoe", "red"), "bedrock")
    assert captioner.model == "us.amazon.nova-2-lite-v1:0"


def test_caption_content_filter_falls_back_and_throttling_retries(tmp_path: Path) -> None:
    client = _runtime()
    captioner = BedrockCaptioner(client, cache_dir=tmp_path / "c", sleep=lambda s: None)
    blocked, fine = _item(tmp_path, "blue_car.jpg", "b" * 64), _item(tmp_path)
    with Stubber(client) as stub:
        stub.add_client_error(
            "converse",
            "ValidationException",
            "This request has been blocked by our content filters.",
        )
        stub.add_client_error("converse", "ThrottlingException", "slow down")
        stub.add_response("converse", _answer("A red shoe on a floor."))
        captions = captioner.caption_batch([blocked, fine])
    assert captions[0].source != "bedrock" and "car" in captions[0].text.lower()
    assert captions[1].text == "A red shoe on a floor." and captions[1].keywords == ()


def test_caption_access_denied_raises(tmp_path: Path) -> None:
    client = _runtime()
    captioner = BedrockCaptioner(client)
    with Stubber(client) as stub:
        stub.add_client_error("converse", "AccessDeniedException", "denied")
        with pytest.raises(AccessDeniedError, match="bedrock:InvokeModel"):
            captioner.caption_batch([_item(tmp_path)])


def test_parse_answer_variants() -> None:
    parsed = parse_answer("**Keywords**: Cat, sofa.\nA cat on a sofa.\n\nTags: cat", "bedrock")
    assert parsed.text == "A cat on a sofa." and parsed.keywords == ("cat", "sofa")
