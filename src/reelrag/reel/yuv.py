"""I420 frames as the reel composes them: plane views and a fade towards black.

Composition stays in the clips' own format (BT.709 limited-range I420, what the encoder
takes), so no frame is converted to RGB and back.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["Planes", "dim", "planes"]

Planes = tuple[np.ndarray, np.ndarray, np.ndarray]


def planes(i420: np.ndarray) -> Planes:
    """(Y, U, V) views of a contiguous I420 array of shape (h * 3 // 2, w), h and w even.

    >>> [p.shape for p in planes(np.zeros((15, 4), np.uint8))]
    [(10, 4), (5, 2), (5, 2)]
    """
    h, w = i420.shape[0] * 2 // 3, i420.shape[1]
    flat = i420.reshape(-1)
    q = (h // 2) * (w // 2)
    y = flat[: h * w].reshape(h, w)
    u = flat[h * w : h * w + q].reshape(h // 2, w // 2)
    v = flat[h * w + q : h * w + 2 * q].reshape(h // 2, w // 2)
    return y, u, v


def dim(i420: np.ndarray, brightness: float) -> np.ndarray:
    """Towards black (Y 16, U and V 128) by ``brightness`` in [0, 1], in place."""
    y, u, v = planes(i420)
    cv2.addWeighted(y, brightness, y, 0.0, 16 * (1 - brightness), dst=y)
    for c in (u, v):
        cv2.addWeighted(c, brightness, c, 0.0, 128 * (1 - brightness), dst=c)
    return i420
