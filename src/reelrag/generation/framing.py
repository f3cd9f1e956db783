"""Fit a source photo to a generator's whole move: every frame a window inside the photo.

Owns the framing step between resolving a request and generating: the fit mode (request option
``fit`` or the ``fit_mode`` setting), the subject (option ``focus``, else saliency), and for a
generator that moves the frame (the camera engine) the move's amplitude. In ``cover`` mode the
canvas the move needs (:meth:`Generator.framing_margins`) is scaled to cover the photo, so no
frame can show a border; when that would zoom into the photo more than ``camera_max_crop_zoom``
beyond a plain cover (a tall tilt on a panorama), the move is reduced (request option
``amplitude``) and the reduction recorded. ``extend`` pads and fills the band with an editor.
A "from the road to the sky" prompt says whether the named places were found in the photo.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from reelrag.errors import InputError
from reelrag.generation.base import Generator, ResolvedRequest
from reelrag.media import fit as imaging
from reelrag.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["Framed", "fit_for", "locate_places"]

_SEARCH_STEPS = 12  # bisection steps for the largest amplitude that fits


@dataclass
class Framed:
    """The fitted image, the (possibly reduced) job and what the framing decided."""

    fitted: imaging.FittedImage
    job: ResolvedRequest
    adjustments: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def fit_mode(job: ResolvedRequest, settings: Settings) -> str:
    """The request's ``fit`` option, else the setting; "crop" is "cover"."""
    mode = str(job.request.options.get("fit") or settings.fit_mode).strip().lower()
    if mode not in imaging.FIT_MODES:
        raise InputError(
            f"unknown fit mode {mode!r}", hint=f"use one of {', '.join(imaging.FIT_MODES)}"
        )
    return "cover" if mode == "crop" else mode


def fit_for(
    generator: Generator, job: ResolvedRequest, image: Image.Image, settings: Settings
) -> Framed:
    """Fit ``image`` for ``generator``'s move in ``job`` (see the module docstring)."""
    mode = fit_mode(job, settings)
    focus_text = job.request.options.get("focus")
    focus = imaging.parse_focus(str(focus_text), image.size) if focus_text else None
    adjustments: list[str] = []
    if mode == "cover":
        job = _reduce_to_fit(generator, job, image.size, settings, adjustments)
    m = generator.framing_margins(job)
    fitted = imaging.fit_image(
        image,
        job.width,
        job.height,
        mode=mode,
        margins=(m.left_px, m.top_px, m.right_px, m.bottom_px),
        min_kept_saliency=settings.fit_min_saliency,
        windows=generator.framing_windows(job),
        focus=focus,
    )
    details: dict[str, Any] = {"mode": mode, "focus": list(focus) if focus else None}
    if mode == "extend":
        from reelrag.editing.extend import extend_fitted  # lazy: editors load on demand

        fitted, details["extend"] = extend_fitted(fitted, job.request.prompt, settings)
    if fitted.fit.method == "pad" and mode not in ("pad", "blur", "extend"):
        adjustments.append("padded: a crop would have lost the subject (fit mode auto)")
    places = _places(job, image)
    if places:
        details["from_to"] = places
    return Framed(fitted, job, adjustments, details)


def _extra_zoom(generator: Generator, job: ResolvedRequest, size: tuple[int, int]) -> float:
    """How much closer than a plain cover of the photo the move's canvas must crop."""
    m = generator.framing_margins(job)
    w, h = job.width, job.height
    canvas = max((w + m.left_px + m.right_px) / size[0], (h + m.top_px + m.bottom_px) / size[1])
    return canvas / max(w / size[0], h / size[1])


def _reduce_to_fit(
    generator: Generator,
    job: ResolvedRequest,
    size: tuple[int, int],
    settings: Settings,
    adjustments: list[str],
) -> ResolvedRequest:
    limit = float(settings.camera_max_crop_zoom)
    asked = float(job.request.options.get("amplitude", 1.0))
    extra = _extra_zoom(generator, job, size)
    if extra <= limit + 1e-9:
        return job
    low, high = 0.0, asked
    for _ in range(_SEARCH_STEPS):
        mid = (low + high) / 2
        if _extra_zoom(generator, _with_amplitude(job, mid), size) <= limit:
            low = mid
        else:
            high = mid
    adjustments.append(
        f"move reduced to {low / asked:.0%} of what was asked: the {size[0]}x{size[1]} photo "
        f"cannot give it without cropping {extra:.2f}x closer (camera_max_crop_zoom {limit:g})"
    )
    return _with_amplitude(job, round(low, 4))


def _with_amplitude(job: ResolvedRequest, amplitude: float) -> ResolvedRequest:
    options = {**job.request.options, "amplitude": amplitude}
    return dataclasses.replace(job, request=job.request.replace(options=options))


def _places(job: ResolvedRequest, image: Image.Image) -> dict[str, Any]:
    from reelrag.generation.camera.reading import normalize, parse_from_to

    from_to = parse_from_to(normalize(job.request.prompt))
    return locate_places(from_to, image) if from_to else {}


# words whose place in a photo can be guessed from pixels: (words, where, test)
_SKY = {"sky", "clouds", "heavens", "horizon", "skyline", "stars", "moon", "sun"}
_HOW = {"sky": "smooth bright or blue band at the top", "ground": "textured band at the bottom"}
_GROUND = {"road", "ground", "floor", "street", "sand", "grass", "pavement", "sidewalk", "path"}


def locate_places(from_to: tuple[str, str], image: Image.Image) -> dict[str, Any]:
    """Whether the named places of "from A to B" were found in the photo, and how.

    Sky is a smooth band at the top, brighter than the rest or blue; ground a band at the
    bottom with more texture
    than the top. Anything else is not located: the move follows the words' usual place.

    >>> locate_places(("road", "sky"), Image.new("RGB", (64, 64)))["to"]["located"]
    False
    """
    rgb = np.asarray(image.convert("RGB").resize((96, 96)), np.float32)
    grey = rgb.mean(axis=2)
    band = 24
    top, bottom = grey[:band], grey[-band:]
    blue = float(rgb[:band, :, 2].mean() - rgb[:band, :, 0].mean())

    def texture(part: np.ndarray) -> float:
        return float(np.abs(np.diff(part, axis=0)).mean() + np.abs(np.diff(part, axis=1)).mean())

    found = {
        "sky": bool(
            texture(top) < 0.8 * texture(grey) and (top.mean() > grey.mean() + 5 or blue > 10)
        ),
        "ground": bool(texture(bottom) > texture(top) * 1.1),
    }
    out: dict[str, Any] = {}
    for key, words in zip(("from", "to"), from_to, strict=True):
        tokens = set(words.split())
        kind = "sky" if tokens & _SKY else "ground" if tokens & _GROUND else None
        located = bool(kind and found[kind])
        how = _HOW[kind or ""] if located else "not located: the move follows the words"
        out[key] = {"words": words, "located": located, "how": how}
    return out
