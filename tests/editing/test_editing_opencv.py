"""The offline OpenCV editor on real photos: the masked region changes, the rest stays identical."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from reelrag.editing.base import EditRequest
from reelrag.editing.masks import MaskSpec, mask_from_boxes, mask_from_polygons, transform_mask
from reelrag.editing.opencv import OpenCVEditor
from reelrag.editing.run import inpaint
from reelrag.editing.step import EDIT_OPTION, edit_fitted, edit_from_options, edit_options
from reelrag.errors import CapabilityError, InputError, OutputExistsError
from reelrag.media.fit import fit_image
from reelrag.settings import Settings

ASTRONAUT = Image.fromarray(data.astronaut()).resize((256, 256), Image.Resampling.LANCZOS)
CHELSEA = Image.fromarray(data.chelsea())  # 451x300


def _inside_outside(
    before: Image.Image, after: Image.Image, mask: Image.Image
) -> tuple[float, bool]:
    a, b = np.asarray(before).astype(int), np.asarray(after).astype(int)
    inside = np.asarray(mask) == 255
    return float(np.abs(a - b)[inside].mean()), bool(np.array_equal(a[~inside], b[~inside]))


def test_removal_changes_the_mask_and_keeps_every_other_pixel() -> None:
    mask = mask_from_boxes(ASTRONAUT.size, [(100, 40, 60, 50)])  # the face
    result = OpenCVEditor().edit(ASTRONAUT, mask, EditRequest(variants=2))
    assert [v.index for v in result.variants] == [1, 2]
    for picture in result.images:
        assert picture is not None and picture.size == ASTRONAUT.size
        changed, rest_identical = _inside_outside(ASTRONAUT, picture, mask)
        assert changed > 10.0
        assert rest_identical
    assert result.details["plans"][0]["method"] == "telea"
    assert result.details["plans"][1]["method"] == "ns"
    assert not np.array_equal(np.asarray(result.images[0]), np.asarray(result.images[1]))


def test_a_pasted_object_is_removed_from_a_smooth_background() -> None:
    """Paint a red square on the cat photo's wall and in-paint it away: the fill must be far
    closer to the real wall than the square was, i.e. the object is gone."""
    photo = np.asarray(CHELSEA).copy()
    box = (20, 20, 24, 24)  # the plain background in the top-left corner
    spoiled = photo.copy()
    spoiled[20:44, 20:44] = (255, 0, 0)
    mask = mask_from_boxes(CHELSEA.size, [box])
    result = OpenCVEditor().edit(Image.fromarray(spoiled), mask, EditRequest())
    filled = np.asarray(result.images[0]).astype(int)[20:44, 20:44]
    before = np.abs(spoiled[20:44, 20:44].astype(int) - photo[20:44, 20:44]).mean()
    after = np.abs(filled - photo[20:44, 20:44]).mean()
    assert after < before / 5


def test_polygon_mask_on_chelsea() -> None:
    mask = mask_from_polygons(CHELSEA.size, [[(200, 80), (300, 90), (280, 200), (190, 180)]])
    result = OpenCVEditor(radius_px=3).edit(CHELSEA, mask, EditRequest(variants=4))
    assert len(result.kept) == 4
    radii = [p["radius_px"] for p in result.details["plans"]]
    assert radii == [3, 3, 6, 6]
    for _, picture in result.kept:
        changed, rest_identical = _inside_outside(CHELSEA, picture, mask)
        assert changed > 5.0 and rest_identical


def test_what_opencv_cannot_do_is_refused() -> None:
    mask = mask_from_boxes(ASTRONAUT.size, [(10, 10, 20, 20)])
    editor = OpenCVEditor()
    with pytest.raises(CapabilityError, match="cannot paint"):
        editor.edit(ASTRONAUT, mask, EditRequest(prompt="a straw hat"))
    with pytest.raises(CapabilityError, match="from text"):
        editor.edit(ASTRONAUT, None, EditRequest(mask_prompt="the face"))
    with pytest.raises(CapabilityError, match="variants"):
        editor.edit(ASTRONAUT, mask, EditRequest(variants=5))
    with pytest.raises(CapabilityError, match="outpaint"):
        editor.edit(ASTRONAUT, mask, EditRequest(mode="outpaint", prompt="a beach"))
    grey = Image.fromarray(np.full((256, 256), 100, np.uint8))
    with pytest.raises(InputError, match="not binary"):
        editor.edit(ASTRONAUT, grey, EditRequest())


def test_seed_is_reported_as_not_honoured() -> None:
    mask = mask_from_boxes(ASTRONAUT.size, [(10, 10, 20, 20)])
    result = OpenCVEditor().edit(ASTRONAUT, mask, EditRequest(seed=7))
    assert result.seed is None
    assert any("seed" in item for item in result.not_honoured)


def test_inpaint_recipe_writes_variants_mask_preview_and_manifest(
    tmp_path: Path, settings: Settings
) -> None:
    source = tmp_path / "astronaut.png"
    ASTRONAUT.save(source)
    original_bytes = source.read_bytes()
    soft = np.zeros((256, 256), np.uint8)
    soft[40:90, 100:160] = 255
    soft[38:40, 100:160] = 90  # a grey edge that must be reported
    Image.fromarray(soft).save(tmp_path / "mask.png")
    spec = MaskSpec(mask=str(tmp_path / "mask.png"))
    result = inpaint(source, spec, EditRequest(variants=2), settings, preview=True)
    folder = Path(result.folder)
    assert folder.parent == settings.outputs_dir / "edits"
    assert folder.name.startswith("astronaut-")
    assert [Path(p).name for p in result.variants] == ["variant-1.png", "variant-2.png"]
    manifest = json.loads(Path(result.manifest).read_text())
    assert manifest["mask"]["report"]["grey_pixels"] == 2 * 60
    assert manifest["mask"]["report"]["threshold"] == settings.mask_threshold
    assert manifest["source"]["size"] == [256, 256]
    assert manifest["best"] in (1, 2) and result.best == manifest["best"]
    assert all(v["score"] is not None for v in manifest["variants"])
    used = np.asarray(Image.open(folder / "mask.png"))
    assert np.array_equal(used == 255, soft >= settings.mask_threshold)
    preview = Image.open(folder / "preview.png")
    assert preview.height == 256 and preview.width > 4 * 256  # original, mask, 2 variants
    assert source.read_bytes() == original_bytes


def test_inpaint_refuses_existing_outputs_and_never_touches_the_input(
    tmp_path: Path, settings: Settings
) -> None:
    out = tmp_path / "edits"
    out.mkdir()
    source = out / "variant-1.png"  # the user's picture happens to carry an output's name
    ASTRONAUT.save(source)
    spec = MaskSpec(boxes=("10,10,30,30",))
    with pytest.raises(OutputExistsError, match="input image"):
        inpaint(source, spec, EditRequest(), settings, out=out, overwrite=True)
    other = tmp_path / "elsewhere"
    inpaint(source, spec, EditRequest(), settings, out=other)
    with pytest.raises(OutputExistsError, match="already exists"):
        inpaint(source, spec, EditRequest(), settings, out=other)
    again = inpaint(source, spec, EditRequest(), settings, out=other, overwrite=True)
    assert Path(again.variants[0]).exists()


def test_edit_fitted_carries_the_mask_onto_the_canvas(settings: Settings) -> None:
    fitted = fit_image(CHELSEA, 160, 90, mode="crop", margins=(16, 9, 16, 9))
    spec = MaskSpec(boxes=("180,70,120,100",))
    edited, manifest = edit_fitted(fitted, spec, EditRequest(variants=2), settings)
    assert edited.fit is fitted.fit
    assert edited.canvas.size == fitted.canvas.size and edited.image.size == (160, 90)
    moved = transform_mask(mask_from_boxes(CHELSEA.size, [(180, 70, 120, 100)]), fitted.fit)
    changed, rest_identical = _inside_outside(fitted.canvas, edited.canvas, moved.mask)
    assert changed > 3.0 and rest_identical
    assert np.array_equal(np.asarray(edited.image), np.asarray(edited.canvas)[9:99, 16:176])
    assert manifest["chosen"] == manifest["best"]
    assert manifest["mask"]["transform"]["target"] == "canvas"
    _, named = edit_fitted(fitted, spec, EditRequest(variants=2), settings, variant=2)
    assert named["chosen"] == 2
    with pytest.raises(InputError, match="does not exist"):
        edit_fitted(fitted, spec, EditRequest(variants=2), settings, variant=3)


def test_edit_plan_travels_through_generation_options(settings: Settings) -> None:
    fitted = fit_image(CHELSEA, 160, 90, mode="pad")
    plan = edit_options(MaskSpec(boxes=("180,70,120,100",)), EditRequest(variants=2), variant=2)
    options = json.loads(json.dumps({"move": "zoom-in", EDIT_OPTION: plan}))  # a batch row / job
    edited, manifest = edit_from_options(fitted, options, settings)
    assert manifest is not None and manifest["chosen"] == 2
    assert not np.array_equal(np.asarray(edited.image), np.asarray(fitted.image))
    same, none = edit_from_options(fitted, {"move": "zoom-in"}, settings)
    assert same is fitted and none is None
