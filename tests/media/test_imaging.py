"""Subject-aware fitting: saliency, crop vs pad, the explicit transform, never stretching."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage import data

from reelrag.errors import InputError
from reelrag.media.fit import apply_fit, fit_image, saliency_map


def blob_image(size: tuple[int, int], centres: list[tuple[int, int]]) -> Image.Image:
    """A textured grey field with bright, detailed subjects at ``centres``."""
    rng = np.random.default_rng(0)
    w, h = size
    img = np.full((h, w, 3), 110, np.uint8) + rng.integers(0, 6, (h, w, 1), dtype=np.uint8)
    yy, xx = np.mgrid[0:h, 0:w]
    for cx, cy in centres:
        ring = ((xx - cx) ** 2 + (yy - cy) ** 2) < (min(w, h) // 10) ** 2
        img[ring] = rng.integers(0, 255, (int(ring.sum()), 3), dtype=np.uint8)
    return Image.fromarray(img)


def test_saliency_peaks_on_the_subject() -> None:
    sal = saliency_map(np.asarray(blob_image((400, 300), [(300, 150)])))
    _ys, xs = np.unravel_index(np.argmax(sal), sal.shape)
    assert xs / sal.shape[1] > 0.6 and sal.min() >= 0.0 and sal.max() == pytest.approx(1.0)


def test_crop_keeps_an_off_centre_subject() -> None:
    fitted = fit_image(blob_image((400, 400), [(200, 330)]), 320, 180)
    _x0, y0, _x1, y1 = fitted.fit.crop_box
    assert fitted.fit.method == "crop" and y0 <= 330 - 40 and y1 >= 330 + 40
    assert fitted.image.size == (320, 180)


def test_pads_with_blurred_fill_when_a_crop_would_lose_the_subject() -> None:
    fitted = fit_image(blob_image((300, 600), [(150, 60), (150, 540)]), 320, 180)
    assert fitted.fit.method == "pad"
    left_strip = np.asarray(fitted.image)[:, :40].astype(float)
    assert left_strip.std() < 20  # calm blurred fill, not a hard empty border
    assert left_strip.mean() > 10


@pytest.mark.parametrize("mode", ["crop", "pad"])
def test_never_stretches_and_matrix_is_explicit(mode: str) -> None:
    photo = Image.fromarray(data.chelsea())
    fitted = fit_image(photo, 256, 256, mode=mode)
    (sx, kx, _), (ky, sy, _) = fitted.fit.matrix
    assert kx == ky == 0 and sx == pytest.approx(sy, rel=0.01)
    m = np.array(fitted.fit.matrix)
    x0, y0, _x1, _y1 = fitted.fit.crop_box
    # the crop box's corners land on the output's edges (pixel-centre convention)
    corner = m @ np.array([x0 - 0.5, y0 - 0.5, 1.0])
    if mode == "crop":
        assert corner == pytest.approx([-0.5, -0.5], abs=1e-6)
    assert fitted.fit.to_dict()["method"] == mode


def test_apply_fit_carries_a_mask_point_through_the_transform() -> None:
    photo = Image.fromarray(data.astronaut())
    fitted = fit_image(photo, 320, 180, mode="crop")
    x0, y0, x1, y1 = fitted.fit.crop_box
    cx, cy = int((x0 + x1) / 2), int((y0 + y1) / 2)
    mask = np.zeros((512, 512), np.uint8)
    mask[cy : cy + 4, cx : cx + 4] = 255
    warped = np.asarray(apply_fit(Image.fromarray(mask), fitted.fit, nearest=True))
    assert set(np.unique(warped)) <= {0, 255}
    ys, xs = np.nonzero(warped)
    expected = np.array(fitted.fit.matrix) @ np.array([cx + 1.5, cy + 1.5, 1.0])
    assert xs.mean() == pytest.approx(expected[0], abs=1.0)
    assert ys.mean() == pytest.approx(expected[1], abs=1.0)


def test_margins_grow_the_canvas_around_the_nominal_frame() -> None:
    photo = Image.fromarray(data.astronaut())
    fitted = fit_image(photo, 160, 90, mode="crop", margins=(10, 4, 6, 8))
    assert fitted.canvas.size == (176, 102) and fitted.fit.canvas_offset == (10, 4)
    inner = np.asarray(fitted.canvas)[4:94, 10:170]
    assert np.array_equal(inner, np.asarray(fitted.image))


def test_bad_arguments_raise() -> None:
    photo = Image.new("RGB", (40, 30))
    with pytest.raises(InputError):
        fit_image(photo, 32, 18, mode="stretch")
    with pytest.raises(InputError):
        apply_fit(Image.new("L", (10, 10)), fit_image(photo, 32, 18).fit)
