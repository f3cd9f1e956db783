"""Subject-aware reframing of a shot for outputs of another shape (9:16, 1:1; 16:9 from a shot
of another model's shape).

The shot is rendered once; an output of another shape shows a window of it. The window follows
the shot's subject: the spectral-residual saliency (:func:`reelrag.media.fit.saliency_map`) of
sampled frames gives the best window position per sample (the one holding the most saliency),
and a centred moving average over about a second smooths the track, so the virtual camera
glides instead of jittering. The window moves across a wide shot for a narrower output and up
and down a tall shot (an upright one) for a wider output. Never a blind centre crop.
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
    """The window an output shows of a shot: fixed width and height, and per frame its left edge
    (or its top edge, when ``vertical``); centred on the other axis of the ``source`` frame."""

    edges: tuple[float, ...]
    width: float
    height: float
    kept_saliency: float  # mean share of each sampled frame's saliency inside the window
    source: tuple[int, int] = (0, 0)  # the shot's (width, height)
    vertical: bool = False

    def box(self, local: int) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the window at local frame ``local`` (held past the end)."""
        edge = self.edges[min(local, len(self.edges) - 1)] if self.edges else 0.0
        if self.vertical:
            x = max(0.0, (self.source[0] - self.width) / 2)
            return (x, edge, x + self.width, edge + self.height)
        y = max(0.0, (self.source[1] - self.height) / 2)
        return (edge, y, edge + self.width, y + self.height)


def window_size(src_w: int, src_h: int, out_w: int, out_h: int) -> tuple[float, float]:
    """The largest window of the output's shape inside the source frame."""
    aspect = out_w / out_h
    if src_w / src_h >= aspect:
        return src_h * aspect, float(src_h)
    return float(src_w), src_w / aspect


def best_window(sal: np.ndarray, window_frac: float) -> tuple[float, float]:
    """(left edge as a fraction of the width, kept share of saliency) of the horizontal window
    ``window_frac`` of the width that holds the most saliency (pass ``sal.T`` for a vertical
    one).

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
    vertical = win_h < src_h - 0.5  # the window spans the width: it moves up and down
    span, length = (win_h, src_h) if vertical else (win_w, src_w)
    samples: list[tuple[int, float]] = []
    kept: list[float] = []
    for index, rgb in enumerate(frames):
        if index % SAMPLE_EVERY and index != count - 1:
            continue
        sal = saliency_map(rgb)
        lead, share = best_window(sal.T if vertical else sal, span / length)
        samples.append((index, lead * length))
        kept.append(share)
    if not samples:
        return CropTrack((), win_w, win_h, 1.0, source_size, vertical)
    edges = _smooth(samples, max(count, samples[-1][0] + 1), fps)
    edges = np.clip(edges, 0.0, length - span)
    return CropTrack(
        tuple(float(e) for e in edges), win_w, win_h, float(np.mean(kept)), source_size, vertical
    )


def _smooth(samples: list[tuple[int, float]], count: int, fps: int) -> np.ndarray:
    at, xs = zip(*samples, strict=True)
    track = np.interp(np.arange(count), np.array(at), np.array(xs))
    half = max(1, round(SMOOTH_S * fps / 2))
    padded = np.pad(track, half, mode="edge")
    kernel = np.ones(2 * half + 1) / (2 * half + 1)
    smoothed: np.ndarray = np.convolve(padded, kernel, mode="valid")
    return smoothed
