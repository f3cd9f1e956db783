"""Stability AI Image Services editor offline: Bedrock through botocore's Stubber (which checks
each InvokeModel / GetFoundationModel call against AWS's service model), bodies through our own
validator of the documented fields."""

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
from reelrag.editing.bedrock.editor import CanvasEditor
from reelrag.editing.bedrock.stability import (
    StabilityEditor,
    extend_to_size,
    plan_extension,
)
from reelrag.editing.bedrock.stability_bodies import validate_stability
from reelrag.editing.masks import mask_from_boxes
from reelrag.errors import CapabilityError, ContentFilteredError, InputError
from reelrag.plugins import registry
from reelrag.settings import load_settings

INPAINT = "us.stability.stable-image-inpaint-v1:0"
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


def _decode(value: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(value)))


class Rig:
    """A Stability editor on stubbed clients; records every InvokeModel (model id, body)."""

    def __init__(self, tmp_path: Path, **overrides: Any):
        self.settings = load_settings(
            {"workspace": tmp_path / "ws", "aws_region": "us-east-1", **overrides}, environ={}
        )
        self.runtime, self.control = _client("bedrock-runtime"), _client("bedrock")
        self.rt, self.cp = Stubber(self.runtime), Stubber(self.control)
        self.rt.activate()
        self.cp.activate()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.runtime.meta.events.register(
            "before-parameter-build.bedrock-runtime.InvokeModel", self._record
        )
        self.editor = StabilityEditor(
            self.settings, runtime=self.runtime, control=self.control, sleep=lambda s: None
        )

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.calls.append((params["modelId"], json.loads(params["body"])))

    def lifecycle(self, model: str, status: str = "ACTIVE") -> None:
        details = {
            "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{model}",
            "modelId": model,
            "modelLifecycle": {"status": status},
        }
        self.cp.add_response(
            "get_foundation_model", {"modelDetails": details}, {"modelIdentifier": model}
        )

    def respond(self, model: str, image: Image.Image | None, reason: str | None = None) -> None:
        payload = {
            "seeds": [1],
            "finish_reasons": [reason],
            "images": [_png_b64(image)] if image is not None else [],
        }
        raw = json.dumps(payload).encode()
        self.rt.add_response(
            "invoke_model",
            {"body": StreamingBody(io.BytesIO(raw), len(raw)), "contentType": "application/json"},
            {
                "modelId": model,
                "body": ANY,
                "contentType": "application/json",
                "accept": "application/json",
            },
        )

    def done(self) -> None:
        self.rt.assert_no_pending_responses()
        self.cp.assert_no_pending_responses()


def _painted(color: tuple[int, int, int], size: tuple[int, int] = PHOTO.size) -> Image.Image:
    return Image.new("RGB", size, color)


def test_the_default_bedrock_editor_is_stability_and_canvas_stays_selectable(
    tmp_path: Path,
) -> None:
    default = load_settings({"workspace": tmp_path}, environ={})
    assert default.bedrock_edit_model == INPAINT
    assert isinstance(registry.create("editor", "bedrock", default), StabilityEditor)
    canvas = load_settings(
        {"workspace": tmp_path, "bedrock_edit_model": "amazon.nova-canvas-v1:0"}, environ={}
    )
    editor = registry.create("editor", "bedrock", canvas)
    assert isinstance(editor, CanvasEditor) and editor.model == "amazon.nova-canvas-v1:0"


def test_inpaint_body_mask_polarity_and_untouched_outside(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.lifecycle("stability.stable-image-inpaint-v1:0")
    rig.respond(INPAINT, _painted((250, 10, 10)))
    rig.respond(INPAINT, _painted((10, 250, 10)))
    mask = mask_from_boxes(PHOTO.size, [BOX])
    request = EditRequest(
        prompt="a straw hat",
        negative_prompt="blur",
        variants=2,
        seed=42,
        options={"grow_mask": 8, "style_preset": "photographic"},
    )
    result = rig.editor.edit(PHOTO, mask, request)
    rig.done()
    assert [m for m, _ in rig.calls] == [INPAINT, INPAINT]
    first, second = (body for _, body in rig.calls)
    assert validate_stability("inpaint", first) == PHOTO.size
    assert set(first) == {
        "image", "mask", "prompt", "negative_prompt", "seed", "output_format", "grow_mask",
        "style_preset",
    }  # fmt: skip
    assert (first["prompt"], first["negative_prompt"]) == ("a straw hat", "blur")
    assert (first["seed"], second["seed"]) == (42, 43)  # one call per variant, distinct seeds
    assert (first["grow_mask"], first["style_preset"], first["output_format"]) == (
        8,
        "photographic",
        "png",
    )
    sent = np.asarray(_decode(first["mask"]))
    inside = np.asarray(mask) == 255
    assert np.all(sent[inside] == 255) and np.all(sent[~inside] == 0)  # white = edit, as ours
    assert result.model == INPAINT and result.details["service"] == "inpaint"
    assert result.details["calls"] == 2 and result.details["cost_usd"] == pytest.approx(0.14)
    assert "check current pricing" in result.details["price_note"]
    for (_, picture), colour in zip(result.kept, [(250, 10, 10), (10, 250, 10)], strict=True):
        pixels = np.asarray(picture)
        assert np.all(pixels[inside] == colour)
        assert np.array_equal(pixels[~inside], np.asarray(PHOTO)[~inside])


def test_no_prompt_erases_with_the_erase_object_service(tmp_path: Path) -> None:
    erase = "us.stability.stable-image-erase-object-v1:0"
    rig = Rig(tmp_path)
    rig.lifecycle("stability.stable-image-erase-object-v1:0")
    rig.respond(erase, _painted((7, 7, 7)))
    request = EditRequest(seed=3, negative_prompt="blur", cfg_scale=7.0)
    result = rig.editor.edit(PHOTO, mask_from_boxes(PHOTO.size, [BOX]), request)
    assert [n.split(" ")[0] for n in result.not_honoured] == ["cfg_scale", "negative_prompt"]
    rig.done()
    model, body = rig.calls[0]
    validate_stability("erase", body)
    assert model == erase and set(body) == {"image", "mask", "seed", "output_format"}
    assert result.details["service"] == "erase" and len(result.kept) == 1


def test_mask_prompt_uses_search_and_replace(tmp_path: Path) -> None:
    replace = "us.stability.stable-image-search-replace-v1:0"
    rig = Rig(tmp_path)
    rig.lifecycle("stability.stable-image-search-replace-v1:0")
    rig.respond(replace, _painted((1, 1, 1)))
    request = EditRequest(prompt="a golden retriever", mask_prompt="the cat", seed=9)
    result = rig.editor.edit(PHOTO, None, request)
    rig.done()
    model, body = rig.calls[0]
    validate_stability("search_replace", body)
    assert model == replace and "mask" not in body
    assert (body["prompt"], body["search_prompt"]) == ("a golden retriever", "the cat")
    assert result.kept[0][1].size == PHOTO.size


def test_requests_no_service_serves_are_refused_before_any_call(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    with pytest.raises(CapabilityError, match="named by text"):
        rig.editor.edit(PHOTO, None, EditRequest(mask_prompt="the cat"))
    with pytest.raises(CapabilityError, match="regenerate around"):
        rig.editor.edit(PHOTO, None, EditRequest(prompt="sky", mask_prompt="cat", mode="outpaint"))
    tiny = PHOTO.resize((60, 40))
    with pytest.raises(CapabilityError, match="64 px"):
        rig.editor.edit(tiny, mask_from_boxes(tiny.size, [(5, 5, 20, 20)]), EditRequest())
    narrow = PHOTO.resize((480, 150))
    with pytest.raises(CapabilityError, match=r"1:2\.5"):
        rig.editor.edit(narrow, mask_from_boxes(narrow.size, [(5, 5, 20, 20)]), EditRequest())
    with pytest.raises(CapabilityError, match="variants"):
        rig.editor.edit(PHOTO, mask_from_boxes(PHOTO.size, [BOX]), EditRequest(variants=5))
    rig.done()
    assert rig.calls == []


def test_an_output_filter_blocks_one_variant_and_an_input_filter_stops_paying(
    tmp_path: Path,
) -> None:
    rig = Rig(tmp_path)
    rig.lifecycle("stability.stable-image-inpaint-v1:0")
    rig.respond(INPAINT, None, "Filter reason: output image")
    rig.respond(INPAINT, _painted((0, 0, 200)))
    mask = mask_from_boxes(PHOTO.size, [BOX])
    result = rig.editor.edit(PHOTO, mask, EditRequest(prompt="a ball", variants=2, seed=5))
    rig.done()
    assert [v.blocked for v in result.variants] == ["Filter reason: output image", None]
    assert result.images[0] is None and result.images[1] is not None
    assert result.details["calls"] == 2

    lifecycle.clear_cache()
    again = Rig(tmp_path / "again")
    again.lifecycle("stability.stable-image-inpaint-v1:0")
    again.respond(INPAINT, None, "Filter reason: prompt")
    with pytest.raises(ContentFilteredError, match="Filter reason: prompt"):
        again.editor.edit(PHOTO, mask, EditRequest(prompt="x", variants=3, seed=1))
    again.done()
    assert len(again.calls) == 1  # the same prompt would be filtered again: not paid twice


def test_large_image_is_scaled_for_the_call_and_composited_back(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.lifecycle("stability.stable-image-inpaint-v1:0")
    big = Image.fromarray(data.astronaut()).resize((4608, 2304))  # 10.6 MP > 9,437,184
    rig.respond(INPAINT, _painted((1, 2, 3), (4344, 2172)))
    mask = mask_from_boxes(big.size, [(1000, 500, 800, 600)])
    result = rig.editor.edit(big, mask, EditRequest(prompt="a hat", seed=9))
    sent = _decode(rig.calls[0][1]["image"])
    assert sent.size[0] * sent.size[1] <= 9_437_184
    assert abs(sent.size[0] / sent.size[1] - 2.0) < 0.01
    assert "scaled 4608x2304" in result.details["adjustments"][0]
    pixels, inside = np.asarray(result.kept[0][1]), np.asarray(mask) == 255
    assert pixels.shape == (2304, 4608, 3)
    assert np.array_equal(pixels[~inside], np.asarray(big)[~inside])


def test_outpaint_extends_to_the_target_aspect_keeping_the_original(tmp_path: Path) -> None:
    outpaint = "us.stability.stable-outpaint-v1:0"
    rig = Rig(tmp_path)
    rig.lifecycle("stability.stable-outpaint-v1:0")
    square = PHOTO.crop((80, 0, 400, 320))  # 320x320 -> 16:9
    rig.respond(outpaint, _painted((0, 90, 0), (569, 320)))
    result = extend_to_size(
        square,
        (1280, 720),
        rig.settings,
        prompt="more of the room",
        seed=4,
        runtime=rig.runtime,
        control=rig.control,
    )
    rig.done()
    model, body = rig.calls[0]
    validate_stability("outpaint", body)
    assert model == outpaint
    assert (body["left"], body["right"], body["up"], body["down"]) == (124, 125, 0, 0)
    assert body["prompt"] == "more of the room" and body["seed"] == 4
    assert result.image.size == (1280, 720)
    assert result.details["margins"] == {"left": 124, "right": 125, "up": 0, "down": 0}
    assert result.details["cost_usd"] == pytest.approx(0.08)
    middle = np.asarray(result.image)[:, 300:980].astype(int)
    expected = np.asarray(square.resize((720, 720), Image.Resampling.LANCZOS))[:, 20:700]
    assert np.abs(middle - expected.astype(int)).mean() < 12  # the original, not regenerated
    assert np.all(np.asarray(result.image)[:, :200] == (0, 90, 0))  # generated margin


def test_extension_plan_respects_the_2000_px_margin_limit() -> None:
    assert plan_extension((1280, 720), (1280, 720)) == ((1280, 720), (0, 0, 0, 0), 1.0)
    work, margins, scale = plan_extension((1000, 2400), (2560, 1080))  # tall -> very wide
    assert max(margins) <= 2000 and scale < 1.0
    assert abs((work[0] + margins[0] + margins[1]) / work[1] - 2560 / 1080) < 0.01
    _, tall, _ = plan_extension((1280, 720), (720, 1280))
    assert tall[:2] == (0, 0) and tall[2] > 0 and tall[3] > 0


def test_canvas_after_end_of_life_is_refused_naming_stability(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "workspace": tmp_path,
            "aws_region": "us-east-1",
            "bedrock_edit_model": "amazon.nova-canvas-v1:0",
        },
        environ={},
    )
    control = _client("bedrock")
    with Stubber(control) as stub:
        details = {
            "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-canvas-v1:0",
            "modelId": "amazon.nova-canvas-v1:0",
            "modelLifecycle": {
                "status": "LEGACY",
                "endOfLifeTime": datetime(2026, 9, 30, tzinfo=UTC),
            },
        }
        stub.add_response("get_foundation_model", {"modelDetails": details})
        editor = CanvasEditor(
            settings,
            runtime=_client("bedrock-runtime"),
            control=control,
            now=lambda: datetime(2026, 12, 1, tzinfo=UTC),
        )
        with pytest.raises(CapabilityError) as info:
            editor.edit(PHOTO, mask_from_boxes(PHOTO.size, [BOX]), EditRequest(prompt="x"))
    assert "end of life" in info.value.message
    assert "us.stability.stable-image-inpaint-v1:0" in str(info.value.hint)


def _inpaint_body() -> dict[str, Any]:
    mask = mask_from_boxes(PHOTO.size, [BOX])
    return {"image": _png_b64(PHOTO), "mask": _png_b64(mask), "prompt": "x", "seed": 0}


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda b: b.update(numberOfImages=2), InputError, "unknown"),
        (lambda b: b.pop("prompt"), InputError, "lacks prompt"),
        (lambda b: b.update(prompt="x" * 10_001), CapabilityError, "10000"),
        (lambda b: b.update(seed=4_294_967_295), CapabilityError, "seed"),
        (lambda b: b.update(grow_mask=101), CapabilityError, "grow_mask"),
        (lambda b: b.update(output_format="tiff"), CapabilityError, "output_format"),
        (lambda b: b.update(style_preset="oil"), CapabilityError, "style_preset"),
        (lambda b: b.update(mask=_png_b64(Image.new("L", (64, 64), 0))), InputError, "the image"),
        (lambda b: b.update(image="@@@"), InputError, "base64"),
    ],
)
def test_stability_validator_refuses_malformed_bodies(change: Any, error: type, match: str) -> None:
    body = _inpaint_body()
    validate_stability("inpaint", body)
    change(body)
    with pytest.raises(error, match=match):
        validate_stability("inpaint", body)


def test_outpaint_and_erase_rules() -> None:
    image = _png_b64(PHOTO)
    with pytest.raises(InputError, match="at least one"):
        validate_stability("outpaint", {"image": image})
    with pytest.raises(CapabilityError, match="left"):
        validate_stability("outpaint", {"image": image, "left": 2001})
    with pytest.raises(CapabilityError, match="creativity"):
        validate_stability("outpaint", {"image": image, "up": 10, "creativity": 1.5})
    with pytest.raises(InputError, match="unknown"):
        validate_stability("erase", {"image": image, "prompt": "x"})
    with pytest.raises(CapabilityError, match="grow_mask"):
        validate_stability("erase", {"image": image, "grow_mask": 21})
