"""Nova Multimodal Embeddings offline: bodies through botocore's Stubber and our validator, and the
switch from Titan to Nova through the real library path (registry -> make_client -> boto3) with
only the network answered in-process."""

from __future__ import annotations

import base64
import io
import json
import shutil
import zlib
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from PIL import Image

from reelrag.aws import schemas
from reelrag.embeddings.nova import (
    MODEL_ID,
    NovaEmbedder,
    validate_nova_embedding,
)
from reelrag.errors import BackendError, ConfigError, IndexMismatchError, InputError
from reelrag.library import open_library
from reelrag.plugins import registry
from reelrag.samples import SAMPLES
from reelrag.settings import load_settings


def _runtime() -> Any:
    return boto3.client(
        "bedrock-runtime", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )


class Recorder:
    """A stubbed Bedrock runtime that answers each InvokeModel with a vector of ``dim`` values."""

    def __init__(self, dim: int):
        self.client = _runtime()
        self.stub = Stubber(self.client)
        self.dim = dim
        self.bodies: list[dict[str, Any]] = []
        self.client.meta.events.register(
            "before-parameter-build.bedrock-runtime.InvokeModel",
            lambda params, **_: self.bodies.append(json.loads(params["body"])),
        )

    def answer(self, count: int, values: int | None = None) -> None:
        for i in range(count):
            vector = [float(i + 1)] + [0.5] * ((values or self.dim) - 1)
            raw = json.dumps({"embeddings": [{"embeddingType": "TEXT", "embedding": vector}]})
            data = raw.encode()
            self.stub.add_response(
                "invoke_model",
                {
                    "body": StreamingBody(io.BytesIO(data), len(data)),
                    "contentType": "application/json",
                },
                {
                    "modelId": MODEL_ID,
                    "body": ANY,
                    "contentType": "application/json",
                    "accept": "application/json",
                },
            )


@pytest.mark.parametrize("dim", [256, 384, 1024, 3072])
def test_text_bodies_index_and_query_purposes_and_dimension(dim: int) -> None:
    rig = Recorder(dim)
    rig.answer(2)
    embedder = NovaEmbedder(rig.client, dim=dim, sleep=lambda s: None)
    with rig.stub:
        stored = embedder.embed_texts(["red shoes", "  "])
        query = embedder.embed_queries(["red shoes"])
    rig.stub.assert_no_pending_responses()
    assert len(rig.bodies) == 2  # the blank text is not sent
    for body in rig.bodies:
        validate_nova_embedding(body)
    assert rig.bodies[0] == {
        "schemaVersion": "nova-multimodal-embed-v1",
        "taskType": "SINGLE_EMBEDDING",
        "singleEmbeddingParams": {
            "embeddingPurpose": "GENERIC_INDEX",
            "embeddingDimension": dim,
            "text": {"truncationMode": "END", "value": "red shoes"},
        },
    }
    assert rig.bodies[1]["singleEmbeddingParams"]["embeddingPurpose"] == "GENERIC_RETRIEVAL"
    assert stored.shape == (2, dim) and query.shape == (1, dim)
    np.testing.assert_allclose(np.linalg.norm(stored, axis=1), 1.0, atol=1e-6)
    assert embedder.identity.key() == f"nova:{MODEL_ID}:{dim}"
    assert embedder.identity.modalities == ("text", "image")


def test_image_bodies_send_png_or_jpeg_matching_the_bytes(tmp_path: Path) -> None:
    rig = Recorder(256)
    rig.answer(3)
    embedder = NovaEmbedder(rig.client, dim=256)
    png = tmp_path / "a.png"
    Image.new("RGB", (64, 48), (200, 10, 10)).save(png)
    big = Image.new("RGBA", (3000, 1500), (0, 0, 255, 255))
    webp = io.BytesIO()
    Image.new("RGB", (80, 60), "green").save(webp, format="WEBP")
    with rig.stub:
        vectors = embedder.embed_images([png, big, webp.getvalue()])
    assert vectors.shape == (3, 256)
    images = [b["singleEmbeddingParams"]["image"] for b in rig.bodies]
    for body in rig.bodies:
        validate_nova_embedding(body)
        assert body["singleEmbeddingParams"]["embeddingPurpose"] == "GENERIC_INDEX"
    assert [i["format"] for i in images] == ["png", "jpeg", "jpeg"]
    assert all(i["detailLevel"] == "STANDARD_IMAGE" for i in images)
    assert base64.b64decode(images[0]["source"]["bytes"]) == png.read_bytes()  # sent as it is
    sent = Image.open(io.BytesIO(base64.b64decode(images[1]["source"]["bytes"])))
    assert sent.size == (2048, 1024)  # downscaled, aspect kept


def test_wrong_dimension_and_short_answers_are_refused() -> None:
    with pytest.raises(ConfigError, match="nova_dim=512"):
        NovaEmbedder(dim=512)
    settings = load_settings({"nova_dim": 384}, environ={})
    assert registry.create("embedder", "nova", settings).identity.dim == 384
    rig = Recorder(1024)
    rig.answer(1, values=10)
    with rig.stub, pytest.raises(BackendError, match="10 values, expected 1024"):
        NovaEmbedder(rig.client, dim=1024).embed_texts(["x"])


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda p: p.update(embeddingDimension=512), "embeddingDimension"),
        (lambda p: p.update(embeddingPurpose="SEARCH"), "embeddingPurpose"),
        (lambda p: p.update(image={"format": "png", "source": {"bytes": "eA=="}}), "exactly one"),
        (lambda p: p.pop("text"), "exactly one"),
        (lambda p: p["text"].update(truncationMode="MIDDLE"), "truncationMode"),
        (lambda p: p["text"].pop("truncationMode"), "lacks truncationMode"),
        (lambda p: p.update(extra=1), "unknown"),
    ],
)
def test_validator_refuses_malformed_bodies(change: Any, match: str) -> None:
    body = NovaEmbedder(dim=1024).body("GENERIC_INDEX", text="hello")
    validate_nova_embedding(body)
    change(body["singleEmbeddingParams"])
    with pytest.raises(InputError, match=match):
        validate_nova_embedding(body)


def test_declared_image_format_must_match_the_bytes() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG")
    part = {"format": "jpeg", "source": {"bytes": base64.b64encode(buffer.getvalue()).decode()}}
    body = NovaEmbedder(dim=256).body("GENERIC_INDEX", image=part)
    with pytest.raises(InputError):
        validate_nova_embedding(body)


# -- Titan -> Nova: the stored identity forces a re-index --------------------------------------


class _Raw(io.BytesIO):
    def stream(self, **_: Any) -> Any:
        yield self.getvalue()


class FakeBedrock:
    """InvokeModel for Titan and Nova embeddings, answered in-process with hashed vectors."""

    def __init__(self) -> None:
        self.models: list[str] = []

    def client(self, service: str, settings: Any, **_: Any) -> Any:
        if service == "bedrock":  # the control plane: the lifecycle read before paying
            control = boto3.client(
                "bedrock", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
            )
            control.meta.events.register("before-send.bedrock.GetFoundationModel", self._model)
            return control
        client = _runtime()
        client.meta.events.register("before-send.bedrock-runtime.InvokeModel", self._answer)
        return client

    def _model(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        model = request.url.rsplit("/", 1)[-1].replace("%3A", ":")
        self.models.append(f"lifecycle {model}")
        details = {
            "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{model}",
            "modelId": model,
            "modelLifecycle": {"status": "ACTIVE"},
        }
        data = json.dumps({"modelDetails": details}).encode()
        headers = {"Content-Type": "application/json", "Content-Length": str(len(data))}
        return AWSResponse(request.url, 200, headers, _Raw(data))

    def _answer(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        body = json.loads(request.body)
        if "/model/amazon.titan-embed-image-v1/" in request.url:
            schemas.validate_titan_embedding(body)
            self.models.append("titan")
            dim = body["embeddingConfig"]["outputEmbeddingLength"]
            payload: dict[str, Any] = {"embedding": _vector(json.dumps(body), dim)}
        else:
            assert f"/model/{MODEL_ID.replace(':', '%3A')}/" in request.url
            validate_nova_embedding(body)
            self.models.append("nova")
            params = body["singleEmbeddingParams"]
            vector = _vector(json.dumps(params.get("text", {})), params["embeddingDimension"])
            payload = {"embeddings": [{"embeddingType": "TEXT", "embedding": vector}]}
        data = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "Content-Length": str(len(data))}
        return AWSResponse(request.url, 200, headers, _Raw(data))


def _vector(seed: str, dim: int) -> list[float]:
    rng = np.random.default_rng(zlib.crc32(seed.encode()))
    return [float(v) for v in rng.normal(size=dim)]


def test_switching_from_titan_to_nova_forces_a_reindex(
    monkeypatch: pytest.MonkeyPatch, sample_photos: Path, tmp_path: Path
) -> None:
    fake = FakeBedrock()
    monkeypatch.setattr("reelrag.embeddings.titan.make_client", fake.client)
    monkeypatch.setattr("reelrag.embeddings.nova.make_client", fake.client)
    folder = tmp_path / "photos"
    folder.mkdir()
    for sample in SAMPLES[:2]:
        source = sample_photos / sample.folder / f"{sample.name}.jpg"
        shutil.copy(source, folder / source.name)
    workspace = tmp_path / "ws"
    titan = open_library(workspace, embedder="titan", titan_dim=1024)
    assert titan.ingest(folder).added == 2
    assert titan.index.info().embedder == "titan:amazon.titan-embed-image-v1:1024"

    nova = open_library(workspace, embedder="nova", nova_dim=1024)
    with pytest.raises(IndexMismatchError, match=r"titan:amazon\.titan-embed-image-v1:1024"):
        nova.search("cat")
    report = nova.ingest(folder, reindex=True)
    assert report.index_reset and report.reindexed == 2 and not report.failed
    info = nova.index.info()
    assert info.embedder == f"nova:{MODEL_ID}:1024" and info.image_vectors is True
    assert fake.models.count("nova") >= 4  # two texts and two images embedded again
    assert f"lifecycle {MODEL_ID}" in fake.models  # read once before the first paid call
    assert fake.models.index(f"lifecycle {MODEL_ID}") < fake.models.index("nova")
    before = len(fake.models)
    nova.search("cat", limit=1)
    # the query, then once per workspace the match decision's 80 cohort captions
    assert fake.models[before:] == ["nova"] * 81
    before = len(fake.models)
    nova.search("dog", limit=1)
    assert fake.models[before:] == ["nova"]  # the query alone: the cohort is cached


def test_the_lifecycle_is_read_before_the_first_paid_call(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from reelrag.aws import lifecycle
    from reelrag.errors import CapabilityError

    lifecycle.clear_cache()
    settings = load_settings({"workspace": tmp_path, "aws_region": "us-east-1"}, environ={})
    control = boto3.client(
        "bedrock", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    rig = Recorder(1024)  # no InvokeModel answer: a paid call would fail the test
    with Stubber(control) as stub:
        details = {
            "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{MODEL_ID}",
            "modelId": MODEL_ID,
            "modelLifecycle": {
                "status": "LEGACY",
                "endOfLifeTime": datetime(2026, 1, 1, tzinfo=UTC),
            },
        }
        stub.add_response(
            "get_foundation_model", {"modelDetails": details}, {"modelIdentifier": MODEL_ID}
        )
        embedder = NovaEmbedder(rig.client, settings=settings, control=control)
        with rig.stub, pytest.raises(CapabilityError, match="end of life"):
            embedder.embed_texts(["red shoes"])
    assert rig.bodies == []
    lifecycle.clear_cache()
