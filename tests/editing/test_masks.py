"""Masks: binarising (reported), sizes, boxes, polygons, coverage, and transforms through a fit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from skimage import data

from reelrag.editing.masks import (
    MaskSpec,
    binarise,
    build_mask,
    check_coverage,
    load_mask,
    load_polygons,
    mask_from_boxes,
    mask_from_polygons,
    parse_box,
    transform_mask,
)
from reelrag.errors import InputError
from reelrag.media.fit import fit_image

CHELSEA = Image.fromarray(data.chelsea())  # 451x300 real photo


def _grey_mask(path: Path, size: tuple[int, int]) -> np.ndarray:
    """A soft-edged mask: a white core, a grey ramp around it, black elsewhere."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    dist = np.hypot(xx - w / 2, yy - h / 2)
    values = np.clip(255 - (dist - 20) * 12, 0, 255).astype(np.uint8)
    Image.fromarray(values).save(path)
    return values


def test_binarise_counts_grey_pixels_and_uses_the_threshold() -> None:
    gray = np.array([[0, 1, 127, 128, 254, 255]], np.uint8)
    mask, grey = binarise(gray, 128)
    assert mask.tolist() == [[0, 0, 0, 255, 255, 255]]
    assert grey == 4
    assert binarise(gray, 255)[0].tolist() == [[0, 0, 0, 0, 0, 255]]
    with pytest.raises(InputError, match="threshold"):
        binarise(gray, 0)


def test_grey_mask_file_is_binarised_and_reported(tmp_path: Path) -> None:
    values = _grey_mask(tmp_path / "soft.png", (120, 80))
    built = load_mask(tmp_path / "soft.png", (120, 80), threshold=200)
    expected_grey = int(np.count_nonzero((values > 0) & (values < 255)))
    assert built.report["grey_pixels"] == expected_grey > 0
    assert built.report["threshold"] == 200
    got = np.asarray(built.mask)
    assert set(np.unique(got).tolist()) == {0, 255}
    assert np.array_equal(got == 255, values >= 200)


def test_mask_drawn_on_a_scaled_copy_is_scaled_and_reported(tmp_path: Path) -> None:
    small = np.zeros((30, 45), np.uint8)
    small[10:20, 15:30] = 255
    Image.fromarray(small).save(tmp_path / "m.png")
    built = load_mask(tmp_path / "m.png", (90, 60))
    assert built.report["scaled_from"] == [45, 30]
    got = np.asarray(built.mask)
    assert got.shape == (60, 90)
    assert np.array_equal(np.argwhere(got)[[0, -1]], [[20, 30], [39, 59]])


def test_mask_of_another_shape_is_refused(tmp_path: Path) -> None:
    Image.new("L", (50, 50), 255).save(tmp_path / "square.png")
    with pytest.raises(InputError, match="another shape"):
        load_mask(tmp_path / "square.png", (90, 60))


def test_transparent_mask_is_refused(tmp_path: Path) -> None:
    rgba = Image.new("RGBA", (40, 30), (255, 255, 255, 0))
    rgba.paste((255, 255, 255, 255), (5, 5, 20, 20))
    rgba.save(tmp_path / "t.png")
    with pytest.raises(InputError, match="transparent"):
        load_mask(tmp_path / "t.png", (40, 30))


def test_missing_or_unreadable_mask_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_mask(tmp_path / "nope.png", (10, 10))
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(InputError, match="not a readable image"):
        load_mask(tmp_path / "bad.png", (10, 10))


def test_empty_and_full_masks_are_errors() -> None:
    with pytest.raises(InputError, match="empty"):
        check_coverage(Image.new("L", (20, 10), 0))
    with pytest.raises(InputError, match="whole image"):
        check_coverage(Image.new("L", (20, 10), 255))
    assert check_coverage(mask_from_boxes((20, 10), [(0, 0, 10, 5)])) == 0.25


def test_boxes_parse_fill_and_refuse_outside() -> None:
    assert parse_box(" 1,2 ,3,4") == (1, 2, 3, 4)
    for bad in ("1,2,3", "a,b,c,d", "1,2,0,4"):
        with pytest.raises(InputError):
            parse_box(bad)
    mask = np.asarray(mask_from_boxes((50, 40), [(5, 6, 10, 4), (30, 30, 20, 10)]))
    assert np.count_nonzero(mask) == 10 * 4 + 20 * 10
    assert mask[6, 5] == 255 and mask[10, 5] == 0 and mask[39, 49] == 255
    with pytest.raises(InputError, match="outside"):
        mask_from_boxes((50, 40), [(45, 0, 10, 10)])


@pytest.mark.parametrize(
    "payload",
    [
        [[10, 10], [60, 10], [60, 40], [10, 40]],
        [[[10, 10], [60, 10], [60, 40], [10, 40]]],
        {"polygons": [[[10, 10], [60, 10], [60, 40], [10, 40]]]},
    ],
)
def test_polygon_files_in_every_accepted_shape(tmp_path: Path, payload: object) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(payload))
    polygons = load_polygons(path)
    mask = np.asarray(mask_from_polygons((80, 50), polygons))
    # a filled, closed rectangle of corners 10..60 x 10..40 covers 51 x 31 pixels
    assert np.count_nonzero(mask) == 51 * 31


def test_bad_polygon_files(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    for text in ("{", "[[1, 2], [3, 4]]", '{"polygons": "x"}'):
        path.write_text(text)
        with pytest.raises(InputError):
            load_polygons(path)
    with pytest.raises(InputError, match="outside"):
        mask_from_polygons((20, 20), [[(0, 0), (30, 0), (0, 10)]])


def test_build_mask_needs_exactly_one_source_and_can_invert(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="exactly one"):
        build_mask(MaskSpec(), (20, 20))
    path = tmp_path / "p.json"
    path.write_text("[[0, 0], [5, 0], [5, 5]]")
    with pytest.raises(InputError, match="exactly one"):
        build_mask(MaskSpec(boxes=("0,0,5,5",), polygon=str(path)), (20, 20))
    plain = build_mask(MaskSpec(boxes=("0,0,5,5",)), (20, 20))
    flipped = build_mask(MaskSpec(boxes=("0,0,5,5",), invert=True), (20, 20))
    assert np.array_equal(np.asarray(flipped.mask), 255 - np.asarray(plain.mask))
    assert flipped.report["inverted"] is True
    assert plain.report["area_fraction"] == 25 / 400


def _expected_box(fit: object, box: tuple[int, int, int, int]) -> tuple[float, ...]:
    """Where the box's outer edges land on the canvas, by the fit's affine."""
    m = fit.canvas_matrix()  # type: ignore[attr-defined]
    x, y, w, h = box
    left, top = m[0, 0] * (x - 0.5) + m[0, 2], m[1, 1] * (y - 0.5) + m[1, 2]
    right, bottom = m[0, 0] * (x + w - 0.5) + m[0, 2], m[1, 1] * (y + h - 0.5) + m[1, 2]
    return left, top, right, bottom


def _bounds(mask: Image.Image) -> tuple[float, ...]:
    ys, xs = np.nonzero(np.asarray(mask))
    return xs.min() - 0.5, ys.min() - 0.5, xs.max() + 0.5, ys.max() + 0.5


@pytest.mark.parametrize(
    ("mode", "size", "margins"),
    [
        ("crop", (160, 90), (0, 0, 0, 0)),
        ("crop", (160, 90), (16, 9, 16, 9)),
        ("pad", (160, 90), (0, 0, 0, 0)),
        ("crop", (900, 600), (0, 0, 0, 0)),  # enlarged: exact half-coverage edges
    ],
)
def test_box_mask_lands_where_the_fit_maps_it(
    mode: str, size: tuple[int, int], margins: tuple[int, int, int, int]
) -> None:
    fitted = fit_image(CHELSEA, *size, mode=mode, margins=margins)
    box = (150, 60, 160, 120)  # the cat's face, inside any reasonable crop
    mask = mask_from_boxes(CHELSEA.size, [box])
    moved = transform_mask(mask, fitted.fit, canvas=True)
    assert moved.mask.size == fitted.fit.canvas_size
    assert set(np.unique(np.asarray(moved.mask)).tolist()) == {0, 255}
    expected, got = np.array(_expected_box(fitted.fit, box)), np.array(_bounds(moved.mask))
    if fitted.fit.matrix[0][0] >= 1.0:  # enlarged: edges exact to the pixel
        assert np.allclose(got, expected, atol=1.0), (got, expected)
    else:  # shrunk: conservative, it covers the box and grows by less than two pixels
        grow = np.array(
            [expected[0] - got[0], expected[1] - got[1], got[2] - expected[2], got[3] - expected[3]]
        )
        assert np.all(grow >= -0.5) and np.all(grow < 2.0), (got, expected)
    assert 0.9 <= moved.report["kept_fraction"] <= 1.3


def test_thin_stroke_survives_a_strong_downscale() -> None:
    big = Image.fromarray(np.zeros((1200, 1800), np.uint8))
    stroke = np.zeros((1200, 1800), np.uint8)
    stroke[600:602, 200:1600] = 255  # 2 px wide line
    fitted = fit_image(big.convert("RGB"), 180, 120, mode="crop")
    moved = transform_mask(Image.fromarray(stroke), fitted.fit, canvas=False)
    rows = np.nonzero(np.asarray(moved.mask).any(axis=1))[0]
    assert 1 <= len(rows) <= 2 and abs(rows.mean() - 60) <= 1.5


def test_mask_cropped_away_by_the_fit_is_an_error() -> None:
    wide = Image.new("RGB", (800, 200), "gray")
    fitted = fit_image(wide, 100, 100, mode="crop")
    mask = mask_from_boxes(wide.size, [(0, 0, 40, 40)])
    x0 = fitted.fit.crop_box[0]
    assert x0 > 40  # the crop starts right of the box
    with pytest.raises(InputError, match="outside the framed part"):
        transform_mask(mask, fitted.fit, canvas=False)


def test_mask_of_the_wrong_size_for_the_fit_is_refused() -> None:
    fitted = fit_image(CHELSEA, 160, 90)
    with pytest.raises(InputError, match="draw the mask on the source image"):
        transform_mask(Image.new("L", (10, 10), 255), fitted.fit)


@settings(max_examples=25, deadline=None)
@given(
    x=st.integers(0, 300),
    y=st.integers(0, 200),
    w=st.integers(20, 140),
    h=st.integers(20, 90),
    out_w=st.sampled_from([96, 160, 320, 640]),
)
def test_mask_centroid_follows_the_affine(x: int, y: int, w: int, h: int, out_w: int) -> None:
    fitted = fit_image(CHELSEA, out_w, out_w * 9 // 16, mode="pad")  # pad keeps everything
    mask = mask_from_boxes(CHELSEA.size, [(min(x, 451 - w), min(y, 300 - h), w, h)])
    moved = transform_mask(mask, fitted.fit, canvas=False)
    src = np.argwhere(np.asarray(mask)).mean(axis=0)[::-1]  # (x, y)
    out = np.argwhere(np.asarray(moved.mask)).mean(axis=0)[::-1]
    m = np.array(fitted.fit.matrix)
    assert np.allclose(out, m[:, :2] @ src + m[:, 2], atol=1.0)
