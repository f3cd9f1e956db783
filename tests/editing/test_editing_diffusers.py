"""The diffusers in-painting editor on tiny random models, through its real path.

Each model is saved with ``save_pretrained`` into a folder and loaded back by the editor
(settings -> folder -> ``model_index.json`` -> the model family -> ``from_pretrained``), then run
on the CPU directly, through ``reelrag inpaint --backend diffusers`` and (SD) through
``reelrag generate --edit-backend diffusers``. The shared behaviour is one parametrised test per
property over both families:

- ``sd``: SD in-painting, latents a multiple of 8; the 90x61 photo pads to 96x64;
- ``flux-fill``: Flux Fill, packed latents make the image multiple 16; the 100x70 photo pads to
  112x80 (a multiple of 8 would be 104x72, and the pipeline would then resize instead of the
  editor padding).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Family:
    """One model family's tiny model and what the editor must do with its photo."""

    name: str
    build: Callable[[Path], Path]
    photo_size: tuple[int, int]
    photo_seed: int
    padded: tuple[int, int]
    multiple: int
    guidance: float | None  # the family's default guidance, when the test checks it


FAMILIES = {
    "sd": Family("sd", build_sd_inpaint, (90, 61), 3, (96, 64), 8, None),
    "flux-fill": Family("flux-fill", build_flux_fill, (100, 70), 4, (112, 80), 16, 30.0),
}


def _photo(family: Family) -> Image.Image:
    """Neither side a multiple of the family's image multiple, so padding is exercised."""
    rng = np.random.default_rng(family.photo_seed)
    width, height = family.photo_size
    return Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8))


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each family's tiny model, built once per module run, lazily."""
    return {}


def _model(models: dict[str, Path], family: Family, factory: pytest.TempPathFactory) -> Path:
    if family.name not in models:
        models[family.name] = family.build(factory.mktemp(f"tiny-{family.name}") / family.name)
    return models[family.name]


@pytest.fixture(params=sorted(FAMILIES))
def case(
    request: pytest.FixtureRequest,
    models: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Family, Path, Image.Image]:
    family = FAMILIES[request.param]
    return family, _model(models, family, tmp_path_factory), _photo(family)


@pytest.fixture
def sd_model(models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _model(models, FAMILIES["sd"], tmp_path_factory)


@pytest.fixture
def sd_photo() -> Image.Image:
    return _photo(FAMILIES["sd"])


@pytest.fixture
def flux_model(models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _model(models, FAMILIES["flux-fill"], tmp_path_factory)


@pytest.fixture
def flux_photo() -> Image.Image:
    return _photo(FAMILIES["flux-fill"])


def test_fill_changes_only_the_mask_and_records_the_padding(
    tmp_path: Path, case: tuple[Family, Path, Image.Image]
) -> None:
    family, model, photo = case
    mask = mask_from_boxes(photo.size, [(20, 10, 30, 25)])
    editor = diffusers_editor(tmp_path, model)
    negative = "dog" if family.name == "sd" else None  # Flux Fill takes none (tested below)
    request = EditRequest(prompt="a red cat", negative_prompt=negative, variants=2, seed=5)
    result = editor.edit(photo, mask, request)
    assert [v.index for v in result.variants] == [1, 2] and result.seed == 5
    assert_only_the_mask_changed(result, photo, mask)
    first, second = (np.asarray(im) for _, im in result.kept)
    assert not np.array_equal(first, second)  # each variant has its own seed
    details = result.details
    call = details["pipeline_call"]
    assert (call["width"], call["height"]) == family.padded
    assert call.get("negative_prompt") == negative
    assert call["num_inference_steps"] == 2 and call["num_images_per_prompt"] == 2
    if family.guidance is not None:
        assert call["guidance_scale"] == family.guidance  # the family's default, not SD's 7.5
    assert details["variant_seeds"] == [5, 6] and details["image_multiple_px"] == family.multiple
    width, height = family.padded
    assert f"padded to {width}x{height}" in details["adjustments"][0]
    assert details["model_source"]["local"] is True
    json.dumps(result.to_dict())


def test_same_seed_same_pixels_and_the_pipeline_is_reused(
    tmp_path: Path, case: tuple[Family, Path, Image.Image]
) -> None:
    _, model, photo = case
    mask = mask_from_boxes(photo.size, [(8, 8, 40, 40)])
    assert_seeded_and_reused(diffusers_editor(tmp_path, model), photo, mask)


def test_cli_inpaint_with_the_diffusers_backend(
    tmp_path: Path, case: tuple[Family, Path, Image.Image], monkeypatch: pytest.MonkeyPatch
) -> None:
    family, model, photo = case
    monkeypatch.setenv("REELRAG_DIFFUSERS_INPAINT_MODEL", str(model))
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
    details = manifest["details"]
    assert details["family"] == family.name
    assert details["pipeline_call"]["num_inference_steps"] == 3
    assert details["pipeline_call"]["width"] == family.padded[0]
    assert details["variant_seeds"] == [3, 4] and manifest["best"] in (1, 2)
    assert path.read_bytes() == before
    variant = np.asarray(Image.open(out["variants"][0]).convert("RGB"))
    outside = np.asarray(Image.open(out["mask"])) == 0
    assert variant.shape == (photo.height, photo.width, 3)
    assert np.array_equal(variant[outside], np.asarray(photo)[outside])


# -- SD in-painting only ---------------------------------------------------------------------


def test_no_prompt_is_refused_before_loading(
    tmp_path: Path, sd_model: Path, sd_photo: Image.Image
) -> None:
    mask = mask_from_boxes(sd_photo.size, [(8, 8, 20, 20)])
    editor = diffusers_editor(tmp_path, sd_model)
    assert editor.capabilities.can_prompt_fill and not editor.capabilities.can_remove
    with pytest.raises(CapabilityError, match="needs a --prompt") as caught:
        editor.edit(sd_photo, mask, EditRequest())
    assert "--backend opencv" in (caught.value.hint or "")
    assert MODELS.loaded("diffusion") is None


def test_a_prompt_longer_than_the_text_encoder_reads_is_refused(
    tmp_path: Path, sd_model: Path, sd_photo: Image.Image
) -> None:
    mask = mask_from_boxes(sd_photo.size, [(8, 8, 20, 20)])
    editor = diffusers_editor(tmp_path, sd_model)
    with pytest.raises(CapabilityError, match="tokens; this model reads at most 32"):
        editor.edit(sd_photo, mask, EditRequest(prompt=" ".join(["red shoes"] * 40)))


def test_missing_model_offline_names_the_folder_to_create(
    tmp_path: Path, sd_photo: Image.Image
) -> None:
    models = tmp_path / "models"
    editor = diffusers_editor(
        tmp_path, "acme/inpaint-xl", models_dir=str(models), local_files_only=True
    )
    mask = mask_from_boxes(sd_photo.size, [(8, 8, 20, 20)])
    with pytest.raises(MissingDependencyError) as caught:
        editor.edit(sd_photo, mask, EditRequest(prompt="a cat"))
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


def test_generate_edits_with_diffusers_before_animating(
    tmp_path: Path, sd_model: Path, sd_photo: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELRAG_DIFFUSERS_INPAINT_MODEL", str(sd_model))
    monkeypatch.setenv("REELRAG_INPAINT_STEPS", "2")
    path = tmp_path / "photo.png"
    sd_photo.resize((120, 80)).save(path)
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


def test_settings_replace_keeps_the_model_choice(tmp_path: Path, sd_model: Path) -> None:
    settings = dataclasses.replace(
        diffusers_editor(tmp_path, sd_model).settings, inpaint_guidance=4.0
    )
    editor = DiffusersEditor.from_settings(settings)
    assert editor.model == str(sd_model) and editor.guidance == 4.0 and editor.steps == 2


# -- Flux Fill only --------------------------------------------------------------------------


def test_negative_prompt_is_reported_not_honoured_even_when_long(
    tmp_path: Path, flux_model: Path, flux_photo: Image.Image
) -> None:
    """Flux Fill takes no negative prompt: it is dropped and reported, never length-checked."""
    mask = mask_from_boxes(flux_photo.size, [(8, 8, 20, 20)])
    editor = diffusers_editor(tmp_path, flux_model)
    negative = " ".join(["dog"] * 80)  # longer than either tiny tokenizer reads
    result = editor.edit(flux_photo, mask, EditRequest(prompt="a cat", negative_prompt=negative))
    assert "negative_prompt" not in result.details["pipeline_call"]
    assert result.not_honoured == ["negative_prompt (flux-fill models take none)"]
    assert result.images[0] is not None and result.images[0].size == flux_photo.size


def test_the_prompt_limit_is_the_t5_encoders(
    tmp_path: Path, flux_model: Path, flux_photo: Image.Image
) -> None:
    """CLIP (32 tokens here) only gives Flux a pooled vector; T5 (64 here) reads the prompt."""
    mask = mask_from_boxes(flux_photo.size, [(8, 8, 20, 20)])
    editor = diffusers_editor(tmp_path, flux_model)
    past_clip = " ".join(["red shoes"] * 20)  # 41 tokens with </s>
    assert (
        editor.edit(flux_photo, mask, EditRequest(prompt=past_clip, seed=1)).images[0] is not None
    )
    with pytest.raises(CapabilityError, match="81 tokens; this model reads at most 64"):
        editor.edit(flux_photo, mask, EditRequest(prompt=" ".join(["red shoes"] * 40)))
