"""Fit an image to a model's input size without distortion.

Owns subject-aware framing: spectral-residual saliency (Hou & Zhang, 2007) in numpy/OpenCV,
choosing between a crop that keeps the subject and a pad with a blurred fill when a crop would
lose it, and the explicit transform of the result (a 2x3 affine from source pixels to output
pixels, the method and the crop box) so later steps can carry user masks through it. Images are
scaled uniformly, never stretched. Optional margins around the nominal frame (a "canvas") give a
camera move room to pan or zoom out without revealing an empty border.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from reelrag.errors import InputError
from reelrag.storage import atomic_write_bytes

__all__ = [
    "FIT_MODES",
    "Fit",
    "FittedImage",
    "apply_fit",
    "fit_image",
    "focus_map",
    "parse_focus",
    "saliency_map",
    "save_png",
]

# cover (= crop): a window inside the photo, never a border; pad: black bars; blur: a blurred
# fill around the whole photo; auto: cover unless that loses the subject, then blur; extend:
# the pad layout with the band filled by an editor (media.extend)
FIT_MODES = ("cover", "crop", "auto", "pad", "blur", "extend")
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Fit:
    """How a source image became the output frame.

    ``matrix`` maps source pixel indices to output pixel indices (OpenCV convention, usable
    with ``cv2.warpAffine``); ``crop_box`` is the source region shown in the nominal frame
    (x0, y0, x1, y1); the canvas is the output frame plus ``canvas_offset`` margins.
    """

    method: str  # crop | pad | scale
    matrix: tuple[tuple[float, float, float], tuple[float, float, float]]
    crop_box: Box
    source_size: tuple[int, int]
    output_size: tuple[int, int]
    canvas_size: tuple[int, int]
    canvas_offset: tuple[int, int]
    kept_saliency: float
    subject_center: tuple[float, float]
    fill: str = ""  # pad only: "black" or "blur"

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "matrix": [list(row) for row in self.matrix],
            "crop_box": [round(v, 3) for v in self.crop_box],
            "source_size": list(self.source_size),
            "output_size": list(self.output_size),
            "canvas_size": list(self.canvas_size),
            "canvas_offset": list(self.canvas_offset),
            "kept_saliency": round(self.kept_saliency, 4),
            "subject_center": [round(v, 2) for v in self.subject_center],
            **({"fill": self.fill} if self.fill else {}),
        }

    def canvas_matrix(self) -> np.ndarray:
        """The 2x3 affine from source pixels to canvas pixels."""
        m = np.array(self.matrix, dtype=np.float64)
        m[:, 2] += self.canvas_offset
        return m


@dataclass(frozen=True)
class FittedImage:
    """The nominal frame (``image``, exactly the output size), the canvas around it and the fit."""

    image: Image.Image
    canvas: Image.Image
    fit: Fit


def saliency_map(rgb: np.ndarray, width_px: int = 64) -> np.ndarray:
    """Spectral-residual saliency of an RGB array, at most ``width_px`` on its long side, in [0, 1].

    >>> saliency_map(np.zeros((40, 60, 3), np.uint8)).shape
    (43, 64)
    """
    gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY).astype(np.float32)
    h, w = gray.shape
    scale = width_px / max(h, w)
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    spectrum = np.fft.fft2(small)
    log_amp = np.log(np.abs(spectrum) + 1e-6).astype(np.float32)
    residual = log_amp - cv2.blur(log_amp, (3, 3))
    sal = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2
    sal = cv2.GaussianBlur(sal.astype(np.float32), (0, 0), sigmaX=max(1.0, size[0] * 0.04))
    low, high = float(sal.min()), float(sal.max())
    if high - low < 1e-12:  # a flat image has no subject: weigh every pixel alike
        return np.ones_like(sal)
    return (sal - low) / (high - low)


def fit_image(
    image: Image.Image,
    width: int,
    height: int,
    *,
    mode: str = "auto",
    margins: tuple[int, int, int, int] = (0, 0, 0, 0),
    min_kept_saliency: float = 0.8,
    windows: list[Box] | None = None,
    focus: Box | None = None,
) -> FittedImage:
    """Fit ``image`` to ``width`` x ``height`` by a subject-aware crop or a pad.

    ``margins`` (left, top, right, bottom, in output pixels) extend the canvas around the frame.
    ``mode`` "auto" crops unless the crop keeps less than ``min_kept_saliency`` of the saliency.
    ``windows`` are the frames a camera move will show (boxes in output pixels, relative to the
    nominal frame's top-left): a crop is placed so the subject stays in all of them. ``focus``
    (a source-pixel box) replaces the estimated saliency: where the user says the subject is.

    >>> fitted = fit_image(Image.new("RGB", (400, 300), "red"), 160, 90, mode="crop")
    >>> fitted.image.size, fitted.fit.method
    ((160, 90), 'crop')
    """
    if mode not in FIT_MODES:
        raise InputError(f"unknown fit mode {mode!r}", hint=f"use one of {', '.join(FIT_MODES)}")
    if width < 1 or height < 1 or min(margins) < 0:
        raise InputError(f"cannot fit to {width}x{height} with margins {margins}")
    rgb = np.asarray(image.convert("RGB"))
    sal = saliency_map(rgb) if focus is None else focus_map(focus, image.size)
    if mode in ("pad", "blur", "extend"):
        return _render_pad(image, width, height, margins, sal, "black" if mode == "pad" else "blur")
    nominal = [(0.0, 0.0, float(width), float(height))]
    crop = _plan_crop(rgb.shape[1], rgb.shape[0], width, height, margins, sal, windows or nominal)
    if mode in ("crop", "cover") or crop[2] >= min_kept_saliency:
        return _render_crop(image, width, height, margins, crop, sal)
    return _render_pad(image, width, height, margins, sal, "blur")


def parse_focus(text: str, size: tuple[int, int]) -> Box:
    """Where the subject is, as a source-pixel box: "x,y" (a point) or "x,y,w,h" (a box), in
    fractions of the image (all values <= 1) or pixels.

    >>> parse_focus("0.5,0.25", (400, 200))
    (175.0, 25.0, 225.0, 75.0)
    >>> parse_focus("10,20,100,50", (400, 200))
    (10.0, 20.0, 110.0, 70.0)
    """
    try:
        values = [float(v) for v in text.replace(" ", "").split(",")]
    except ValueError:
        values = []
    if len(values) not in (2, 4) or min(values) < 0:
        raise InputError(
            f"focus {text!r} is not x,y or x,y,w,h", hint="e.g. --focus 0.5,0.3 or 120,80,200,160"
        )
    w, h = size
    if max(values) <= 1.0:
        values = [v * (w if i % 2 == 0 else h) for i, v in enumerate(values)]
    if len(values) == 2:  # a point: a box a quarter of the short side across
        r = min(w, h) / 8
        values = [values[0] - r, values[1] - r, 2 * r, 2 * r]
    x, y, bw, bh = values
    x0, y0 = min(max(0.0, x), w - 1.0), min(max(0.0, y), h - 1.0)
    return (x0, y0, max(x0 + 1.0, min(float(w), x + bw)), max(y0 + 1.0, min(float(h), y + bh)))


def focus_map(box: Box, size: tuple[int, int], width_px: int = 64) -> np.ndarray:
    """A saliency-shaped map that is 1 inside ``box`` (source pixels) and ~0 elsewhere."""
    w, h = size
    scale = width_px / max(w, h)
    sw, sh = max(8, round(w * scale)), max(8, round(h * scale))
    out = np.full((sh, sw), 1e-4, np.float32)
    fx, fy = sw / w, sh / h
    x0, y0 = math.floor(box[0] * fx), math.floor(box[1] * fy)
    x1, y1 = max(x0 + 1, math.ceil(box[2] * fx)), max(y0 + 1, math.ceil(box[3] * fy))
    out[y0:y1, x0:x1] = 1.0
    return out


def _plan_crop(
    src_w: int,
    src_h: int,
    width: int,
    height: int,
    margins: tuple[int, ...],
    sal: np.ndarray,
    windows: list[Box],
) -> tuple[float, tuple[float, float], float]:
    """(scale, expanded-box origin, kept saliency) of the best crop with its margins: the
    placement whose worst window (the frame that shows least of the subject) shows most."""
    left, top, right, bottom = margins
    scale = max((width + left + right) / src_w, (height + top + bottom) / src_h)
    ew, eh = (width + left + right) / scale, (height + top + bottom) / scale
    integral = cv2.integral(sal.astype(np.float64))
    fx, fy = sal.shape[1] / src_w, sal.shape[0] / src_h
    boxes = [((left + a) / scale, (top + b) / scale, (left + c) / scale, (top + d) / scale)
             for a, b, c, d in windows]  # fmt: skip
    grid_x, grid_y = np.meshgrid(
        np.linspace(0.0, max(0.0, src_w - ew), 33), np.linspace(0.0, max(0.0, src_h - eh), 33)
    )
    ex, ey = grid_x.ravel(), grid_y.ravel()
    masses = np.stack(
        [_box_masses(integral, (ex + a, ey + b, ex + c, ey + d), fx, fy) for a, b, c, d in boxes]
    )
    # a slight pull to the centre breaks ties between equally good placements
    pull = np.abs(ex - (src_w - ew) / 2) / src_w + np.abs(ey - (src_h - eh) / 2) / src_h
    total = max(float(integral[-1, -1]), 1e-12)
    score = (masses.min(axis=0) + 0.25 * masses.mean(axis=0)) / total - 0.01 * pull
    pick = int(np.argmax(score))
    best = (float(score[pick]), float(ex[pick]), float(ey[pick]))
    box_w, box_h, off_x, off_y = width / scale, height / scale, left / scale, top / scale
    kept = _box_mass(
        integral,
        (best[1] + off_x, best[2] + off_y, best[1] + off_x + box_w, best[2] + off_y + box_h),
        fx,
        fy,
    )
    return scale, (best[1], best[2]), kept / max(integral[-1, -1], 1e-12)


def _box_masses(
    integral: np.ndarray, box: tuple[np.ndarray, ...], fx: float, fy: float
) -> np.ndarray:
    """:func:`_box_mass` for arrays of boxes."""
    hi_y, hi_x = integral.shape[0] - 1, integral.shape[1] - 1
    x0, x1 = (np.clip(np.round(v * fx), 0, hi_x).astype(int) for v in (box[0], box[2]))
    y0, y1 = (np.clip(np.round(v * fy), 0, hi_y).astype(int) for v in (box[1], box[3]))
    return np.asarray(integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0])


def _box_mass(integral: np.ndarray, box: Box, fx: float, fy: float) -> float:
    hi_y, hi_x = integral.shape[0] - 1, integral.shape[1] - 1
    x0, y0 = min(hi_x, max(0, round(box[0] * fx))), min(hi_y, max(0, round(box[1] * fy)))
    x1, y1 = min(hi_x, max(0, round(box[2] * fx))), min(hi_y, max(0, round(box[3] * fy)))
    return float(integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0])


def _subject_center(sal: np.ndarray, src_w: int, src_h: int) -> tuple[float, float]:
    ys, xs = np.mgrid[0 : sal.shape[0], 0 : sal.shape[1]]
    total = float(sal.sum()) or 1.0
    cx = float((sal * (xs + 0.5)).sum() / total) * src_w / sal.shape[1]
    cy = float((sal * (ys + 0.5)).sum() / total) * src_h / sal.shape[0]
    return cx, cy


def _render_crop(
    image: Image.Image,
    width: int,
    height: int,
    margins: tuple[int, int, int, int],
    crop: tuple[float, tuple[float, float], float],
    sal: np.ndarray,
) -> FittedImage:
    scale, (ex, ey), kept = crop
    left, top, right, bottom = margins
    src_w, src_h = image.size
    canvas_size = (width + left + right, height + top + bottom)
    ew, eh = canvas_size[0] / scale, canvas_size[1] / scale
    box = (ex, ey, min(float(src_w), ex + ew), min(float(src_h), ey + eh))
    canvas = image.convert("RGB").resize(canvas_size, Image.Resampling.LANCZOS, box=box)
    x0, y0 = ex + left / scale, ey + top / scale
    crop_box = (x0, y0, x0 + width / scale, y0 + height / scale)
    whole = crop_box[2] - crop_box[0] >= src_w - 0.5 and crop_box[3] - crop_box[1] >= src_h - 0.5
    fit = Fit(
        method="scale" if whole else "crop",
        matrix=_matrix(scale, scale, x0, y0),
        crop_box=crop_box,
        source_size=(src_w, src_h),
        output_size=(width, height),
        canvas_size=canvas_size,
        canvas_offset=(left, top),
        kept_saliency=kept,
        subject_center=_subject_center(sal, src_w, src_h),
    )
    nominal = canvas.crop((left, top, left + width, top + height))
    return FittedImage(image=nominal, canvas=canvas, fit=fit)


def _matrix(
    sx: float, sy: float, x0: float, y0: float
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    # pixel centres sit at index + 0.5: out + 0.5 = (src + 0.5 - x0) * s
    return ((sx, 0.0, sx * (0.5 - x0) - 0.5), (0.0, sy, sy * (0.5 - y0) - 0.5))


def _render_pad(
    image: Image.Image,
    width: int,
    height: int,
    margins: tuple[int, int, int, int],
    sal: np.ndarray,
    fill: str,
) -> FittedImage:
    left, top, right, bottom = margins
    src_w, src_h = image.size
    scale = min(width / src_w, height / src_h)
    inner = (max(1, round(src_w * scale)), max(1, round(src_h * scale)))
    canvas_size = (width + left + right, height + top + bottom)
    canvas = _blurred_fill(image, canvas_size) if fill == "blur" else Image.new("RGB", canvas_size)
    ox, oy = left + (width - inner[0]) // 2, top + (height - inner[1]) // 2
    canvas.paste(image.convert("RGB").resize(inner, Image.Resampling.LANCZOS), (ox, oy))
    sx, sy = inner[0] / src_w, inner[1] / src_h
    fit = Fit(
        method="pad",
        matrix=_matrix(sx, sy, -(ox - left) / sx, -(oy - top) / sy),
        crop_box=(0.0, 0.0, float(src_w), float(src_h)),
        source_size=(src_w, src_h),
        output_size=(width, height),
        canvas_size=canvas_size,
        canvas_offset=(left, top),
        kept_saliency=1.0,
        subject_center=_subject_center(sal, src_w, src_h),
        fill=fill,
    )
    nominal = canvas.crop((left, top, left + width, top + height))
    return FittedImage(image=nominal, canvas=canvas, fit=fit)


def _blurred_fill(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The image scaled to cover ``size``, heavily blurred and dimmed: a calm, related fill."""
    small = (max(4, size[0] // 8), max(4, size[1] // 8))
    src_w, src_h = image.size
    cover = max(small[0] / src_w, small[1] / src_h)
    bw, bh = min(src_w, small[0] / cover), min(src_h, small[1] / cover)
    box = (
        max(0.0, (src_w - bw) / 2),
        max(0.0, (src_h - bh) / 2),
        (src_w + bw) / 2,
        (src_h + bh) / 2,
    )
    tiny = np.asarray(image.convert("RGB").resize(small, Image.Resampling.BOX, box=box))
    blurred = cv2.GaussianBlur(tiny.astype(np.float32), (0, 0), sigmaX=max(small) * 0.06)
    big = cv2.resize(blurred * 0.75, size, interpolation=cv2.INTER_CUBIC)
    return Image.fromarray(np.clip(big, 0, 255).astype(np.uint8))


def apply_fit(
    image: Image.Image, fit: Fit, *, canvas: bool = False, nearest: bool = False
) -> Image.Image:
    """Carry another source-aligned image (e.g. a mask) through ``fit``; outside is black.

    ``nearest`` keeps mask values binary; ``canvas`` renders the whole canvas, not the frame.
    """
    if image.size != fit.source_size:
        raise InputError(
            f"image is {image.size[0]}x{image.size[1]} but the fit was made for "
            f"{fit.source_size[0]}x{fit.source_size[1]}",
            hint="use an image (or mask) the same size as the source",
        )
    matrix = fit.canvas_matrix() if canvas else np.array(fit.matrix, dtype=np.float64)
    size = fit.canvas_size if canvas else fit.output_size
    flags = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    out = cv2.warpAffine(np.asarray(image), matrix, size, flags=flags, borderValue=0)
    return Image.fromarray(out)


def save_png(image: Image.Image, path: Path) -> Path:
    """Write ``image`` as PNG atomically."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    atomic_write_bytes(Path(path), buffer.getvalue())
    return Path(path)
