"""ReelRAG's own validation of Amazon Nova Canvas INPAINTING / OUTPAINTING request bodies.

Beside :mod:`reelrag.aws.schemas` (same reason: botocore checks the InvokeModel envelope, not the
free-form ``body``). Encodes ``shared/reference/aws.md`` 6.3: ``image`` is base64 PNG/JPEG, 8-bit
RGB, opaque; exactly one of ``maskImage`` (same size, only pure black and pure white pixels) and
``maskPrompt``; ``text`` / ``negativeText`` / ``maskPrompt`` 1-1024 characters;
``imageGenerationConfig`` with ``numberOfImages`` 1-5, ``quality`` standard|premium, ``cfgScale``
1.1-10, ``seed`` 0-2,147,483,646, and no ``width`` / ``height`` for editing tasks.

Input size limits (each side 320-4096 px, at most 4,194,304 pixels, aspect 1:4 to 4:1) are those of
Canvas's "supported image resolutions" page as remembered; they were not re-read in this session.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from reelrag.aws.schemas import (
    MAX_IMAGE_BYTES,
    MAX_SEED,
    _b64,
    _keys,
    _text,
    check_declared_format,
    check_opaque_rgb8,
    open_image,
    sniff_format,
)
from reelrag.errors import CapabilityError, InputError

CANVAS_MIN_SIDE_PX = 320
CANVAS_MAX_SIDE_PX = 4096
CANVAS_MAX_PIXELS = 4_194_304
CANVAS_MAX_ASPECT = 4.0
CANVAS_MAX_IMAGES = 5
CANVAS_MAX_TEXT = 1024
CANVAS_QUALITIES = ("standard", "premium")
CANVAS_CFG_RANGE = (1.1, 10.0)
OUTPAINTING_MODES = ("DEFAULT", "PRECISE")
_PARAMS = {"INPAINTING": "inPaintingParams", "OUTPAINTING": "outPaintingParams"}


def check_canvas_size(size: tuple[int, int]) -> None:
    """Refuse an input size Canvas does not accept (never stretched to fit)."""
    width, height = size
    problems = []
    if min(size) < CANVAS_MIN_SIDE_PX or max(size) > CANVAS_MAX_SIDE_PX:
        problems.append(f"each side must be {CANVAS_MIN_SIDE_PX}-{CANVAS_MAX_SIDE_PX} px")
    if width * height > CANVAS_MAX_PIXELS:
        problems.append(f"at most {CANVAS_MAX_PIXELS:,} pixels")
    if max(size) / min(size) > CANVAS_MAX_ASPECT:
        problems.append("aspect ratio within 1:4 to 4:1")
    if problems:
        raise CapabilityError(
            f"Nova Canvas cannot edit a {width}x{height} image: {'; '.join(problems)}",
            hint="use a larger/smaller copy of the image, or --backend opencv",
        )


def validate_canvas_edit(body: Mapping[str, Any]) -> None:
    """Validate a Nova Canvas INPAINTING / OUTPAINTING InvokeModel body."""
    task = body.get("taskType") if isinstance(body, Mapping) else None
    if task not in _PARAMS:
        raise InputError(
            f"Canvas editing taskType must be INPAINTING or OUTPAINTING (got {task!r})"
        )
    name = _PARAMS[task]
    _keys(body, "body", {"taskType", name}, {"imageGenerationConfig"})
    params = body[name]
    optional = {"maskImage", "maskPrompt", "text", "negativeText"}
    _keys(
        params,
        name,
        {"image"},
        optional | ({"outPaintingMode"} if task == "OUTPAINTING" else set()),
    )
    if ("maskImage" in params) == ("maskPrompt" in params):
        raise InputError(f"{name} needs exactly one of maskImage and maskPrompt")
    for key in ("text", "negativeText", "maskPrompt"):
        if key in params:
            _text(params[key], f"{name}.{key}", CANVAS_MAX_TEXT)
    if task == "OUTPAINTING" and params.get("outPaintingMode", "DEFAULT") not in OUTPAINTING_MODES:
        raise CapabilityError(
            f"outPaintingMode must be DEFAULT or PRECISE ({params['outPaintingMode']!r})"
        )
    size = _canvas_image(params["image"], f"{name}.image")
    if "maskImage" in params:
        _canvas_mask(params["maskImage"], f"{name}.maskImage", size)
    if "imageGenerationConfig" in body:
        _canvas_config(body["imageGenerationConfig"])


def _canvas_image(value: Any, where: str) -> tuple[int, int]:
    data = _b64(value, where)
    _check_bytes(data, where)
    image = open_image(data)
    check_opaque_rgb8(image)
    check_canvas_size(image.size)
    return image.size


def _check_bytes(data: bytes, where: str) -> None:
    if len(data) > MAX_IMAGE_BYTES:
        raise CapabilityError(f"{where} is {len(data)} bytes; the limit is {MAX_IMAGE_BYTES}")
    check_declared_format(data, sniff_format(data) or "unknown", ("png", "jpeg"))


def _canvas_mask(value: Any, where: str, size: tuple[int, int]) -> None:
    data = _b64(value, where)
    _check_bytes(data, where)
    mask = open_image(data)
    if mask.size != size:
        raise InputError(
            f"{where} is {mask.size[0]}x{mask.size[1]}; the image is {size[0]}x{size[1]}"
        )
    rgb = np.asarray(mask.convert("RGB"))
    black = np.all(rgb == 0, axis=2)
    white = np.all(rgb == 255, axis=2)
    if not np.all(black | white):
        raise InputError(
            f"{where} has pixels that are neither pure black nor pure white",
            hint="binarise the mask (and save JPEG masks at 100% quality)",
        )
    if not black.any() or not white.any():
        raise InputError(f"{where} is all one colour: nothing to edit or nothing to keep")


def _canvas_config(config: Any) -> None:
    _keys(config, "imageGenerationConfig", set(), {"numberOfImages", "quality", "cfgScale", "seed"})
    count = config.get("numberOfImages", 1)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= CANVAS_MAX_IMAGES:
        raise CapabilityError(f"numberOfImages must be 1 to {CANVAS_MAX_IMAGES} (got {count!r})")
    if config.get("quality", "standard") not in CANVAS_QUALITIES:
        raise CapabilityError(f"quality must be standard or premium (got {config['quality']!r})")
    cfg = config.get("cfgScale", 6.5)
    low, high = CANVAS_CFG_RANGE
    if not isinstance(cfg, int | float) or isinstance(cfg, bool) or not low <= cfg <= high:
        raise CapabilityError(f"cfgScale must be {low} to {high} (got {cfg!r})")
    seed = config.get("seed", 12)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        raise CapabilityError(f"seed must be an integer from 0 to {MAX_SEED} (got {seed!r})")
