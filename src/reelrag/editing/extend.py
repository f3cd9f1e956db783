"""Extend a padded fit with an editor (``--fit extend``): the band around the photo is painted.

Owns the seam between framing and the editors: the fitted canvas (the photo letterboxed on
black, ``fit_image(mode="extend")``) and a mask of the band (255 = paint, the editors' one
convention) go to the configured editor -- OpenCV in-painting offline, or any editor that can
prompt-fill (Bedrock, diffusers), which also gets the clip's prompt -- so a model never animates
a blurred or black border. Classical (deterministic) editors work on a reduced copy: their fill is
smooth anyway, and Telea's cost grows with the band's area.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from PIL import Image

from reelrag.editing.base import EditRequest
from reelrag.editing.run import make_editor
from reelrag.errors import CapabilityError
from reelrag.media.fit import FittedImage
from reelrag.settings import Settings

__all__ = ["band_mask", "extend_fitted"]

WORK_PX = 480  # long side a classical editor fills at


def band_mask(fitted: FittedImage) -> Image.Image:
    """255 where the canvas shows no photo (the pad band), 0 on the photo."""
    matrix = fitted.fit.canvas_matrix()
    w, h = fitted.fit.source_size
    x0, y0 = matrix @ np.array([-0.5, -0.5, 1.0])
    x1, y1 = matrix @ np.array([w - 0.5, h - 0.5, 1.0])
    cw, ch = fitted.canvas.size
    mask = np.full((ch, cw), 255, np.uint8)
    # one pixel into the photo: its resampled edge blends with the black fill
    left, top = max(0, math.floor(x0 + 0.5) + 1), max(0, math.floor(y0 + 0.5) + 1)
    right, bottom = min(cw, math.ceil(x1 + 0.5) - 1), min(ch, math.ceil(y1 + 0.5) - 1)
    mask[top:bottom, left:right] = 0
    return Image.fromarray(mask)


def extend_fitted(
    fitted: FittedImage, prompt: str, settings: Settings
) -> tuple[FittedImage, dict[str, Any]]:
    """``fitted`` with its pad band painted by the configured editor, and what was done."""
    mask = band_mask(fitted)
    if not np.asarray(mask).any():
        return fitted, {"editor": None, "band_share": 0.0}
    editor = make_editor(EditRequest(), settings)
    caps = editor.capabilities
    if not (caps.can_prompt_fill or caps.can_remove):
        raise CapabilityError(f"editor {editor.name} cannot fill the band of --fit extend")
    request = EditRequest(prompt=prompt if caps.can_prompt_fill else None)
    canvas = fitted.canvas.convert("RGB")
    small = caps.deterministic and max(canvas.size) > WORK_PX
    work, work_mask = (_reduced(canvas), _reduced(mask)) if small else (canvas, mask)
    result = editor.edit(work, _binary(work_mask), request)
    painted = next((im for _, im in result.kept), None)
    if painted is None:
        raise CapabilityError(f"editor {editor.name} returned no image for the extend band")
    if painted.size != canvas.size:
        painted = painted.resize(canvas.size, Image.Resampling.BICUBIC)
    merged = Image.composite(painted.convert("RGB"), canvas, mask)
    fit = dataclasses.replace(fitted.fit, fill=f"extend:{editor.name}")
    left, top = fit.canvas_offset
    w, h = fit.output_size
    nominal = merged.crop((left, top, left + w, top + h))
    share = float((np.asarray(mask) > 0).mean())
    return FittedImage(image=nominal, canvas=merged, fit=fit), {
        "editor": editor.name,
        "model": result.model,
        "band_share": round(share, 4),
        "work_size": list(work.size),
    }


def _reduced(image: Image.Image) -> Image.Image:
    scale = WORK_PX / max(image.size)
    size = (max(8, round(image.size[0] * scale)), max(8, round(image.size[1] * scale)))
    return image.resize(size, Image.Resampling.BOX)


def _binary(mask: Image.Image) -> Image.Image:
    values = np.asarray(mask.convert("L"))
    return Image.fromarray(np.where(values > 0, 255, 0).astype(np.uint8))
