"""Titan image vectors end to end: ingest -> LanceDB image column -> search, offline.

``open_library(embedder="titan")`` runs the real path (registry -> ``TitanEmbedder.from_settings``
-> ``make_client`` -> boto3 ``invoke_model``); only the network is replaced. A real botocore
client serialises, signs and parses every call, and a ``before-send`` hook answers it in-process
(:class:`FakeTitan`): it checks the HTTP envelope and the body (``validate_titan_embedding``,
a decodable PNG/JPEG) and returns a deterministic vector per input, unlike a ``Stubber``, whose
canned answers cannot depend on which input ingest happens to send first.

The fake is a toy model in one space: colour words and a photo's dominant colour share an axis
(a saturated red photo meets the text "red" at cosine ~0.35, a caption-quality Titan match);
other words hash onto their own axes. So an uncaptioned red photo can only be found by pixels.
"""

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
from PIL import Image

from reelrag.aws import schemas
from reelrag.embeddings.titan import MODEL_ID
from reelrag.library import open_library
from reelrag.matching.cohort import cohort_texts
from reelrag.samples import SAMPLES

COLOURS = ("red", "green", "blue")  # axes 0, 1, 2: the RGB channels
TEXT_AXIS, IMAGE_AXIS, FIRST_WORD_AXIS = 3, 4, 8
IMAGE_MATCH = 0.35  # cosine of a fully saturated photo with its colour word
CAPTIONED = ("cat", "rocket", "moon")  # sample photos whose sidecar captions avoid colour words


class _Raw(io.BytesIO):
    """The raw HTTP body botocore streams a blob output (InvokeModel's ``body``) from."""

    def stream(self, **_: Any) -> Any:
        yield self.getvalue()


class FakeTitan:
    """Bedrock Runtime's InvokeModel for ``amazon.titan-embed-image-v1``, answered in-process."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.lifecycle_reads = 0

    def client(self, service: str, settings: Any, **_: Any) -> Any:
        """Stands in for ``reelrag.aws.clients.make_client``: a real client, no network."""
        assert service in ("bedrock-runtime", "bedrock")
        client = boto3.client(
            service, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
        )
        if service == "bedrock":  # the lifecycle read before the first paid call
            self.lifecycle_reads += 1
            client.meta.events.register("before-send.bedrock.GetFoundationModel", _active)
            return client
        client.meta.events.register("before-send.bedrock-runtime.InvokeModel", self._answer)
        return client

    def _answer(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        assert request.method == "POST" and request.url.endswith(f"/model/{MODEL_ID}/invoke")
        assert request.headers["Content-Type"] == b"application/json"
        assert request.headers["Accept"] == b"application/json"
        assert request.headers["Authorization"].startswith(b"AWS4-HMAC-SHA256")
        body = json.loads(request.body)
        schemas.validate_titan_embedding(body)
        self.bodies.append(body)
        dim = body["embeddingConfig"]["outputEmbeddingLength"]
        if "inputImage" in body:
            vector = image_vector(base64.b64decode(body["inputImage"]), dim)
        else:
            vector = text_vector(body["inputText"], dim)
        data = json.dumps({"embedding": vector.tolist(), "inputTextTokenCount": 3}).encode()
        headers = {"Content-Type": "application/json", "Content-Length": str(len(data))}
        return AWSResponse(request.url, 200, headers, _Raw(data))


def _active(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
    """GetFoundationModel: Titan is Active."""
    details = {
        "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{MODEL_ID}",
        "modelId": MODEL_ID,
        "modelLifecycle": {"status": "ACTIVE"},
    }
    data = json.dumps({"modelDetails": details}).encode()
    headers = {"Content-Type": "application/json", "Content-Length": str(len(data))}
    return AWSResponse(request.url, 200, headers, _Raw(data))


def text_vector(text: str, dim: int) -> np.ndarray:
    """Colour words on their channel's axis, other words hashed onto axes >= 8."""
    out = np.zeros(dim, np.float32)
    out[TEXT_AXIS] = 0.1  # never a zero vector
    for word in text.lower().replace(".", " ").replace(",", " ").split():
        axis = COLOURS.index(word) if word in COLOURS else None
        if axis is None:
            axis = FIRST_WORD_AXIS + zlib.crc32(word.encode()) % (dim - FIRST_WORD_AXIS)
        out[axis] += 1.0
    return out  # unnormalised on purpose: the embedder normalises


def image_vector(data: bytes, dim: int) -> np.ndarray:
    """The dominant channel's axis, weighted by how much it dominates; the rest on IMAGE_AXIS."""
    with Image.open(io.BytesIO(data)) as image:
        mean = np.asarray(image.convert("RGB"), np.float32).mean(axis=(0, 1)) / 255.0
    channel = int(np.argmax(mean))
    weight = IMAGE_MATCH * float(mean[channel] - np.median(mean)) / 0.75
    out = np.zeros(dim, np.float32)
    out[channel] = min(weight, IMAGE_MATCH)
    out[IMAGE_AXIS] = np.sqrt(1.0 - out[channel] ** 2)
    return out


@pytest.fixture
def titan(monkeypatch: pytest.MonkeyPatch) -> FakeTitan:
    fake = FakeTitan()
    monkeypatch.setattr("reelrag.embeddings.titan.make_client", fake.client)
    return fake


@pytest.fixture
def photos(sample_photos: Path, tmp_path: Path) -> Path:
    """Three captioned sample photos and a red photo with no caption and no words at all: a
    camera's name in a camera's folder, so its index text is empty."""
    folder = tmp_path / "DCIM"
    folder.mkdir()
    for sample in SAMPLES:
        if sample.name in CAPTIONED:
            source = sample_photos / sample.folder / f"{sample.name}.jpg"
            shutil.copy(source, folder / source.name)
            shutil.copy(source.with_suffix(".txt"), folder / f"{sample.name}.txt")
    Image.new("RGB", (64, 48), (210, 20, 20)).save(folder / "DSC01234.png")
    return folder


@pytest.mark.parametrize("dim", [256, 384, 1024])
def test_ingest_stores_titan_image_vectors_and_finds_an_uncaptioned_photo(
    dim: int, titan: FakeTitan, photos: Path, tmp_path: Path
) -> None:
    lib = open_library(tmp_path / "ws", embedder="titan", titan_dim=dim)
    report = lib.ingest(photos)
    assert report.added == 4 and not report.failed
    info = lib.index.info()
    assert info.image_vectors is True and info.dim == dim
    assert info.embedder == f"titan:{MODEL_ID}:{dim}"
    assert titan.lifecycle_reads == 1  # the lifecycle, read once before the first paid call
    # one image request per photo and one text request per non-empty index text (Titan refuses
    # an empty inputText: the wordless photo's text vector is made without a request)
    images = [b for b in titan.bodies if "inputImage" in b]
    texts = [b for b in titan.bodies if "inputText" in b]
    assert len(images) == 4 and len(texts) == 3 and len(titan.bodies) == 7
    assert all(b["embeddingConfig"] == {"outputEmbeddingLength": dim} for b in titan.bodies)
    assert not any("inputText" in b for b in images)
    sent = [Image.open(io.BytesIO(base64.b64decode(b["inputImage"]))) for b in images]
    assert all(im.format in ("PNG", "JPEG") and max(im.size) <= 2048 for im in sent)

    ingested = len(titan.bodies)
    results = lib.search("red", limit=3)
    config = {"embeddingConfig": {"outputEmbeddingLength": dim}}
    # the query, then (once per embedder, then cached on disk) the match decision's cohort
    assert titan.bodies[ingested] == {"inputText": "red", **config}
    assert [b["inputText"] for b in titan.bodies[ingested + 1 :]] == cohort_texts()
    searched = len(titan.bodies)
    lib.search("blue", limit=3)
    assert titan.bodies[searched:] == [{"inputText": "blue", **config}]
    hit = results[0]
    assert Path(hit.asset.source).name == "DSC01234.png"
    assert (hit.asset.caption, hit.asset.keywords) == ("", ())
    assert hit.text_score == 0.0  # found by its pixels alone
    assert hit.image_score is not None and hit.image_score >= 0.5
    assert "image " in hit.why


def test_captioned_photos_keep_their_image_vectors_beside_the_caption(
    titan: FakeTitan, photos: Path, tmp_path: Path
) -> None:
    lib = open_library(tmp_path / "ws", embedder="titan", titan_dim=256)
    lib.ingest(photos)
    rocket = lib.search("rocket launch pad", limit=3)[0]
    assert Path(rocket.asset.source).name == "rocket.jpg"
    assert rocket.text_score > 0 and rocket.image_score is not None
    # the red photo has no words: BM25 alone cannot find it, its pixels can
    assert lib.search("red", limit=4, mode="text").no_match
    by_vector = lib.search("red", limit=4, mode="vector")
    assert [Path(h.asset.source).name for h in by_vector] == ["DSC01234.png"]


def test_an_empty_text_gets_a_constant_vector_without_a_request(titan: FakeTitan) -> None:
    from reelrag.embeddings.titan import TitanEmbedder, blank_text_vector
    from reelrag.settings import load_settings

    settings = load_settings({"lifecycle_check": False}, environ={})
    embedder = TitanEmbedder(dim=384, settings=settings)
    vectors = embedder.embed_texts(["", "red", "  "])
    assert titan.bodies == [{"inputText": "red", "embeddingConfig": {"outputEmbeddingLength": 384}}]
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    np.testing.assert_array_equal(vectors[0], vectors[2])
    np.testing.assert_allclose(vectors[0], blank_text_vector(384), atol=1e-7)
    assert abs(float(vectors[0].sum())) < 1e-5  # leans towards no direction
