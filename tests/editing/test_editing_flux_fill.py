"""The diffusers in-painting editor on a tiny random Flux Fill model, through its real path.

The model is saved with ``save_pretrained`` into a folder and loaded back by the editor
(settings -> folder -> ``model_index.json`` says ``FluxFillPipeline`` -> the flux-fill family ->
``FluxFillPipeline.from_pretrained``), then run on the CPU directly and through
``reelrag inpaint --backend diffusers``. Its VAE has SD's factor 8, so the packed latents make
the image multiple 16: the photo is 100x70, which pads to 112x80 (a multiple of 8 would be
104x72, and the pipeline would then resize instead of the editor padding).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

pytest.importorskip("torch", reason="the local extra (torch) is not installed")
pytest.importorskip("diffusers", reason="the local extra (diffusers) is not installed")

import torch

from editing_tiny import (
    assert_only_the_mask_changed,
    assert_seeded_and_reused,
    build_flux_fill,
    diffusers_editor,
)
from reelrag.cli.main import app
from reelrag.editing.base import EditRequest
from reelrag.editing.masks import mask_from_boxes
from reelrag.errors import CapabilityError

pytestmark = pytest.mark.usefixtures("_fresh_cache")
torch.set_num_threads(1)
runner = CliRunner()


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_flux_fill(tmp_path_factory.mktemp("tiny-flux-fill") / "flux-fill")


@pytest.fixture
def photo() -> Image.Image:
    """100x70: neither side is a multiple of 16 (nor rounds up to one as a multiple of 8)."""
    rng = np.random.default_rng(4)
    return Image.fromarray(rng.integers(0, 255, (70, 100, 3), dtype=np.uint8))


def test_flux_fill_repaints_only_the_mask_and_pads_to_a_multiple_of_16(
    tmp_path: Path, tiny_model: Path, photo: Image.Image
) -> None:
    mask = mask_from_boxes(photo.size, [(20, 10, 40, 30)])
    editor = diffusers_editor(tmp_path, tiny_model)
    result = editor.edit(photo, mask, EditRequest(prompt="a red cat", variants=2, seed=5))
    details = result.details
    assert details["family"] == "flux-fill" and details["pipeline"] == "FluxFillPipeline"
    assert details["image_multiple_px"] == 16 and details["model_source"]["local"] is True
    call = details["pipeline_call"]
    assert (call["width"], call["height"]) == (112, 80)
    assert call["num_inference_steps"] == 2 and call["num_images_per_prompt"] == 2
    assert call["guidance_scale"] == 30.0  # the flux-fill family's default, not SD's 7.5
    assert "padded to 112x80 (a multiple of 16" in details["adjustments"][0]
    assert details["variant_seeds"] == [5, 6] and result.seed == 5
    assert [v.index for v in result.variants] == [1, 2] and not result.not_honoured
    assert_only_the_mask_changed(result, photo, mask)
    first, second = (np.asarray(im) for _, im in result.kept)
    assert not np.array_equal(first, second)  # each variant has its own seed
    json.dumps(result.to_dict())


def test_same_seed_same_pixels_and_the_pipeline_is_reused(
    tmp_path: Path, tiny_model: Path, photo: Image.Image
) -> None:
    mask = mask_from_boxes(photo.size, [(8, 8, 48, 40)])
    assert_seeded_and_reused(diffusers_editor(tmp_path, tiny_model), photo, mask)


def test_negative_prompt_is_reported_not_honoured_even_when_long(
    tmp_path: Path, tiny_model: Path, photo: Image.Image
) -> None:
    """Flux Fill takes no negative prompt: it is dropped and reported, never length-checked."""
    mask = mask_from_boxes(photo.size, [(8, 8, 20, 20)])
    editor = diffusers_editor(tmp_path, tiny_model)
    negative = " ".join(["dog"] * 80)  # longer than either tiny tokenizer reads
    result = editor.edit(photo, mask, EditRequest(prompt="a cat", negative_prompt=negative))
    assert "negative_prompt" not in result.details["pipeline_call"]
    assert result.not_honoured == ["negative_prompt (flux-fill models take none)"]
    assert result.images[0] is not None and result.images[0].size == photo.size


def test_the_prompt_limit_is_the_t5_encoders(
    tmp_path: Path, tiny_model: Path, photo: Image.Image
) -> None:
    """CLIP (32 tokens here) only gives Flux a pooled vector; T5 (64 here) reads the prompt."""
    mask = mask_from_boxes(photo.size, [(8, 8, 20, 20)])
    editor = diffusers_editor(tmp_path, tiny_model)
    past_clip = " ".join(["red shoes"] * 20)  # 41 tokens with </s>
    assert editor.edit(photo, mask, EditRequest(prompt=past_clip, seed=1)).images[0] is not None
    with pytest.raises(CapabilityError, match="81 tokens; this model reads at most 64"):
        editor.edit(photo, mask, EditRequest(prompt=" ".join(["red shoes"] * 40)))


def test_cli_inpaint_with_a_flux_fill_model(
    tmp_path: Path, tiny_model: Path, photo: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELRAG_DIFFUSERS_INPAINT_MODEL", str(tiny_model))
    monkeypatch.setenv("REELRAG_INPAINT_STEPS", "2")
    path = tmp_path / "photo.png"
    photo.save(path)
    args = ["--workspace", str(tmp_path / "ws"), "inpaint", str(path), "--box", "20,10,40,30"]
    args += ["--prompt", "a red cat", "--backend", "diffusers", "--seed", "3", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    manifest = json.loads(Path(out["manifest"]).read_text())
    assert out["backend"] == "diffusers" and len(out["variants"]) == 1
    assert manifest["details"]["family"] == "flux-fill"
    assert manifest["details"]["pipeline_call"]["width"] == 112
    variant = np.asarray(Image.open(out["variants"][0]).convert("RGB"))
    outside = np.asarray(Image.open(out["mask"])) == 0
    assert variant.shape == (70, 100, 3)
    assert np.array_equal(variant[outside], np.asarray(photo)[outside])
