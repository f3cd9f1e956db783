"""The camera engine's plane resampling: the 2x upsample and the resize fast path agree with
OpenCV's bilinear warp, and moves it cannot do fall back to it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from reelrag.generation.camera import warp
from reelrag.generation.camera.warp import PaddedPlane, upsample2, warp_plane


@pytest.fixture(scope="module")
def plane() -> np.ndarray:
    noise = np.random.default_rng(3).integers(0, 256, (90, 160), dtype=np.uint8)
    return cv2.GaussianBlur(noise, (0, 0), 1.5)


def reference(plane: np.ndarray, matrix: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(plane, matrix, size, flags=flags, borderMode=cv2.BORDER_REPLICATE)


def test_upsample2_keeps_every_pixel_and_interpolates_between(plane: np.ndarray) -> None:
    up = upsample2(plane)
    assert up.shape == (180, 320)
    assert np.array_equal(up[::2, ::2], plane)
    ramp = np.tile(np.arange(0, 200, 4, dtype=np.uint8), (8, 1))
    middle = upsample2(ramp)[0, 9:90:2]  # odd columns away from the edges
    assert np.abs(middle.astype(int) - np.arange(18, 180, 4)).max() <= 1


@pytest.mark.parametrize("zoom", [1.07, 1.23, 1.41, 0.93])
def test_zoom_warp_matches_opencv(plane: np.ndarray, zoom: float) -> None:
    padded = PaddedPlane.of(plane)
    hits = 0
    for shift in np.linspace(0.0, 3.0, 13):
        matrix = np.array([[1 / zoom, 0.0, 4.3 + shift], [0.0, 1 / zoom, 2.1 + shift / 3]])
        dst = np.empty((64, 120), np.uint8)
        hits += warp._resize_warp(padded, matrix, dst)
        warp_plane(padded, matrix, dst)
        expected = reference(plane, matrix, (120, 64))
        assert np.abs(dst.astype(int) - expected).max() <= 1
    assert hits >= 9  # the fast path serves most positions


def test_roll_falls_back_to_warp_affine(plane: np.ndarray) -> None:
    padded = PaddedPlane.of(plane)
    c, s = np.cos(0.1), np.sin(0.1)
    matrix = np.array([[c, -s, 9.0], [s, c, 3.0]])
    assert not warp._separable(matrix) and not warp.is_shift(matrix)
    dst = np.empty((64, 120), np.uint8)
    warp_plane(padded, matrix, dst)
    # the same warp on the padded plane: positions round alike to within one level
    assert np.abs(dst.astype(int) - reference(plane, matrix, (120, 64))).max() <= 1


def lanczos_shift(plane: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Float reference: plane sampled at (x + dx, y + dy) with a Lanczos kernel of
    ``warp.SHIFT_LOBES`` lobes, per axis."""

    def along(rows: np.ndarray, d: float) -> np.ndarray:
        whole, frac = int(np.floor(d)), d - np.floor(d)
        lobes = warp.SHIFT_LOBES
        taps = np.arange(1 - lobes, lobes + 1)
        weights = np.sinc(taps - frac) * np.sinc((taps - frac) / lobes)
        weights /= weights.sum()
        padded = np.pad(rows, ((0, 0), (8, 8)), mode="edge")
        cols = np.arange(rows.shape[1]) + 8 + whole
        return sum(w * padded[:, cols + t] for w, t in zip(weights, taps, strict=True))

    return along(along(plane.astype(float), dx).T, dy).T


@pytest.mark.parametrize(
    ("dx", "dy"), [(3.4, 2.2), (-1.75, 0.5), (0.0, 0.0), (3.0, 2.0), (2.0, -3.1)]
)
def test_pure_shift_is_a_lanczos_filter_at_the_exact_offset(
    plane: np.ndarray, dx: float, dy: float
) -> None:
    padded = PaddedPlane.of(plane)
    matrix = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]])
    assert warp.is_shift(matrix)
    dst = np.empty((64, 120), np.uint8)
    warp_plane(padded, matrix, dst)
    expected = np.clip(np.rint(lanczos_shift(plane, dx, dy)[:64, :120]), 0, 255)
    assert np.abs(dst.astype(int) - expected).max() <= 1
    if float(dx).is_integer() and float(dy).is_integer():  # whole pixels: an exact copy
        x, y = int(dx), int(dy)
        assert np.array_equal(dst, plane[y : y + 64, x : x + 120])
