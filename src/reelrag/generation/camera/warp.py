"""Plane resampling for the camera engine: a 2x Lanczos upsample and a fast sub-pixel warp.

Owns how one image plane (Y, U or V, uint8) is sampled at an affine position. Most camera moves
are a uniform zoom plus a shift (no roll), which is separable: ``cv2.resize`` with an exact
scale does it about 4x faster than ``cv2.warpAffine`` (precomputed per-column/row weights
instead of per-pixel coordinates), and with finer positions (1/2048 px coefficients, where
warpAffine rounds every position to 1/32 px). Resize fixes the sampling phase at its output's
first pixel, so the plane is padded and we search for an output crop whose phase lands within
``TOLERANCE_PX`` of the wanted one, then tilt the scale by at most that much so the frame's
centre is exact. A pure shift (pan, tilt, truck, pedestal) is one separable Lanczos-4 filter
at its exact sub-pixel offset. Moves with roll, or no such crop, fall back to ``cv2.warpAffine``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["PAD_PX", "PaddedPlane", "is_shift", "upsample2", "warp_plane"]

PAD_PX = 96  # replicated border around each held plane, room for the crop search
MAX_CROP_PX = 80  # extra output columns/rows resize may compute to find the phase
TOLERANCE_PX = 1 / 32  # the most any sample may sit off its exact position (plane pixels)
# Lanczos-4 for pure shifts (eight taps per axis): against Lanczos-3 it halves the measured
# jitter of slow pans (rendered 0.0013 -> 0.0008 px², after x264 0.0047 -> 0.0023 px²).
SHIFT_LOBES = 4
_LINEAR = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP


@dataclass(frozen=True)
class PaddedPlane:
    """A plane with :data:`PAD_PX` of replicated border; ``matrix`` coordinates ignore the pad."""

    data: np.ndarray

    @classmethod
    def of(cls, plane: np.ndarray) -> PaddedPlane:
        return cls(cv2.copyMakeBorder(plane, *(PAD_PX,) * 4, cv2.BORDER_REPLICATE))


def _half_pixel_kernel() -> np.ndarray:
    """Lanczos-4 weights for a sample halfway between pixels -4..3 and -3..4 (sum 1)."""
    taps = np.arange(-3, 5) - 0.5
    weights = np.sinc(taps) * np.sinc(taps / 4)
    return (weights / weights.sum()).astype(np.float32)


_HALF = _half_pixel_kernel()


def _interleave(plane: np.ndarray, axis: int) -> np.ndarray:
    """Twice as long along ``axis``: even lines copied, odd lines interpolated halfway."""
    kernel = _HALF[None, :] if axis == 1 else _HALF[:, None]
    anchor = (3, 0) if axis == 1 else (0, 3)
    odd = cv2.filter2D(plane, -1, kernel, anchor=anchor, borderType=cv2.BORDER_REPLICATE)
    shape = list(plane.shape)
    shape[axis] *= 2
    out = np.empty(shape, np.uint8)
    if axis == 1:
        out[:, 0::2], out[:, 1::2] = plane, odd
    else:
        out[0::2], out[1::2] = plane, odd
    return out


def upsample2(plane: np.ndarray) -> np.ndarray:
    """The uint8 plane at twice the size, pixel (2i, 2j) exactly pixel (i, j).

    Bilinear sampling is only shift-faithful well below the sampling limit: from a Lanczos
    2x plane its blur and phase barely change with the sub-pixel position, so a slow pan
    neither shimmers nor judders. Separable (8 taps per pass), so it costs a few milliseconds.

    >>> upsample2(np.array([[10, 20], [30, 40]], np.uint8))[::2, ::2].tolist()
    [[10, 20], [30, 40]]
    """
    return _interleave(_interleave(np.ascontiguousarray(plane), 1), 0)


def _axis_plan(a: float, b: float, n: int, padded: int) -> tuple[int, int, float] | None:
    """(first output index k, ROI start, exact scale) so resize samples ``a * x + b``.

    Resize samples ROI-start + (x' + 0.5) * s - 0.5 at output index x'; we take x' = x + k.
    """
    for k in range(MAX_CROP_PX + 1):
        start = b + PAD_PX + 0.5 - (k + 0.5) * a
        origin = round(start)
        # resize clamps samples before its ROI's first pixel: keep output k past them
        if abs(start - origin) > TOLERANCE_PX or origin < 0 or (k + 0.5) * a < 1.5:
            continue
        centre = (n - 1) / 2  # exact at the centre; the ends move by at most the tolerance
        scale = (a * centre + b + PAD_PX + 0.5 - origin) / (centre + k + 0.5)
        if math.ceil(origin + (k + n + 1) * scale) + 2 > padded:
            return None
        return k, origin, scale
    return None


def _resize_warp(plane: PaddedPlane, matrix: np.ndarray, dst: np.ndarray) -> bool:
    h, w = dst.shape
    a = float(matrix[0, 0])
    ph, pw = plane.data.shape
    px = _axis_plan(a, float(matrix[0, 2]), w, pw)
    py = _axis_plan(a, float(matrix[1, 2]), h, ph)
    if px is None or py is None:
        return False
    (kx, x0, sx), (ky, y0, sy) = px, py
    x1 = min(pw, math.ceil(x0 + (kx + w + 1) * sx) + 2)
    y1 = min(ph, math.ceil(y0 + (ky + h + 1) * sy) + 2)
    out = cv2.resize(
        plane.data[y0:y1, x0:x1], (0, 0), fx=1 / sx, fy=1 / sy, interpolation=cv2.INTER_LINEAR
    )
    if out.shape[0] < ky + h or out.shape[1] < kx + w:
        return False
    dst[:] = out[ky : ky + h, kx : kx + w]
    return True


def is_shift(matrix: np.ndarray) -> bool:
    """True for a pure translation (no zoom, no roll): a pan, tilt, truck or pedestal frame."""
    return bool(
        matrix[0, 0] == 1.0 and matrix[1, 1] == 1.0 and matrix[0, 1] == 0 and matrix[1, 0] == 0
    )


def _shift_kernel(fraction: float) -> np.ndarray:
    """Lanczos weights that sample ``fraction`` of a pixel past tap ``SHIFT_LOBES - 1``."""
    taps = np.arange(1 - SHIFT_LOBES, SHIFT_LOBES + 1) - fraction
    weights = np.sinc(taps) * np.sinc(taps / SHIFT_LOBES)
    return (weights / weights.sum()).astype(np.float32)


def _shift_warp(plane: PaddedPlane, matrix: np.ndarray, dst: np.ndarray) -> bool:
    """A sub-pixel shift as one separable Lanczos-4 filter: exact positions, and a blur that
    barely changes with the sub-pixel phase (bilinear's does, which a slow pan shows as
    shimmer and judder). About as fast as ``warpAffine``. A whole-pixel shift (a clip's
    first frame, a static shot) is a plain copy."""
    h, w = dst.shape
    bx, by = float(matrix[0, 2]) + PAD_PX, float(matrix[1, 2]) + PAD_PX
    x0, y0, m = math.floor(bx), math.floor(by), SHIFT_LOBES
    ph, pw = plane.data.shape
    if x0 - m < 0 or y0 - m < 0 or x0 + w + m > pw or y0 + h + m > ph:
        return False
    if bx == x0 and by == y0:
        dst[:] = plane.data[y0 : y0 + h, x0 : x0 + w]
        return True
    # filter a region m pixels wider than the frame: OpenCV sees a numpy view as a whole
    # image, so its edge pixels get a replicated border; we keep only the interior
    region = plane.data[y0 - m : y0 + h + m, x0 - m : x0 + w + m]
    anchor = (SHIFT_LOBES - 1,) * 2
    out = cv2.sepFilter2D(region, -1, _shift_kernel(bx - x0), _shift_kernel(by - y0), anchor=anchor)
    dst[:] = out[m : m + h, m : m + w]
    return True


def _separable(matrix: np.ndarray) -> bool:
    """A uniform zoom (not 1:1 or 1:2, where resize has no phase to search) with no roll."""
    a = float(matrix[0, 0])
    return (
        matrix[0, 1] == 0.0
        and matrix[1, 0] == 0.0
        and a == matrix[1, 1]
        and a > 0
        and abs(a - round(a)) > 1e-3
    )


def warp_plane(plane: PaddedPlane, matrix: np.ndarray, dst: np.ndarray) -> None:
    """Fill ``dst`` with ``plane`` sampled (bilinear) at ``matrix`` @ (x, y, 1) for each pixel.

    ``matrix`` maps output pixel indices to plane pixel indices (as ``WARP_INVERSE_MAP``);
    samples outside the plane repeat its edge.
    """
    if is_shift(matrix) and _shift_warp(plane, matrix, dst):
        return
    if _separable(matrix) and _resize_warp(plane, matrix, dst):
        return
    shifted = matrix.copy()
    shifted[:, 2] += PAD_PX
    h, w = dst.shape
    cv2.warpAffine(
        plane.data, shifted, (w, h), dst=dst, flags=_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
