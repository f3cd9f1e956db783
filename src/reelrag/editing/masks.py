"""Masks: load, validate, binarise, draw from boxes and polygons, carry through a fit.

One convention everywhere in ReelRAG: a mask is an 8-bit ``L`` image the size of its picture,
**255 = edit, 0 = keep** (white marks what changes). Backends convert to their provider's polarity.

Nothing is adjusted silently: grey levels are binarised with a stated threshold (``value >=
threshold`` means edit) and the number of grey pixels is reported; a mask of another size is
accepted only when it has the picture's aspect ratio (it was drawn on a scaled copy) and the
scaling is reported; an empty or full mask is an error. :func:`transform_mask` carries a mask
drawn on the original image through the 2x3 affine of :class:`reelrag.media.fit.Fit`, so the edited
region of the model-sized image is where the user drew it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from reelrag.errors import InputError
from reelrag.types import Record

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_THRESHOLD",
    "MaskBuild",
    "MaskSpec",
    "binarise",
    "build_mask",
    "check_coverage",
    "load_mask",
    "load_polygons",
    "mask_from_boxes",
    "mask_from_polygons",
    "parse_box",
    "transform_mask",
]

DEFAULT_THRESHOLD = 128
ASPECT_TOLERANCE = 0.01  # a mask drawn on a scaled copy may differ by rounding, not by shape
Size = tuple[int, int]
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class MaskSpec(Record):
    """Where the mask comes from: one of a mask file, boxes ("x,y,w,h") or a polygon JSON file.

    ``invert`` flips a mask drawn with black = edit. JSON-friendly, so it travels in batch rows.
    """

    mask: str | None = None
    boxes: tuple[str, ...] = ()
    polygon: str | None = None
    threshold: int | None = None  # None: the ``mask_threshold`` setting
    invert: bool = False

    def sources(self) -> list[str]:
        given = [("mask", self.mask), ("boxes", self.boxes), ("polygon", self.polygon)]
        return [name for name, value in given if value]

    def is_empty(self) -> bool:
        return not self.sources()


@dataclass
class MaskBuild:
    """A binary mask (L, 0/255) and the report of every step that shaped it."""

    mask: Image.Image
    report: dict[str, Any] = field(default_factory=dict)


def build_mask(spec: MaskSpec, size: Size, *, threshold: int = DEFAULT_THRESHOLD) -> MaskBuild:
    """The binary mask ``spec`` describes, for a picture of ``size`` (width, height).

    ``threshold`` binarises a mask file when ``spec.threshold`` is None.
    """
    sources = spec.sources()
    if len(sources) != 1:
        raise InputError(
            f"give exactly one of --mask, --box or --polygon (got {', '.join(sources) or 'none'})",
            hint="several rectangles: repeat --box; several shapes: list them in one polygon file",
        )
    if spec.mask:
        built = load_mask(Path(spec.mask), size, threshold=spec.threshold or threshold)
    elif spec.boxes:
        built = MaskBuild(mask_from_boxes(size, [parse_box(b) for b in spec.boxes]))
        built.report = {"source": "boxes", "boxes": list(spec.boxes)}
    else:
        built = MaskBuild(mask_from_polygons(size, load_polygons(Path(str(spec.polygon)))))
        built.report = {"source": "polygon", "file": spec.polygon}
    if spec.invert:
        built.mask = Image.fromarray(255 - np.asarray(built.mask))
    built.report["inverted"] = spec.invert
    built.report["area_fraction"] = check_coverage(built.mask)
    return built


def binarise(gray: np.ndarray, threshold: int = DEFAULT_THRESHOLD) -> tuple[np.ndarray, int]:
    """(0/255 uint8 mask, number of grey pixels): ``gray >= threshold`` means edit.

    >>> mask, grey = binarise(np.array([[0, 100, 200, 255]], np.uint8))
    >>> mask.tolist(), grey
    ([[0, 0, 255, 255]], 2)
    """
    if not 1 <= threshold <= 255:
        raise InputError(f"mask threshold {threshold} is outside 1..255", hint="e.g. 128")
    grey = int(np.count_nonzero((gray != 0) & (gray != 255)))
    return np.where(gray >= threshold, 255, 0).astype(np.uint8), grey


def load_mask(path: Path, size: Size, *, threshold: int = DEFAULT_THRESHOLD) -> MaskBuild:
    """Read a mask file (white = edit), binarise it and match it to ``size``."""
    gray = _read_gray(path)
    binary, grey = binarise(gray, threshold)
    report: dict[str, Any] = {
        "source": "file",
        "file": str(path),
        "threshold": threshold,
        "grey_pixels": grey,
    }
    if grey:
        log.warning("mask %s has %d grey pixels; binarised at >= %d", path, grey, threshold)
    mask = Image.fromarray(binary)
    if mask.size != size:
        report["scaled_from"] = list(mask.size)
        mask = _scale_to(mask, size, path)
    return MaskBuild(mask, report)


def _read_gray(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as im:
            im.load()
            return _to_gray(im, path)
    except FileNotFoundError as exc:
        raise InputError(f"mask {path} does not exist", hint="check the --mask path") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(
            f"mask {path} is not a readable image: {exc}",
            hint="save the mask as PNG, white = edit, black = keep",
        ) from exc


def _to_gray(im: Image.Image, path: Path) -> np.ndarray:
    if "A" in im.getbands() or (im.mode == "P" and "transparency" in im.info):
        alpha = np.asarray(im.convert("RGBA").getchannel("A"))
        if int(alpha.min()) < 255:
            raise InputError(
                f"mask {path} has transparent pixels, so its meaning is ambiguous",
                hint="flatten it: white = edit, black = keep, no transparency",
            )
    return np.asarray(im.convert("L"))


def _scale_to(mask: Image.Image, size: Size, path: Path) -> Image.Image:
    """Scale a mask drawn on a scaled copy of the picture; refuse any other shape."""
    (mw, mh), (w, h) = mask.size, size
    if abs((mw / mh) / (w / h) - 1) > ASPECT_TOLERANCE:
        raise InputError(
            f"mask {path} is {mw}x{mh} but the image is {w}x{h} (another shape)",
            hint="draw the mask on the same image, at its size or a uniformly scaled copy",
        )
    log.warning("mask %s is %dx%d; scaled to the image's %dx%d", path, mw, mh, w, h)
    scaled = cv2.resize(
        np.asarray(mask), size, interpolation=cv2.INTER_AREA if mw > w else cv2.INTER_LINEAR
    )
    return Image.fromarray(np.where(scaled >= 128, 255, 0).astype(np.uint8))


def parse_box(text: str) -> Box:
    """ "x,y,w,h" in pixels -> (x, y, w, h).

    >>> parse_box("10, 20, 30, 40")
    (10, 20, 30, 40)
    """
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 4 or not all(p.lstrip("-").isdigit() for p in parts):
        raise InputError(
            f"box {text!r} is not x,y,w,h in whole pixels", hint="e.g. --box 40,60,120,80"
        )
    x, y, w, h = (int(p) for p in parts)
    if w <= 0 or h <= 0:
        raise InputError(f"box {text!r} has no area", hint="width and height must be positive")
    return x, y, w, h


def mask_from_boxes(size: Size, boxes: list[Box]) -> Image.Image:
    """A mask with every box set; a box reaching outside the picture is an error."""
    width, height = size
    out = np.zeros((height, width), np.uint8)
    for x, y, w, h in boxes:
        if x < 0 or y < 0 or x + w > width or y + h > height:
            raise InputError(
                f"box {x},{y},{w},{h} reaches outside the {width}x{height} image",
                hint="boxes are x,y,w,h in pixels of the original image",
            )
        out[y : y + h, x : x + w] = 255
    return Image.fromarray(out)


def load_polygons(path: Path) -> list[list[tuple[float, float]]]:
    """Polygons from JSON: ``[[x, y], ...]``, a list of those, or ``{"polygons": [...]}``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"polygon file {path} does not exist", hint="check --polygon") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"polygon file {path} is not JSON: {exc}") from exc
    data = data.get("polygons") if isinstance(data, dict) else data
    if isinstance(data, list) and data and _is_point(data[0]):
        data = [data]
    if not isinstance(data, list) or not data or not all(_is_polygon(p) for p in data):
        raise InputError(
            f"polygon file {path} must hold [[x, y], ...] points (3 or more per polygon)",
            hint='e.g. {"polygons": [[[10, 10], [90, 10], [50, 80]]]}',
        )
    return [[(float(x), float(y)) for x, y in poly] for poly in data]


def _is_point(value: Any) -> bool:
    return (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )


def _is_polygon(value: Any) -> bool:
    return isinstance(value, list) and len(value) >= 3 and all(_is_point(p) for p in value)


def mask_from_polygons(size: Size, polygons: list[list[tuple[float, float]]]) -> Image.Image:
    """A mask with every polygon filled (pixel coordinates of the original image)."""
    width, height = size
    for poly in polygons:
        xs, ys = [p[0] for p in poly], [p[1] for p in poly]
        if min(xs) < 0 or min(ys) < 0 or max(xs) > width or max(ys) > height:
            raise InputError(
                f"a polygon reaches outside the {width}x{height} image",
                hint="use pixel coordinates of the original image",
            )
    out = np.zeros((height, width), np.uint8)
    points = [np.round(np.array(p)).astype(np.int32) for p in polygons]
    cv2.fillPoly(out, points, 255)
    return Image.fromarray(out)


def check_coverage(mask: Image.Image) -> float:
    """The fraction of the picture to edit; an empty or full mask is an error."""
    values = np.asarray(mask)
    fraction = float(np.count_nonzero(values)) / values.size
    if fraction == 0.0:
        raise InputError(
            "the mask is empty: nothing to edit",
            hint="white marks what to edit; check the mask or pass --invert-mask",
        )
    if fraction == 1.0:
        raise InputError(
            "the mask covers the whole image: nothing to keep",
            hint="mask only the region to edit (white), or pass --invert-mask",
        )
    return round(fraction, 6)


def transform_mask(mask: Image.Image, fit: Any, *, canvas: bool = True) -> MaskBuild:
    """Carry a source-sized mask through ``fit`` (:class:`reelrag.media.fit.Fit`).

    Enlarged masks are warped bilinearly and re-binarised at half coverage (exact edges). Shrunk
    masks are area-filtered first and every output pixel that any masked source pixel touches
    is edited, so thin strokes survive and no sliver of the object stays unedited (the region
    may grow by up to two output pixels). ``canvas`` targets the whole canvas (frame plus the
    generator's margins), else the nominal frame. Raises if nothing of the mask lands in it.
    """
    if mask.size != tuple(fit.source_size):
        raise InputError(
            f"the mask is {mask.size[0]}x{mask.size[1]} but the image was "
            f"{fit.source_size[0]}x{fit.source_size[1]}",
            hint="draw the mask on the source image",
        )
    matrix = fit.canvas_matrix() if canvas else np.array(fit.matrix, dtype=np.float64)
    size = tuple(fit.canvas_size if canvas else fit.output_size)
    expected = float(np.count_nonzero(np.asarray(mask))) * abs(matrix[0, 0] * matrix[1, 1])
    shrinks = abs(matrix[0, 0]) < 1.0 or abs(matrix[1, 1]) < 1.0
    cutoff = 1e-3 if shrinks else 0.5
    source, matrix = _prefilter(np.asarray(mask, dtype=np.float32) / 255.0, matrix)
    warped = cv2.warpAffine(source, matrix, size, flags=cv2.INTER_LINEAR, borderValue=0)
    out = np.where(warped >= cutoff, 255, 0).astype(np.uint8)
    kept = float(np.count_nonzero(out)) / max(1.0, expected)
    if not out.any():
        raise InputError(
            "the mask lies outside the framed part of the image",
            hint="the fit crops it away; use fit_mode = pad or mask inside the subject",
        )
    report = {
        "target": "canvas" if canvas else "frame",
        "size": list(size),
        "kept_fraction": round(min(1.0, kept), 4),
        "binarised_at_coverage": cutoff,
    }
    return MaskBuild(Image.fromarray(out), report)


def _prefilter(source: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Area-shrink ``source`` when the affine shrinks it; return it with the adjusted affine."""
    sx, sy = abs(matrix[0, 0]), abs(matrix[1, 1])
    if sx >= 1.0 and sy >= 1.0:
        return source, matrix
    h, w = source.shape
    rw, rh = max(1, round(w * min(1.0, sx))), max(1, round(h * min(1.0, sy)))
    small = cv2.resize(source, (rw, rh), interpolation=cv2.INTER_AREA)
    fx, fy = w / rw, h / rh  # small pixel r covers source (r + 0.5) * f - 0.5
    m = matrix.copy()
    m[0, 2] += matrix[0, 0] * (0.5 * fx - 0.5)
    m[1, 2] += matrix[1, 1] * (0.5 * fy - 0.5)
    m[0, 0], m[1, 1] = matrix[0, 0] * fx, matrix[1, 1] * fy
    return small, m
