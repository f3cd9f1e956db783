"""Subject-aware reframing of a shot for narrower aspect ratios (9:16, 1:1).

The shot is rendered once, wide; a narrower output shows a window of it. The window follows
the shot's subject: the spectral-residual saliency (:func:`reelrag.media.fit.saliency_map`) of
sampled frames gives the best window position per sample (the one holding the most saliency),
and a centred moving average over about a second smooths the track, so the virtual camera
glides instead of jittering. Never a blind centre crop.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from reelrag.media.fit import saliency_map

__all__ = ["CropTrack", "best_window", "crop_track"]

SAMPLE_EVERY = 4  # frames between saliency samples
SMOOTH_S = 1.0  # width of the moving average over the track, in seconds


@dataclass(frozen=True)
class CropTrack:
    """The window (x0 per frame, fixed width and height) a narrower output shows of a shot."""

    x0: tuple[float, ...]
    width: float
    height: float
    kept_saliency: float  # mean share of each sampled frame's saliency inside the window

    def box(self, local: int) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the window at local frame ``local`` (held past the end)."""
        x = self.x0[min(local, len(self.x0) - 1)] if self.x0 else 0.0
        return (x, 0.0, x + self.width, self.height)


def window_size(src_w: int, src_h: int, out_w: int, out_h: int) -> tuple[float, float]:
    """The largest window of the output's shape inside the source frame."""
    aspect = out_w / out_h
    if src_w / src_h >= aspect:
        return src_h * aspect, float(src_h)
    return float(src_w), src_w / aspect


def best_window(sal: np.ndarray, window_frac: float) -> tuple[float, float]:
    """(left edge as a fraction of the width, kept share of saliency) of the horizontal window
    ``window_frac`` of the width that holds the most saliency.

    >>> sal = np.zeros((4, 10)); sal[:, 8] = 1.0
    >>> best_window(sal, 0.3)
    (0.7, 1.0)
    """
    columns = sal.sum(axis=0).astype(np.float64)
    total = float(columns.sum()) or 1.0
    n = columns.size
    span = max(1, min(n, round(window_frac * n)))
    sums = np.convolve(columns, np.ones(span), mode="valid")
    # ties go to the window centred on the saliency's centroid (the frame's centre when flat)
    centroid = float((np.arange(n) * columns).sum() / total) if columns.any() else (n - 1) / 2
    offsets = np.abs(np.arange(sums.size) + (span - 1) / 2 - centroid)
    order = np.lexsort((offsets, -np.round(sums, 9)))
    left = int(order[0])
    return left / n, float(sums[left] / total)


def crop_track(
    frames: Iterable[np.ndarray],
    source_size: tuple[int, int],
    output_size: tuple[int, int],
    fps: int,
    count: int,
) -> CropTrack:
    """The window track for one shot from its frames (``count`` of them, every one read; they
    may be downscaled copies of the ``source_size`` frames: only their saliency is used)."""
    src_w, src_h = source_size
    win_w, win_h = window_size(src_w, src_h, *output_size)
    x_samples: list[tuple[int, float]] = []
    kept: list[float] = []
    for index, rgb in enumerate(frames):
        if index % SAMPLE_EVERY and index != count - 1:
            continue
        left, share = best_window(saliency_map(rgb), win_w / src_w)
        x_samples.append((index, left * src_w))
        kept.append(share)
    if not x_samples:
        return CropTrack((), win_w, win_h, 1.0)
    xs = _smooth(x_samples, max(count, x_samples[-1][0] + 1), fps)
    xs = np.clip(xs, 0.0, src_w - win_w)
    return CropTrack(tuple(float(x) for x in xs), win_w, win_h, float(np.mean(kept)))


def _smooth(samples: list[tuple[int, float]], count: int, fps: int) -> np.ndarray:
    at, xs = zip(*samples, strict=True)
    track = np.interp(np.arange(count), np.array(at), np.array(xs))
    half = max(1, round(SMOOTH_S * fps / 2))
    padded = np.pad(track, half, mode="edge")
    kernel = np.ones(2 * half + 1) / (2 * half + 1)
    smoothed: np.ndarray = np.convolve(padded, kernel, mode="valid")
    return smoothed
