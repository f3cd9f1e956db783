"""The diffusers in-painting editor on a tiny random SD in-painting model, through its real path.

The model is saved with ``save_pretrained`` into a folder and loaded back by the editor
(settings -> folder -> ``AutoPipelineForInpainting.from_pretrained``), then run on the CPU
directly, through ``reelrag inpaint --backend diffusers`` and through
``reelrag generate --edit-backend diffusers`` (edit between fit and the camera renderer).
"""

from __future__ import annotations

import dataclasses
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
    build_sd_inpaint,
    diffusers_editor,
)
from reelrag.cli.main import app
from reelrag.editing.base import EditRequest
from reelrag.editing.diffusers import DiffusersEditor, family_for, pad_to_multiple
from reelrag.editing.masks import mask_from_boxes
from reelrag.errors import CapabilityError, ConfigError, MissingDependencyError
from reelrag.localmodels.cache import MODELS

pytestmark = pytest.mark.usefixtures("_fresh_cache")
torch.set_num_threads(1)
runner = CliRunner()


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sd_inpaint(tmp_path_factory.mktemp("tiny-inpaint") / "sd-inpaint")


@pytest.fixture
def photo() -> Image.Image:
    """90x61: neither side is a multiple of 8, so padding is exercised."""
    rng = np.random.default_rng(3)
    return Image.fromarray(rng.integers(0, 255, (61, 90, 3), dtype=np.uint8))


def test_prompted_fill_changes_only_the_mask_and_records_the_padding(
    tmp_path: Path, tiny_model: Path, photo: Image.Image
) -> None:
    mask = mask_from_boxes(photo.size, [(20, 10, 30, 25)])
    editor = diffusers_editor(tmp_path, tiny_model)
    request = EditRequest(prompt="a red cat", negative_prompt="dog", variants=2, seed=5)
    result = editor.edit(photo, mask, request)
    assert [v.index for v in result.variants] == [1, 2] and result.seed == 5
    assert_only_the_mask_changed(result, photo, mask)
    first, second = (np.asarray(im) for _, im in result.kept)
    assert not np.array_equal(first, second)  # each variant has its own seed
    details = result.details
    assert details["pipeline_call"]["width"] == 96 and details["pipeline_call"]["height"] == 64
    assert details["pipeline_call"]["negative_prompt"] == "dog"
    assert details["variant_seeds"] == [5, 6] and details["image_multiple_px"] == 8
    assert "padded to 96x64" in details["adjustments"][0]
    assert details["model_source"]["local"] is True
    json.dumps(result.to_dict())


def test_same_seed_same_pixels_and_the_pipeline_is_reused(
    tmp_path: Path, tiny_model: Path, photo: Image.Image
) -> None:
    mask = mask_from_boxes(photo.size, [(8, 8, 40, 40)])
    assert_seeded_and_reused(diffusers_editor(tmp_path, tiny_model), photo, mask)


def test_no_prompt_is_refused_before_loading(
    tmp_path: Path, tiny_model: Path, photo: Image.Image
) -> None:
    mask = mask_from_boxes(photo.size, [(8, 8, 20, 20)])
    editor = diffusers_editor(tmp_path, tiny_model)
    assert editor.capabilities.can_prompt_fill and not editor.capabilities.can_remove
    with pytest.raises(CapabilityError, match="needs a --prompt") as caught:
        editor.edit(photo, mask, EditRequest())
    assert "--backend opencv" in (caught.value.hint or "")
    assert MODELS.loaded("diffusion") is None


def test_a_prompt_longer_than_the_text_encoder_reads_is_refused(
    tmp_path: Path, tiny_model: Path, photo: Image.Image
) -> None:
    mask = mask_from_boxes(photo.size, [(8, 8, 20, 20)])
    editor = diffusers_editor(tmp_path, tiny_model)
    with pytest.raises(CapabilityError, match="tokens; this model reads at most 32"):
        editor.edit(photo, mask, EditRequest(prompt=" ".join(["red shoes"] * 40)))


def test_missing_model_offline_names_the_folder_to_create(
    tmp_path: Path, photo: Image.Image
) -> None:
    models = tmp_path / "models"
    editor = diffusers_editor(
        tmp_path, "acme/inpaint-xl", models_dir=str(models), local_files_only=True
    )
    mask = mask_from_boxes(photo.size, [(8, 8, 20, 20)])
    with pytest.raises(MissingDependencyError) as caught:
        editor.edit(photo, mask, EditRequest(prompt="a cat"))
    assert str(models / "acme/inpaint-xl") in (caught.value.hint or "")


def test_family_rules_and_padding_helper(tmp_path: Path) -> None:
    fill = tmp_path / "fill"
    fill.mkdir()
    (fill / "model_index.json").write_text(json.dumps({"_class_name": "FluxFillPipeline"}))
    assert family_for("my-local-model", fill).pipeline == "FluxFillPipeline"
    assert family_for("black-forest-labs/FLUX.1-Fill-dev").packed is True
    with pytest.raises(ConfigError, match="not Flux Fill"):
        family_for("black-forest-labs/FLUX.1-dev")
    image = Image.new("RGB", (5, 3), (10, 20, 30))
    mask = Image.new("L", (5, 3), 255)
    padded, padded_mask = pad_to_multiple(image, mask, 8, 8)
    assert padded.size == padded_mask.size == (8, 8)
    assert np.all(np.asarray(padded) == (10, 20, 30))  # edge pixels, not black
    assert np.asarray(padded_mask)[3:, :].max() == 0 and np.asarray(padded_mask)[:, 5:].max() == 0


def test_cli_inpaint_with_the_diffusers_backend(
    tmp_path: Path, tiny_model: Path, photo: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELRAG_DIFFUSERS_INPAINT_MODEL", str(tiny_model))
    monkeypatch.setenv("REELRAG_INPAINT_STEPS", "2")
    path = tmp_path / "photo.png"
    photo.save(path)
    before = path.read_bytes()
    args = ["--workspace", str(tmp_path / "ws"), "inpaint", str(path), "--box", "20,10,30,25"]
    args += ["--prompt", "a red cat", "--backend", "diffusers", "--variants", "2", "--seed", "3"]
    result = runner.invoke(app, [*args, "--steps", "3", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    manifest = json.loads(Path(out["manifest"]).read_text())
    assert out["backend"] == "diffusers" and len(out["variants"]) == 2
    assert manifest["details"]["pipeline_call"]["num_inference_steps"] == 3
    assert manifest["details"]["variant_seeds"] == [3, 4]
    assert manifest["best"] in (1, 2)
    assert path.read_bytes() == before
    variant = np.asarray(Image.open(out["variants"][0]).convert("RGB"))
    outside = np.asarray(Image.open(out["mask"])) == 0
    assert np.array_equal(variant[outside], np.asarray(photo)[outside])


def test_generate_edits_with_diffusers_before_animating(
    tmp_path: Path, tiny_model: Path, photo: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELRAG_DIFFUSERS_INPAINT_MODEL", str(tiny_model))
    monkeypatch.setenv("REELRAG_INPAINT_STEPS", "2")
    path = tmp_path / "photo.png"
    photo.resize((120, 80)).save(path)
    out = tmp_path / "clip.mp4"
    args = ["--workspace", str(tmp_path / "ws"), "generate", "--image", str(path)]
    args += ["--prompt", "slow zoom in", "--size", "96x64", "--fps", "8", "--duration", "1"]
    args += ["--box", "30,20,40,30", "--edit-prompt", "a red cat", "--edit-backend", "diffusers"]
    result = runner.invoke(app, [*args, "--seed", "4", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    manifest = json.loads(out.with_suffix(".json").read_text())
    edit = manifest["edit"]
    assert edit["backend"] == "diffusers" and edit["chosen"] == 1
    assert edit["details"]["pipeline_call"]["width"] % 8 == 0
    assert edit["mask"]["transform"] is not None
    assert out.is_file() and manifest["backend"] == "camera"


def test_settings_replace_keeps_the_model_choice(tmp_path: Path, tiny_model: Path) -> None:
    settings = dataclasses.replace(
        diffusers_editor(tmp_path, tiny_model).settings, inpaint_guidance=4.0
    )
    editor = DiffusersEditor.from_settings(settings)
    assert editor.model == str(tiny_model) and editor.guidance == 4.0 and editor.steps == 2
