"""Stability AI Image Services on Bedrock: the services ReelRAG uses, their rules and prices.

One place for every fact (the page each comes from is listed in ``docs/aws.md``):

- Request bodies: Amazon Bedrock user guide, "Stability AI Image Services"
  (https://docs.aws.amazon.com/bedrock/latest/userguide/stable-image-services.html), which
  mirrors Stability's v2beta edit API: JSON ``body`` for ``InvokeModel`` with base64 ``image``
  (and ``mask``), ``output_format`` jpeg | png | webp, ``seed`` 0-4,294,967,294, prompts up to
  10,000 characters, ``grow_mask`` (inpaint 0-100, default 5; erase 0-20, default 5; search and
  replace 0-20, default 3), outpaint ``left/right/up/down`` 0-2000 px with ``creativity`` 0-1.
- Input images: every side at least 64 px, 4,096 to 9,437,184 pixels in all, aspect ratio between
  1:2.5 and 2.5:1 (same page; the stored copy read for this module showed the request/response
  sections, the limits are Stability's published ones for these services).
- Response: ``{"seeds": [...], "finish_reasons": [null | "Filter reason: prompt" |
  "Filter reason: output image" | "Filter reason: input image" | "Inference error"],
  "images": [base64]}`` -- one image per call.
- Model ids: the US cross-region inference profiles ``us.stability.<service>`` (the bare
  ``stability.*`` ids are not invocable on demand); lifecycle read for the foundation model id.
- Prices per generated image are **estimates marked "check current pricing"**
  (https://aws.amazon.com/bedrock/pricing/ renders its tables client-side and was not readable
  here); ``EditResult.details["cost_usd"]`` reports calls x price.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reelrag.aws.schemas import (
    MAX_IMAGE_BYTES,
    _b64,
    _keys,
    _text,
    check_declared_format,
    open_image,
    sniff_format,
)
from reelrag.errors import CapabilityError, ConfigError, InputError

BODY_PAGE = "https://docs.aws.amazon.com/bedrock/latest/userguide/stable-image-services.html"
PRICING_PAGE = "https://aws.amazon.com/bedrock/pricing/"
PROFILE = "us."
MIN_SIDE_PX = 64
MIN_PIXELS = 4_096
MAX_PIXELS = 9_437_184
MAX_ASPECT = 2.5
MAX_PROMPT = 10_000
MAX_SEED = 4_294_967_294
MAX_OUTPAINT_PX = 2_000
OUTPUT_FORMATS = ("jpeg", "png", "webp")
INPUT_FORMATS = ("jpeg", "png", "webp")
STYLE_PRESETS = (
    "3d-model", "analog-film", "anime", "cinematic", "comic-book", "digital-art", "enhance",
    "fantasy-art", "isometric", "line-art", "low-poly", "modeling-compound", "neon-punk",
    "origami", "photographic", "pixel-art", "tile-texture",
)  # fmt: skip
FINISH_FILTERED = "Filter reason"
FINISH_INPUT = ("Filter reason: prompt", "Filter reason: input image")


@dataclass(frozen=True)
class Service:
    """One Stability image service: its model id suffix, body fields and price estimate."""

    key: str  # inpaint | erase | search_replace | outpaint
    model: str  # foundation model id, without the inference-profile prefix
    required: frozenset[str]
    optional: frozenset[str]
    grow_mask: tuple[int, int, int] | None  # (low, high, default)
    price_usd: float  # per generated image -- estimate, check current pricing

    def model_id(self, profile: str = PROFILE) -> str:
        return f"{profile}{self.model}"


_COMMON = frozenset({"seed", "output_format"})
SERVICES: dict[str, Service] = {
    "inpaint": Service(
        "inpaint",
        "stability.stable-image-inpaint-v1:0",
        frozenset({"image", "prompt"}),
        _COMMON | {"mask", "negative_prompt", "grow_mask", "style_preset"},
        (0, 100, 5),
        0.07,
    ),
    "erase": Service(
        "erase",
        "stability.stable-image-erase-object-v1:0",
        frozenset({"image"}),
        _COMMON | {"mask", "grow_mask"},
        (0, 20, 5),
        0.07,
    ),
    "search_replace": Service(
        "search_replace",
        "stability.stable-image-search-replace-v1:0",
        frozenset({"image", "prompt", "search_prompt"}),
        _COMMON | {"negative_prompt", "grow_mask", "style_preset"},
        (0, 20, 3),
        0.07,
    ),
    "outpaint": Service(
        "outpaint",
        "stability.stable-outpaint-v1:0",
        frozenset({"image"}),
        _COMMON | {"prompt", "left", "right", "up", "down", "creativity", "style_preset"},
        None,
        0.08,
    ),
}
DEFAULT_EDIT_MODEL = SERVICES["inpaint"].model_id()


def is_stability(model: str) -> bool:
    return "stability." in model


def profile_of(model: str) -> str:
    """The inference-profile prefix of ``model`` ("us." for ``us.stability.…``, "" if bare)."""
    head, sep, _ = model.partition("stability.")
    if not sep:
        raise ConfigError(f"{model!r} is not a Stability AI model id")
    return head


def service_model(model: str, key: str) -> str:
    """The id of service ``key`` under the same inference profile as ``model``."""
    return SERVICES[key].model_id(profile_of(model))


def check_stability_size(size: tuple[int, int]) -> None:
    """Refuse an input size the services do not accept (never stretched to fit)."""
    width, height = size
    problems = []
    if min(size) < MIN_SIDE_PX:
        problems.append(f"each side at least {MIN_SIDE_PX} px")
    if not MIN_PIXELS <= width * height <= MAX_PIXELS:
        problems.append(f"{MIN_PIXELS:,} to {MAX_PIXELS:,} pixels")
    if max(size) / max(1, min(size)) > MAX_ASPECT:
        problems.append("aspect ratio within 1:2.5 to 2.5:1")
    if problems:
        raise CapabilityError(
            f"Stability image services cannot edit a {width}x{height} image: "
            + "; ".join(problems),
            hint="crop the image closer to the edit, or use --backend opencv",
        )


def validate_stability(key: str, body: Mapping[str, Any]) -> tuple[int, int]:
    """Validate the InvokeModel ``body`` for service ``key``; the input image size."""
    service = SERVICES[key]
    _keys(body, f"{key} body", set(service.required), set(service.optional))
    for name in ("prompt", "negative_prompt", "search_prompt"):
        if name in body:
            _text(body[name], name, MAX_PROMPT)
    size = _image(body["image"], "image")
    check_stability_size(size)
    if "mask" in body:
        _mask(body["mask"], size)
    _choices(body)
    _ranges(service, body)
    if key == "outpaint" and not any(body.get(k, 0) for k in ("left", "right", "up", "down")):
        raise InputError("outpaint needs at least one of left, right, up, down above 0")
    return size


def _image(value: Any, where: str) -> tuple[int, int]:
    data = _b64(value, where)
    if len(data) > MAX_IMAGE_BYTES:
        raise CapabilityError(f"{where} is {len(data)} bytes; the limit is {MAX_IMAGE_BYTES}")
    check_declared_format(data, sniff_format(data) or "unknown", INPUT_FORMATS)
    return tuple(open_image(data).size)  # type: ignore[return-value]


def _mask(value: Any, size: tuple[int, int]) -> None:
    mask_size = _image(value, "mask")
    if mask_size != size:
        raise InputError(f"mask is {mask_size[0]}x{mask_size[1]}; the image is {size[0]}x{size[1]}")


def _choices(body: Mapping[str, Any]) -> None:
    if body.get("output_format", "png") not in OUTPUT_FORMATS:
        raise CapabilityError(f"output_format must be one of {', '.join(OUTPUT_FORMATS)}")
    if "style_preset" in body and body["style_preset"] not in STYLE_PRESETS:
        raise CapabilityError(
            f"style_preset {body['style_preset']!r} is not one of {', '.join(STYLE_PRESETS)}"
        )


def _ranges(service: Service, body: Mapping[str, Any]) -> None:
    _int_in(body, "seed", 0, MAX_SEED)
    if service.grow_mask:
        _int_in(body, "grow_mask", service.grow_mask[0], service.grow_mask[1])
    for side in ("left", "right", "up", "down"):
        _int_in(body, side, 0, MAX_OUTPAINT_PX)
    creativity = body.get("creativity", 0.5)
    if not isinstance(creativity, int | float) or isinstance(creativity, bool):
        raise CapabilityError(f"creativity must be a number from 0 to 1 (got {creativity!r})")
    if not 0.0 <= creativity <= 1.0:
        raise CapabilityError(f"creativity must be from 0 to 1 (got {creativity})")


def _int_in(body: Mapping[str, Any], key: str, low: int, high: int) -> None:
    if key not in body:
        return
    value = body[key]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise CapabilityError(f"{key} must be an integer from {low} to {high} (got {value!r})")


def finish_reason(response: Mapping[str, Any]) -> str | None:
    """The provider's reason when the one image was not produced, else None."""
    reasons = response.get("finish_reasons") or [None]
    reason = reasons[0]
    if reason is None and not response.get("images"):
        return "no image returned"
    return None if reason is None else str(reason)
