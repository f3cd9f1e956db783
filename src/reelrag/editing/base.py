"""The editor contract shared by every in-painting backend.

An editor declares its :class:`EditorCapabilities`; :func:`check_edit` validates a request against
them (and against the mask, if any) before any work or spending. Masks cross this seam in one
convention only: an 8-bit ``L`` image the size of the picture, **255 = edit, 0 = keep**; each
backend converts to the polarity its provider expects (Nova Canvas in-painting: black = edit).
:class:`EditRequest` and :class:`EditResult` are JSON-friendly value objects (manifests, job
payloads); the variant images themselves travel beside the result, never inside its JSON.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from reelrag.errors import CapabilityError, InputError
from reelrag.settings import Settings
from reelrag.types import Record

__all__ = [
    "EDIT_MODES",
    "EditRequest",
    "EditResult",
    "Editor",
    "EditorCapabilities",
    "Variant",
    "check_edit",
    "check_edit_request",
    "keep_outside",
]

EDIT_MODES = ("inpaint", "outpaint")


@dataclass(frozen=True)
class EditorCapabilities:
    """What an editor can do.

    ``can_prompt_fill``: paint new content described by ``prompt``; ``can_remove``: fill the
    masked region from its surroundings (no prompt); ``can_segment_text``: build the mask itself
    from ``mask_prompt`` ("the dog").
    """

    can_prompt_fill: bool
    can_remove: bool
    can_segment_text: bool
    max_variants: int = 1
    max_prompt_chars: int = 1024
    can_outpaint: bool = False
    deterministic: bool = False  # same input -> same pixels, whatever the seed


@dataclass(frozen=True)
class EditRequest(Record):
    """What to do with the masked region. The same request type is accepted by every editor.

    No ``prompt`` means "remove what is masked and fill it from its surroundings". ``mode``
    "outpaint" regenerates the region *outside* the subject instead (backends that can).
    """

    prompt: str | None = None
    negative_prompt: str | None = None
    mask_prompt: str | None = None
    variants: int = 1
    seed: int | None = None
    cfg_scale: float | None = None
    quality: str | None = None  # backend-specific, e.g. Canvas "standard" | "premium"
    mode: str = "inpaint"
    backend: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Variant(Record):
    """One requested variant: kept (``index`` 1-based) or blocked with the provider's reason."""

    index: int
    blocked: str | None = None
    score: float | None = None  # seam error for choosing the best; lower is better
    file: str | None = None


@dataclass
class EditResult:
    """Variant images (None where blocked) plus what reproduces them.

    ``variants[i]`` describes ``images[i]``. ``details`` holds backend facts (method, radius,
    lifecycle warning); ``not_honoured`` lists request parts the backend ignored (a seed for a
    deterministic algorithm).
    """

    images: list[Image.Image | None]
    variants: list[Variant]
    backend: str
    model: str
    seed: int | None = None
    not_honoured: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def kept(self) -> list[tuple[Variant, Image.Image]]:
        return [(v, im) for v, im in zip(self.variants, self.images, strict=True) if im is not None]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; images are left out (they are written as files beside the manifest)."""
        return {
            "backend": self.backend,
            "model": self.model,
            "seed": self.seed,
            "variants": [v.to_dict() for v in self.variants],
            "not_honoured": list(self.not_honoured),
            "details": dict(self.details),
        }


class Editor(abc.ABC):
    """An in-painting backend: ``edit(image, mask, request) -> EditResult``."""

    name: str = "editor"
    model: str = ""
    capabilities: EditorCapabilities

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: Settings) -> Editor:
        """Build the editor from resolved settings (no network or model load here)."""

    @abc.abstractmethod
    def edit(
        self, image: Image.Image, mask: Image.Image | None, request: EditRequest
    ) -> EditResult:
        """Edit ``image`` (RGB) where ``mask`` (L, 255 = edit) is set, or where
        ``request.mask_prompt`` points when ``mask`` is None. Call :func:`check_edit` first."""


def check_edit(
    request: EditRequest, caps: EditorCapabilities, image: Image.Image, mask: Image.Image | None
) -> None:
    """Refuse a request the editor cannot honour, before any work or spending."""
    _check_mode(request, caps)
    _check_mask_source(request, caps, image, mask)
    check_edit_request(request, caps)


def check_edit_request(request: EditRequest, caps: EditorCapabilities) -> None:
    """The checks of :func:`check_edit` that need no picture (batch planning runs them early)."""
    _check_mode(request, caps)
    if request.mask_prompt and not caps.can_segment_text:
        raise CapabilityError(
            "this editor cannot find a region from text (--mask-prompt)",
            hint="draw the region (--mask/--box/--polygon) or use --backend bedrock",
        )
    _check_prompt(request, caps)
    if not 1 <= request.variants <= caps.max_variants:
        raise CapabilityError(
            f"{request.variants} variants asked; this editor makes 1 to {caps.max_variants}",
            hint=f"use --variants 1..{caps.max_variants}",
        )


def _check_mode(request: EditRequest, caps: EditorCapabilities) -> None:
    if request.mode not in EDIT_MODES:
        raise InputError(f"unknown edit mode {request.mode!r}", hint="use inpaint or outpaint")
    if request.mode == "outpaint" and not caps.can_outpaint:
        raise CapabilityError("this editor cannot outpaint", hint="use --backend bedrock")


def _check_mask_source(
    request: EditRequest, caps: EditorCapabilities, image: Image.Image, mask: Image.Image | None
) -> None:
    if (mask is None) == (not request.mask_prompt):
        raise InputError(
            "give exactly one mask source: a mask image/boxes/polygon, or a mask prompt",
            hint="e.g. --mask mask.png, --box x,y,w,h, --polygon p.json or --mask-prompt 'the dog'",
        )
    if request.mask_prompt and not caps.can_segment_text:
        raise CapabilityError(
            "this editor cannot find a region from text (--mask-prompt)",
            hint="draw the region (--mask/--box/--polygon) or use --backend bedrock",
        )
    if mask is not None:
        if mask.mode != "L" or mask.size != image.size:
            raise InputError(
                f"the mask must be an L image of {image.size[0]}x{image.size[1]} "
                f"(got {mask.mode} {mask.size[0]}x{mask.size[1]})",
                hint="build it with reelrag.editing.masks",
            )
        values = np.unique(np.asarray(mask))
        if not set(values.tolist()) <= {0, 255}:
            raise InputError(
                "the mask is not binary (0/255)", hint="binarise it with masks.binarise"
            )


def _check_prompt(request: EditRequest, caps: EditorCapabilities) -> None:
    for name in ("prompt", "negative_prompt", "mask_prompt"):
        text = getattr(request, name)
        if text is not None and not 1 <= len(text.strip()) <= caps.max_prompt_chars:
            raise CapabilityError(
                f"{name} must be 1 to {caps.max_prompt_chars} characters (got {len(text)})"
            )
    if request.prompt and not caps.can_prompt_fill:
        raise CapabilityError(
            "this editor cannot paint new content from a prompt; it only removes the masked region",
            hint="drop --prompt to remove, or use --backend bedrock",
        )
    if not request.prompt and not caps.can_remove:
        raise CapabilityError(
            "this editor needs a --prompt; it does not remove without one",
            hint="describe what should fill the region, or remove it with --backend opencv",
        )
    if request.mode == "outpaint" and not request.prompt:
        raise InputError("outpainting needs a --prompt describing the new surroundings")


def keep_outside(original: Image.Image, edited: Image.Image, mask: Image.Image) -> Image.Image:
    """``edited`` inside the mask, ``original`` elsewhere: pixels outside stay identical."""
    if edited.size != original.size:
        raise InputError(
            f"the edited image is {edited.size}, the original {original.size}",
            hint="this is a backend bug; report it",
        )
    return Image.composite(edited.convert("RGB"), original.convert("RGB"), mask)
