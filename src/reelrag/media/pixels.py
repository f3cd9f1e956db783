"""Pixel measurements for output QA: camera motion, padding bands, black frames, SSIM.

Owns what :mod:`reelrag.qa` measures from decoded grey frames:

* camera motion -- a similarity transform (shift, scale, rotation) between sampled frames from
  tracked corners (pyramidal Lucas-Kanade + RANSAC), chained from the first sample to the last
  and turned into camera terms: the picture sliding left is the camera moving right, the picture
  growing is a zoom in, the picture turning counter-clockwise is the camera rolling clockwise;
* padding -- bands along an edge that are black bars, or a smooth fill ending at a hard edge
  along the whole frame that is one sharp, straight cut (a photo pasted on a blurred copy of
  itself), not an object's softer outline beside a smooth sky;
* black frames, and SSIM (Wang et al., 2004) of a frame against a reference image.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["Motion", "black_frame", "camera_motion", "padding_bands", "ssim"]

FLOW_WIDTH_PX = 480  # frames are tracked at this width
BLACK_LEVEL, FLAT_STD = 24.0, 4.0  # a black bar: darker than this and this flat
EDGE_STEP, EDGE_ROWS = 4.0, 0.7  # a hard edge: this step on this share of the rows ...
EDGE_ENDS = 0.3  # ... and on this share of the rows of each end (a pasted photo's edge is whole)
# ... and a single straight cut: within EDGE_NEAR columns of it, on this share of the rows the
# strongest step lies on the edge's own column (+-1), and two adjacent columns hold this share of
# all the step energy. A pasted photo's border is one sharp straight cut; an object's outline
# beside a smooth sky (a rocket against clear sky) wanders and is soft, and fails this
EDGE_NEAR, EDGE_STRAIGHT, EDGE_SHARP = 6, 0.4, 0.36
SMOOTH_GRAD = 1.0  # a fill: mean gradient (levels per pixel) below this
MIN_BAND = 0.012  # bands thinner than this share of the frame are not padding
MAX_BAND = 0.45


@dataclass(frozen=True)
class Motion:
    """The camera's motion from the first to the last sample, in frame terms.

    ``x``/``y``: camera moved right/down by this share of the frame's width/height; ``zoom``:
    the picture's scale (> 1 closer); ``roll_deg``: camera roll, + clockwise; ``path``: the summed
    length of the per-step shifts (frame widths), which a move back and forth also has;
    ``tracked``: the fewest corners any step tracked (few means the measure is weak).
    """

    x: float
    y: float
    zoom: float
    roll_deg: float
    path: float
    tracked: int

    def to_dict(self) -> dict[str, float]:
        return {
            "x": round(self.x, 4),
            "y": round(self.y, 4),
            "zoom": round(self.zoom, 4),
            "roll_deg": round(self.roll_deg, 3),
            "path": round(self.path, 4),
            "tracked": self.tracked,
        }


def _small(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    scale = min(1.0, FLOW_WIDTH_PX / w)
    size = (max(16, round(w * scale)), max(16, round(h * scale)))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA) if scale < 1.0 else frame


def _step(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray | None, int]:
    """The 3x3 similarity taking ``a``'s picture to ``b``'s, and how many corners agreed."""
    points = cv2.goodFeaturesToTrack(a, 400, 0.005, 5)
    if points is None or len(points) < 8:
        return None, 0
    moved, status, _ = cv2.calcOpticalFlowPyrLK(a, b, points, None, winSize=(21, 21), maxLevel=4)
    good = status.ravel() == 1
    if good.sum() < 8:
        return None, int(good.sum())
    matrix, inliers = cv2.estimateAffinePartial2D(
        points[good], moved[good], method=cv2.RANSAC, ransacReprojThreshold=1.5
    )
    if matrix is None:
        return None, 0
    return np.vstack([matrix, [0.0, 0.0, 1.0]]), int(inliers.sum())


def camera_motion(frames: list[np.ndarray]) -> Motion | None:
    """The camera's motion over ``frames`` (grey, in time order); None if it cannot be tracked."""
    small = [_small(f) for f in frames]
    if len(small) < 2:
        return None
    h, w = small[0].shape
    total, path, fewest = np.eye(3), 0.0, 1 << 30
    centre = np.array([w / 2, h / 2, 1.0])
    for a, b in itertools.pairwise(small):
        step, tracked = _step(a, b)
        if step is None:
            return None
        fewest = min(fewest, tracked)
        moved = step @ centre
        path += math.hypot(moved[0] - centre[0], moved[1] - centre[1]) / w
        total = step @ total
    moved = total @ centre
    scale = math.hypot(float(total[0, 0]), float(total[1, 0]))
    angle = math.degrees(math.atan2(total[1, 0], total[0, 0]))
    return Motion(
        x=-float(moved[0] - centre[0]) / w / scale,
        y=-float(moved[1] - centre[1]) / h / scale,
        zoom=scale,
        roll_deg=-angle,
        path=path,
        tracked=fewest,
    )


def _left_band(grey: np.ndarray) -> float:
    """Share of the width that is a padding band at the left edge (0 if none)."""
    g = grey.astype(np.float32)
    w = g.shape[1]
    limit = max(2, int(w * MAX_BAND))
    col_mean, col_std = g[:, :limit].mean(axis=0), g[:, :limit].std(axis=0)
    flat = (col_mean < BLACK_LEVEL) & (col_std < FLAT_STD)
    black = int(np.argmin(flat)) if not flat.all() else limit
    steps = np.abs(np.diff(g[:, : limit + 1], axis=1))  # steps[:, c] is between c and c+1
    wide = np.maximum(steps, np.roll(steps, 1, axis=1))  # an edge may straddle two columns
    hard = wide > EDGE_STEP
    end = max(1, hard.shape[0] // 7)  # a pasted photo's edge runs the frame's whole length
    ends = np.minimum(hard[:end].mean(axis=0), hard[-end:].mean(axis=0))
    consistent = np.where(ends >= EDGE_ENDS, hard.mean(axis=0), 0.0)
    vertical = np.abs(np.diff(g[:, :limit], axis=0)).mean(axis=0)
    smooth = np.cumsum(steps.mean(axis=0) + vertical[: steps.shape[1]]) / np.arange(
        1, steps.shape[1] + 1
    )
    # an edge at column c ends a fill that is smooth on columns < c - 1
    edge = 0
    for c in range(2, limit):
        if consistent[c] >= EDGE_ROWS and smooth[c - 2] < SMOOTH_GRAD and _single_cut(steps, c):
            edge = c + 1
    band = max(black, edge)
    return band / w if band / w >= MIN_BAND else 0.0


def _single_cut(steps: np.ndarray, c: int) -> bool:
    """Whether the edge between columns ``c`` and ``c + 1`` is one sharp, straight cut.

    ``steps[:, k]`` is the step between columns k and k+1. An edge may straddle two columns, so a
    row agrees when its strongest step near ``c`` lies on ``c - 1 .. c + 1``; and the columns
    near ``c`` must not share the step energy out (a soft or wandering outline does).
    """
    lo, hi = max(0, c - EDGE_NEAR), min(steps.shape[1], c + EDGE_NEAR + 1)
    window = steps[:, lo:hi]
    strongest = np.argmax(window, axis=1) + lo
    if float((np.abs(strongest - c) <= 1).mean()) < EDGE_STRAIGHT:
        return False
    energy = window.sum(axis=0)
    pair = float((energy[:-1] + energy[1:]).max()) if len(energy) > 1 else float(energy.sum())
    return pair >= EDGE_SHARP * float(energy.sum())


def padding_bands(grey: np.ndarray) -> dict[str, float]:
    """Padding share of the frame along each edge: left, right, top, bottom."""
    return {
        "left": _left_band(grey),
        "right": _left_band(grey[:, ::-1]),
        "top": _left_band(grey.T),
        "bottom": _left_band(grey.T[:, ::-1]),
    }


def black_frame(grey: np.ndarray) -> bool:
    return bool(grey.mean() < BLACK_LEVEL / 2 and grey.std() < FLAT_STD)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean structural similarity of two grey images of one size (Gaussian window, sigma 1.5)."""
    x, y = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(img: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(img, (11, 11), 1.5)

    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    num = (2 * mx * my + c1) * (2 * sxy + c2)
    den = (mx * mx + my * my + c1) * (sxx + syy + c2)
    return float((num / den).mean())
