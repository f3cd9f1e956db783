"""API: in-painting. A rectangle (boxes) or a brush mask (a PNG the UI paints, white = edit)
on a library asset or an uploaded image; the edited variants can then be animated."""

from __future__ import annotations

import base64
import binascii
import struct
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from reelrag.editing.base import EditRequest
from reelrag.editing.masks import MaskSpec
from reelrag.editing.run import inpaint
from reelrag.errors import InputError
from reelrag.server.api_outputs import file_url, served_roots
from reelrag.server.security import (
    TooLargeError,
    check_asset_id,
    max_upload_bytes,
    request_file,
    too_large,
)
from reelrag.server.state import ServerState, get_state

router = APIRouter(tags=["edit"])
State = Annotated[ServerState, Depends(get_state)]
BOX = r"^\s*\d{1,5}\s*,\s*\d{1,5}\s*,\s*\d{1,5}\s*,\s*\d{1,5}\s*$"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class InpaintBody(BaseModel):
    """What to edit: one image source, one region (boxes or a brush mask), what to paint."""

    asset_id: str | None = Field(None, min_length=4, max_length=64, pattern=r"^[0-9a-fA-F]+$")
    image: str | None = Field(None, min_length=1, max_length=1000, description="workspace path")
    boxes: list[Annotated[str, Field(pattern=BOX)]] = Field(
        default_factory=list, max_length=50, description='"x,y,w,h" in image pixels'
    )
    mask_png: str | None = Field(None, description="base64 PNG (or data: URL), white = edit")
    invert: bool = False
    prompt: str | None = Field(None, min_length=1, max_length=1024)
    variants: int = Field(1, ge=1, le=5)
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    backend: str | None = Field(None, min_length=1, max_length=100)


@router.post("/inpaint", status_code=201)
def run_inpaint(body: InpaintBody, state: State) -> dict[str, Any]:
    """Edit the region and return the variants (best first by seam score), mask and manifest."""
    if bool(body.asset_id) == bool(body.image):
        raise InputError("give exactly one of asset_id and image")
    if bool(body.boxes) == bool(body.mask_png):
        raise InputError("give exactly one region: boxes or mask_png", hint="draw on the image")
    settings = state.settings
    image = request_file(settings, body.image, what="image") if body.image else None
    request = EditRequest(prompt=body.prompt, variants=body.variants, seed=body.seed,
                          backend=body.backend)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="reelrag-mask-") as folder:
        mask = _write_mask(
            body.mask_png, Path(folder), max_upload_bytes(settings), settings.max_image_pixels
        )
        spec = MaskSpec(mask=mask, boxes=tuple(b.replace(" ", "") for b in body.boxes),
                        invert=body.invert)  # fmt: skip
        result = inpaint(
            image, spec, request, settings, library=state.library(),
            asset_id=check_asset_id(body.asset_id) if body.asset_id else None,
        )  # fmt: skip
    roots = served_roots(state)
    urls = [file_url(v, roots) for v in result.variants]
    workspace = settings.workspace.resolve()
    return {**result.to_dict(), "variant_urls": urls, "mask_url": file_url(result.mask, roots),
            "manifest_url": file_url(result.manifest, roots),
            "variant_images": [Path(v).resolve().relative_to(workspace).as_posix()
                               for v in result.variants]}  # fmt: skip


def _write_mask(data: str | None, folder: Path, max_bytes: int, max_pixels: int) -> str | None:
    """Decode the brush mask into a temporary PNG file for the mask loader."""
    if data is None:
        return None
    text = data.split(",", 1)[1] if data.startswith("data:") else data
    if len(text) * 3 // 4 > max_bytes:
        raise too_large("mask_png", max_bytes)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError("mask_png is not base64", hint="send a PNG as base64") from exc
    if not raw.startswith(PNG_MAGIC) or raw[12:16] != b"IHDR":
        raise InputError("mask_png is not a PNG image", hint="send a PNG, white = edit")
    width, height = struct.unpack(">II", raw[16:24])
    if width * height > max_pixels:  # checked before any decoding (a PNG bomb is tiny)
        raise TooLargeError(
            f"mask_png is {width}×{height} pixels; the limit is {max_pixels:,}",
            hint="paint the mask at the image's own size",
        )
    path = folder / "mask.png"
    path.write_bytes(raw)
    return str(path)
