"""One contract for every editor in the registry: same request type, same mask convention,
results that describe every asked variant, and pixels outside a drawn mask left identical."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from PIL import Image
from skimage import data

from editing_tiny import assert_only_the_mask_changed
from reelrag.aws import lifecycle
from reelrag.editing.base import EditorCapabilities, EditRequest, EditResult
from reelrag.editing.masks import mask_from_boxes
from reelrag.errors import CapabilityError, InputError
from reelrag.plugins import registry
from reelrag.settings import Settings

PHOTO = Image.fromarray(data.astronaut()).resize((384, 384), Image.Resampling.LANCZOS)
MASK = mask_from_boxes(PHOTO.size, [(150, 60, 90, 80)])


def _stubbed_bedrock(settings: Settings, variants: int) -> Any:
    """The default Bedrock editor (Stability AI) with Bedrock answered by Stubber (the network
    edge only): one InvokeModel per variant, as the Stability services make one image a call."""
    lifecycle.clear_cache()

    def make(service: str) -> Any:
        return boto3.client(
            service, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
        )

    runtime, control = make("bedrock-runtime"), make("bedrock")
    rt, cp = Stubber(runtime), Stubber(control)
    model = lifecycle.foundation_model_id(settings.bedrock_edit_model)
    cp.add_response(
        "get_foundation_model",
        {
            "modelDetails": {
                "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{model}",
                "modelId": model,
                "modelLifecycle": {"status": "ACTIVE"},
            }
        },
        {"modelIdentifier": ANY},
    )
    buffer = io.BytesIO()
    Image.new("RGB", PHOTO.size, (0, 128, 255)).save(buffer, format="PNG")
    image = base64.b64encode(buffer.getvalue()).decode()
    raw = json.dumps({"seeds": [7], "finish_reasons": [None], "images": [image]}).encode()
    for _ in range(variants):
        rt.add_response(
            "invoke_model",
            {"body": StreamingBody(io.BytesIO(raw), len(raw)), "contentType": "application/json"},
            {
                "modelId": ANY,
                "body": ANY,
                "contentType": "application/json",
                "accept": "application/json",
            },
        )
    rt.activate()
    cp.activate()
    cls = registry.get("editor", "bedrock")
    return cls(settings, runtime=runtime, control=control)


def _factory(name: str) -> Callable[[Settings, int], Any]:
    if name == "bedrock":
        pytest.importorskip("boto3")
        return _stubbed_bedrock
    if name == "diffusers":
        return _tiny_diffusers
    return lambda settings, variants: registry.create("editor", name, settings)


def _tiny_diffusers(settings: Settings, variants: int) -> Any:
    """The diffusers editor on a tiny random SD in-painting model saved to a folder."""
    pytest.importorskip("torch", reason="the local extra (torch) is not installed")
    pytest.importorskip("diffusers", reason="the local extra (diffusers) is not installed")
    import dataclasses

    import torch

    from editing_tiny import build_sd_inpaint

    torch.set_num_threads(1)
    folder = settings.workspace.parent / "tiny-sd-inpaint"
    if not folder.exists():
        build_sd_inpaint(folder)
    tiny = dataclasses.replace(settings, diffusers_inpaint_model=str(folder), inpaint_steps=2)
    return registry.create("editor", "diffusers", tiny)


EDITORS = registry.names("editor")


def test_the_builtin_editors_are_registered() -> None:
    assert {"opencv", "bedrock", "diffusers"} <= set(EDITORS)


@pytest.mark.parametrize("name", EDITORS)
def test_from_settings_is_cheap_and_declares_capabilities(name: str, settings: Settings) -> None:
    cls = registry.get("editor", name)
    editor = cls.from_settings(settings)  # no network, no model load
    caps = editor.capabilities
    assert isinstance(caps, EditorCapabilities)
    assert caps.max_variants >= 1 and caps.max_prompt_chars >= 1
    assert caps.can_remove or caps.can_prompt_fill
    assert editor.name == name


@pytest.mark.parametrize("name", EDITORS)
def test_edit_describes_every_variant_and_keeps_outside_pixels(
    name: str, settings: Settings
) -> None:
    editor = _factory(name)(settings, 2)
    caps: EditorCapabilities = editor.capabilities
    variants = min(2, caps.max_variants)
    prompt = None if caps.can_remove else "a red ball"
    result = editor.edit(PHOTO, MASK, EditRequest(prompt=prompt, variants=variants, seed=11))
    assert isinstance(result, EditResult)
    assert len(result.images) == len(result.variants) == variants
    assert [v.index for v in result.variants] == list(range(1, variants + 1))
    json.dumps(result.to_dict())  # JSON-ready
    assert_only_the_mask_changed(result, PHOTO, MASK)


@pytest.mark.parametrize("name", EDITORS)
def test_requests_beyond_capabilities_are_refused_before_work(
    name: str, settings: Settings
) -> None:
    editor = registry.create("editor", name, settings)  # unstubbed: a call would fail loudly
    caps: EditorCapabilities = editor.capabilities
    with pytest.raises(CapabilityError):
        editor.edit(PHOTO, MASK, EditRequest(variants=caps.max_variants + 1))
    with pytest.raises(InputError, match="exactly one mask source"):
        editor.edit(PHOTO, MASK, EditRequest(mask_prompt="the face"))
    with pytest.raises(InputError, match="exactly one mask source"):
        editor.edit(PHOTO, None, EditRequest())
    if not caps.can_segment_text:
        with pytest.raises(CapabilityError):
            editor.edit(PHOTO, None, EditRequest(mask_prompt="the face"))
    if not caps.can_prompt_fill:
        with pytest.raises(CapabilityError):
            editor.edit(PHOTO, MASK, EditRequest(prompt="a hat"))


def test_unknown_editor_lists_the_known_ones(tmp_path: Path, settings: Settings) -> None:
    from reelrag.errors import NotFoundError

    with pytest.raises(NotFoundError, match="opencv"):
        registry.create("editor", "nope", settings)
