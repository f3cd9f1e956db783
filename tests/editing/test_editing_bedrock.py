"""Nova Canvas editor offline: Bedrock through botocore's Stubber, bodies through our validator."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from PIL import Image
from skimage import data

from reelrag.aws import lifecycle
from reelrag.editing.base import EditRequest
from reelrag.editing.bedrock.canvas import validate_canvas_edit
from reelrag.editing.bedrock.editor import CanvasEditor
from reelrag.editing.masks import MaskSpec, mask_from_boxes
from reelrag.editing.run import inpaint
from reelrag.errors import CapabilityError, ContentFilteredError, InputError
from reelrag.settings import load_settings

MODEL = "amazon.nova-canvas-v1:0"
BEFORE_EOL = datetime(2026, 6, 1, tzinfo=UTC)
AFTER_EOL = datetime(2026, 11, 1, tzinfo=UTC)
PHOTO = Image.fromarray(data.chelsea()).resize((480, 320), Image.Resampling.LANCZOS)
BOX = (200, 80, 120, 100)


@pytest.fixture(autouse=True)
def _fresh_lifecycle_cache() -> Iterator[None]:
    lifecycle.clear_cache()
    yield
    lifecycle.clear_cache()


def _client(service: str) -> Any:
    return boto3.client(
        service, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )


def _png_b64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


class Rig:
    """A Canvas editor on stubbed clients; records every InvokeModel body it sends."""

    def __init__(self, tmp_path: Path, now: datetime = BEFORE_EOL, **overrides: Any):
        self.settings = load_settings(
            {"workspace": tmp_path / "ws", "aws_region": "us-east-1", **overrides}, environ={}
        )
        self.runtime, self.control = _client("bedrock-runtime"), _client("bedrock")
        self.rt, self.cp = Stubber(self.runtime), Stubber(self.control)
        self.rt.activate()
        self.cp.activate()
        self.bodies: list[dict[str, Any]] = []
        self.runtime.meta.events.register(
            "before-parameter-build.bedrock-runtime.InvokeModel", self._record
        )
        self.editor = CanvasEditor(
            self.settings,
            runtime=self.runtime,
            control=self.control,
            now=lambda: now,
            sleep=lambda s: None,
        )

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.bodies.append(json.loads(params["body"]))

    def lifecycle(self, status: str = "LEGACY") -> None:
        cycle: dict[str, Any] = {"status": status}
        if status == "LEGACY":
            cycle["endOfLifeTime"] = datetime(2026, 9, 30, tzinfo=UTC)
        details = {
            "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{MODEL}",
            "modelId": MODEL,
            "modelLifecycle": cycle,
        }
        self.cp.add_response(
            "get_foundation_model", {"modelDetails": details}, {"modelIdentifier": MODEL}
        )

    def respond(self, images: list[Image.Image], error: str | None = None) -> None:
        payload: dict[str, Any] = {"images": [_png_b64(im) for im in images]}
        if error:
            payload["error"] = error
        raw = json.dumps(payload).encode()
        self.rt.add_response(
            "invoke_model",
            {"body": StreamingBody(io.BytesIO(raw), len(raw)), "contentType": "application/json"},
            {
                "modelId": MODEL,
                "body": ANY,
                "contentType": "application/json",
                "accept": "application/json",
            },
        )

    def done(self) -> None:
        self.rt.assert_no_pending_responses()
        self.cp.assert_no_pending_responses()


def _painted(color: tuple[int, int, int], size: tuple[int, int] = PHOTO.size) -> Image.Image:
    """What the 'model' returns: the whole picture repainted in one colour."""
    return Image.new("RGB", size, color)


def test_inpainting_body_polarity_and_untouched_outside(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.lifecycle()
    rig.respond([_painted((250, 10, 10)), _painted((10, 250, 10))])
    mask = mask_from_boxes(PHOTO.size, [BOX])
    request = EditRequest(prompt="a straw hat", negative_prompt="blur", variants=2, seed=42)
    result = rig.editor.edit(PHOTO, mask, request)
    rig.done()
    body = rig.bodies[0]
    validate_canvas_edit(body)
    assert body["taskType"] == "INPAINTING"
    params = body["inPaintingParams"]
    assert params["text"] == "a straw hat" and params["negativeText"] == "blur"
    assert body["imageGenerationConfig"] == {
        "numberOfImages": 2,
        "quality": "standard",
        "cfgScale": 6.5,
        "seed": 42,
    }
    sent_mask = np.asarray(Image.open(io.BytesIO(base64.b64decode(params["maskImage"]))))
    inside = np.asarray(mask) == 255
    assert np.all(sent_mask[inside] == 0) and np.all(sent_mask[~inside] == 255)  # black = edit
    assert result.seed == 42 and len(result.kept) == 2
    assert "Legacy" in result.details["lifecycle"]["warning"]
    for (_, picture), colour in zip(result.kept, [(250, 10, 10), (10, 250, 10)], strict=True):
        pixels = np.asarray(picture)
        assert np.all(pixels[inside] == colour)
        assert np.array_equal(pixels[~inside], np.asarray(PHOTO)[~inside])


def test_blocked_variants_are_reported_and_the_others_kept(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.lifecycle()
    rig.respond([_painted((0, 0, 200))], error="1 of 3 images blocked by content filters")
    source = tmp_path / "cat.png"
    PHOTO.save(source)
    result = inpaint(
        source,
        MaskSpec(boxes=(",".join(map(str, BOX)),)),
        EditRequest(prompt="a ball", variants=3, seed=5),
        rig.settings,
        out=tmp_path / "out",
        editor=rig.editor,
    )
    rig.done()
    assert [Path(p).name for p in result.variants] == ["variant-1.png"]
    assert len(result.blocked) == 2 and "content filters" in result.blocked[0]
    manifest = json.loads(Path(result.manifest).read_text())
    states = [(v["index"], v["blocked"] is None, v["file"]) for v in manifest["variants"]]
    assert states == [(1, True, "variant-1.png"), (2, False, None), (3, False, None)]
    assert manifest["best"] == 1 and manifest["seed"] == 5
    assert not (tmp_path / "out" / "variant-2.png").exists()


def test_every_variant_blocked_is_a_content_filter_error(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.lifecycle()
    rig.respond([], error="all images blocked")
    with pytest.raises(ContentFilteredError, match="all images blocked"):
        rig.editor.edit(PHOTO, mask_from_boxes(PHOTO.size, [BOX]), EditRequest(variants=2))


def test_input_blocked_by_filters_is_translated(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.lifecycle()
    rig.rt.add_client_error(
        "invoke_model",
        "ValidationException",
        "This request has been blocked by our content filters.",
    )
    with pytest.raises(ContentFilteredError):
        rig.editor.edit(PHOTO, mask_from_boxes(PHOTO.size, [BOX]), EditRequest(prompt="x"))


def test_mask_prompt_and_removal_without_text(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.lifecycle("ACTIVE")
    rig.respond([_painted((5, 5, 5))])
    result = rig.editor.edit(PHOTO, None, EditRequest(mask_prompt="the cat", seed=1))
    body = rig.bodies[0]
    validate_canvas_edit(body)
    params = body["inPaintingParams"]
    assert params["maskPrompt"] == "the cat"
    assert "maskImage" not in params and "text" not in params  # no text: remove and extend
    assert result.kept[0][1].size == PHOTO.size


def test_outpainting_keeps_reelrag_polarity(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.lifecycle("ACTIVE")
    rig.respond([_painted((9, 9, 9))])
    mask = mask_from_boxes(PHOTO.size, [(0, 0, 480, 60)])  # the strip to regenerate
    rig.editor.edit(PHOTO, mask, EditRequest(prompt="a blue sky", mode="outpaint", seed=3))
    body = rig.bodies[0]
    validate_canvas_edit(body)
    params = body["outPaintingParams"]
    assert body["taskType"] == "OUTPAINTING" and params["outPaintingMode"] == "DEFAULT"
    sent = np.asarray(Image.open(io.BytesIO(base64.b64decode(params["maskImage"]))).convert("L"))
    assert np.all(sent[:60] == 255) and np.all(sent[60:] == 0)  # Canvas edits white here


def test_end_of_life_refuses_before_paying(tmp_path: Path) -> None:
    rig = Rig(tmp_path, now=AFTER_EOL)
    rig.lifecycle()
    with pytest.raises(CapabilityError, match="end of life"):
        rig.editor.edit(PHOTO, mask_from_boxes(PHOTO.size, [BOX]), EditRequest(prompt="x"))
    rig.done()
    assert rig.bodies == []


def test_large_image_is_scaled_for_canvas_and_composited_back(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.lifecycle("ACTIVE")
    big = Image.fromarray(data.astronaut()).resize((4608, 2304))  # 10.6 MP, too big for Canvas
    rig.respond([_painted((1, 2, 3), (4096, 2048))])
    mask = mask_from_boxes(big.size, [(1000, 500, 800, 600)])
    result = rig.editor.edit(big, mask, EditRequest(prompt="a hat", seed=9))
    sent = Image.open(io.BytesIO(base64.b64decode(rig.bodies[0]["inPaintingParams"]["image"])))
    assert sent.size == (2896, 1448)  # <= 4,194,304 px, same aspect
    assert "scaled 4608x2304" in result.details["adjustments"][0]
    pixels, inside = np.asarray(result.kept[0][1]), np.asarray(mask) == 255
    assert pixels.shape == (2304, 4608, 3)
    assert np.array_equal(pixels[~inside], np.asarray(big)[~inside])


def test_tiny_image_and_too_many_variants_are_refused(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    tiny = PHOTO.resize((200, 150))
    with pytest.raises(CapabilityError, match="320"):
        rig.editor.edit(tiny, mask_from_boxes(tiny.size, [(5, 5, 20, 20)]), EditRequest())
    with pytest.raises(CapabilityError, match="variants"):
        rig.editor.edit(PHOTO, mask_from_boxes(PHOTO.size, [BOX]), EditRequest(variants=6))
    rig.done()


def _valid_body() -> dict[str, Any]:
    mask = Image.new("RGB", PHOTO.size, "white")
    mask.paste((0, 0, 0), (10, 10, 100, 100))
    return {
        "taskType": "INPAINTING",
        "inPaintingParams": {"image": _png_b64(PHOTO), "maskImage": _png_b64(mask), "text": "x"},
        "imageGenerationConfig": {"numberOfImages": 1, "seed": 0, "cfgScale": 6.5},
    }


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda b: b["imageGenerationConfig"].update(width=512), InputError, "unknown"),
        (lambda b: b["imageGenerationConfig"].update(numberOfImages=6), CapabilityError, "1 to 5"),
        (lambda b: b["imageGenerationConfig"].update(cfgScale=11), CapabilityError, "cfgScale"),
        (lambda b: b["imageGenerationConfig"].update(quality="ultra"), CapabilityError, "quality"),
        (lambda b: b["imageGenerationConfig"].update(seed=2**31), CapabilityError, "seed"),
        (lambda b: b["inPaintingParams"].update(maskPrompt="dog"), InputError, "exactly one"),
        (lambda b: b["inPaintingParams"].update(text="x" * 1025), CapabilityError, "1024"),
        (
            lambda b: b["inPaintingParams"].update(
                maskImage=_png_b64(Image.new("L", PHOTO.size, 128))
            ),
            InputError,
            "pure black",
        ),
        (
            lambda b: b["inPaintingParams"].update(maskImage=_png_b64(Image.new("L", (64, 64), 0))),
            InputError,
            "the image is",
        ),
        (
            lambda b: b["inPaintingParams"].update(
                maskImage=_png_b64(Image.new("L", PHOTO.size, 255))
            ),
            InputError,
            "all one colour",
        ),
        (lambda b: b["inPaintingParams"].update(image="@@@"), InputError, "base64"),
        (lambda b: b.update(taskType="TEXT_IMAGE"), InputError, "taskType"),
    ],
)
def test_canvas_validator_refuses_malformed_bodies(change: Any, error: type, match: str) -> None:
    body = _valid_body()
    validate_canvas_edit(body)
    change(body)
    with pytest.raises(error, match=match):
        validate_canvas_edit(body)
