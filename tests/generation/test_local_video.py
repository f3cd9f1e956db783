"""The diffusers video generator, end to end on tiny random LTX, Wan and CogVideoX pipelines.

Each tiny pipeline is saved with ``save_pretrained`` and loaded back through the generator's real
loading path (settings -> model folder -> ``from_pretrained``), then run on the CPU through
:mod:`reelrag.pipeline` and the job worker, with real H.264 encoding.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("torch", reason="the local extra (torch) is not installed")
pytest.importorskip("diffusers", reason="the local extra (diffusers) is not installed")

import torch

from localmodels_tiny import build_cogvideox_i2v, build_ltx, build_wan_i2v
from reelrag import pipeline
from reelrag.errors import CapabilityError, ConfigError, MissingDependencyError
from reelrag.generation.base import check_request
from reelrag.generation.diffusers.generator import DiffusersVideoGenerator
from reelrag.generation.diffusers.rules import VIDEO_RULES as RULES
from reelrag.jobs import SQLiteJobStore, Worker
from reelrag.localmodels.cache import MODELS
from reelrag.media import video
from reelrag.plugins import registry
from reelrag.settings import Settings, load_settings
from reelrag.types import GenerationRequest, Job

pytestmark = pytest.mark.usefixtures("_fresh_cache")
torch.set_num_threads(1)

# family -> (builder, test size): CogVideoX's learned position embeddings fix its size
FAMILIES = {
    "ltx": (build_ltx, (64, 64)),
    "wan": (build_wan_i2v, (64, 64)),
    "cogvideox": (build_cogvideox_i2v, (64, 32)),
}


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-video-models")
    return {name: build(root / name) for name, (build, _) in FAMILIES.items()}


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path / "photo.png"
    Image.fromarray(rng.integers(0, 255, (60, 90, 3), dtype=np.uint8)).save(path)
    return path


def _settings(workspace: Path, model: Path | str, **extra: Any) -> Settings:
    return load_settings(
        {
            "workspace": workspace,
            "diffusers_video_model": str(model),
            "diffusion_steps": 2,
            **extra,
        },
        environ={},
    )


def _request(family: str, image: Path | None, **extra: Any) -> GenerationRequest:
    width, height = FAMILIES[family][1]
    fps = RULES[next(i for i, r in RULES.items() if r.family == family)].fps[0]
    values: dict[str, Any] = dict(
        prompt="camera zooms in slowly on red shoes",
        width=width,
        height=height,
        fps=fps,
        duration_s=9 / fps,
        seed=7,
        backend="diffusers",
    )
    values.update(extra)
    return GenerationRequest(image=str(image) if image else None, **values)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_image_to_video_end_to_end(
    family: str, tiny_models: dict[str, Path], photo: Path, workspace: Path
) -> None:
    settings = _settings(workspace, tiny_models[family])
    generator = registry.create("generator", "diffusers", settings)
    events: list[Any] = []
    out = workspace / f"{family}.mp4"
    result = pipeline.generate(
        _request(family, photo), settings, out=out, generator=generator, progress=events.append
    )
    info = video.probe(Path(result.video))
    width, height = FAMILIES[family][1]
    assert (info.codec, info.pix_fmt, info.frames) == ("h264", "yuv420p", 9)
    assert (info.width, info.height) == (width, height) and info.faststart
    manifest = json.loads(Path(result.manifest).read_text())
    assert manifest["backend"] == "diffusers" and manifest["seed"] == 7
    details = manifest["details"]
    assert details["model_source"]["local"] is True
    assert details["pipeline_call"]["num_inference_steps"] == 2
    assert details["pipeline_call"]["num_frames"] == 9 and details["device"] == "cpu"
    assert manifest["fit"] is not None  # the photo was fitted by the project's framing
    steps = [e.message for e in events if e.message.startswith("step")]
    assert steps == ["step 1/2", "step 2/2"]


def test_duration_maps_to_the_frame_rule_and_the_manifest_says_so(
    tiny_models: dict[str, Path], photo: Path, workspace: Path
) -> None:
    settings = _settings(workspace, tiny_models["ltx"])
    request = _request("ltx", photo, duration_s=0.5)  # 12 frames at 24 fps; LTX needs 8k+1
    result = pipeline.generate(request, settings, out=workspace / "clip.mp4")
    assert video.probe(Path(result.video)).frames == 9
    adjustments = json.loads(Path(result.manifest).read_text())["adjustments"]
    assert any("12 frames" in a and "8k+1" in a and "using 9" in a for a in adjustments)


def test_text_to_video_reuses_the_loaded_weights_and_a_batch_loads_once(
    tiny_models: dict[str, Path], photo: Path, workspace: Path
) -> None:
    settings = _settings(workspace, tiny_models["ltx"])
    requests = [
        _request("ltx", photo, seed=1),
        _request("ltx", None, seed=2),
        _request("ltx", photo, seed=3),
    ]
    store = SQLiteJobStore(settings.jobs_path)
    store.add_many(
        [
            Job(id=f"b-{i}", kind="generate", batch_id="b", payload={"request": r.to_dict()})
            for i, r in enumerate(requests)
        ]
    )
    before = MODELS.stats("diffusion")
    summary = Worker(store, settings).run(batch_id="b")
    assert len(summary.succeeded) == 3, summary.to_dict()
    after = MODELS.stats("diffusion")
    assert (after["loads"] - before["loads"], after["hits"] - before["hits"]) == (1, 2)
    manifests = [
        json.loads(Path(j.result["manifest"]).read_text()) for j in summary.succeeded if j.result
    ]
    assert [m["details"]["pipeline_call"]["pipeline"] for m in manifests] == [
        "LTXImageToVideoPipeline",
        "LTXPipeline",
        "LTXImageToVideoPipeline",
    ]


def test_same_seed_same_frames_other_seed_other_frames(
    tiny_models: dict[str, Path], photo: Path, workspace: Path
) -> None:
    settings = _settings(workspace, tiny_models["wan"])
    frames = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        result = pipeline.generate(
            _request("wan", photo, seed=seed), settings, out=workspace / f"{name}.mp4"
        )
        frames.append(np.stack(list(video.read_frames(Path(result.video)))).astype(int))
    assert np.abs(frames[0] - frames[1]).max() <= 1
    assert np.abs(frames[0] - frames[2]).mean() > 1


def test_rules_are_checked_before_any_work(tiny_models: dict[str, Path], workspace: Path) -> None:
    ltx = RULES["Lightricks/LTX-Video"].capabilities()
    with pytest.raises(CapabilityError, match="multiple of 32"):
        check_request(GenerationRequest(prompt="x", width=700, height=480), ltx, 1)
    with pytest.raises(CapabilityError, match="fps"):
        check_request(GenerationRequest(prompt="x", fps=12), ltx, 1)
    cog = RULES["THUDM/CogVideoX-5b-I2V"].capabilities()
    with pytest.raises(CapabilityError, match="720x480"):
        check_request(GenerationRequest(prompt="x", image="a.png", width=768, height=512), cog, 1)
    with pytest.raises(CapabilityError, match="needs an image"):
        check_request(GenerationRequest(prompt="x"), cog, 1)
    wan = DiffusersVideoGenerator.from_settings(_settings(workspace, tiny_models["wan"]))
    assert wan.capabilities.image_to_video and not wan.capabilities.text_to_video
    # a CogVideoX folder with learned position embeddings makes one size (diffusers refuses any
    # other only after the weights have loaded: "not possible to generate videos at a different
    # resolution"); its rules say so first
    tiny_cog = DiffusersVideoGenerator.from_settings(_settings(workspace, tiny_models["cogvideox"]))
    assert tiny_cog.capabilities.sizes == ((64, 32),) and tiny_cog.rules.max_frames == 9
    with pytest.raises(CapabilityError, match="use one of 64x32"):
        check_request(GenerationRequest(prompt="x", image="a.png", width=128, height=64),
                      tiny_cog.capabilities, 1)  # fmt: skip


@pytest.mark.parametrize("model", sorted(RULES))
def test_every_model_default_is_valid_for_its_own_rules(model: str) -> None:
    rules = RULES[model]
    caps = rules.capabilities()
    job = check_request(GenerationRequest(prompt="x", image="a.png"), caps, 1)
    frames, note = rules.frames_for(job.duration_s, job.fps)
    assert note is None and (frames - 1) % rules.frame_step == 0
    assert job.width % rules.size_multiple == 0 and job.height % rules.size_multiple == 0
    with pytest.raises(CapabilityError, match="at most"):
        rules.frames_for(rules.max_frames / job.fps + 5, job.fps)


def test_missing_weights_offline_say_where_to_put_them(
    workspace: Path, photo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    models_dir = workspace / "models"
    settings = _settings(workspace, "Lightricks/LTX-Video", models_dir=str(models_dir))
    generator = DiffusersVideoGenerator.from_settings(settings)  # rules need no weights
    request = GenerationRequest(
        prompt="zoom in", image=str(photo), width=704, height=480, duration_s=9 / 24, seed=1
    )
    with pytest.raises(MissingDependencyError) as caught:
        pipeline.generate(request, settings, out=workspace / "x.mp4", generator=generator)
    assert "HF_HUB_OFFLINE" in caught.value.message
    assert str(models_dir / "Lightricks/LTX-Video") in str(caught.value.hint)
    assert not (workspace / "x.mp4").exists()


@pytest.mark.parametrize(
    ("values", "pattern"),
    [
        ({"device": "cuda"}, "cuda"),
        ({"device": "tpu"}, "unknown device"),
        ({"dtype": "float16"}, "float16 is not supported on the CPU"),
        ({"cpu_offload": "model", "device": "cpu"}, "needs a CUDA device"),
    ],
)
def test_unusable_devices_and_options_are_one_line_errors(
    values: dict[str, str], pattern: str, tiny_models: dict[str, Path], photo: Path, workspace: Path
) -> None:
    if values.get("device") == "cuda" and torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    settings = _settings(workspace, tiny_models["ltx"], **values)
    with pytest.raises(ConfigError, match=pattern) as caught:
        pipeline.generate(
            _request("ltx", photo),
            settings,
            out=workspace / "x.mp4",
            generator=DiffusersVideoGenerator.from_settings(settings),
        )
    assert "\n" not in str(caught.value) and caught.value.hint


def test_unknown_model_lists_the_known_ones(workspace: Path) -> None:
    with pytest.raises(ConfigError, match="unknown local video model") as caught:
        DiffusersVideoGenerator.from_settings(_settings(workspace, "someone/some-model"))
    assert "Lightricks/LTX-Video" in str(caught.value.hint)


@pytest.mark.parametrize(
    ("family", "shot"), [("wan", (128, 64, 16)), ("ltx", (128, 64, 24)), ("cogvideox", (64, 32, 8))]
)
def test_a_reel_renders_its_shots_in_the_format_the_model_takes(
    family: str, shot: tuple[int, int, int], tiny_models: dict[str, Path], photo: Path,
    workspace: Path,
) -> None:  # fmt: skip
    """Wan renders 16 fps, LTX-Video sides in multiples of 32, this CogVideoX only 64x32 at 8 fps
    and 0.625 s at least: a 24 fps reel of 114x64 with 0.5 s shots asks each for the nearest
    format it takes and retimes and trims the clips (before, every shot failed: the reel's own
    size and fps were not the model's)."""
    from reelrag.batch.plan import generator_cache
    from reelrag.reel import parse_storyboard, render_reel
    from reelrag.reel.shots import plan_shots, shot_formats

    settings = _settings(workspace, tiny_models[family])
    shots = [{"image": str(photo), "action": "zoom in", "duration": 0.5}] * 2
    board = parse_storyboard({"size": 64, "fps": 24, "backend": "diffusers", "shots": shots})
    make = generator_cache(settings)
    formats = shot_formats(plan_shots(board, settings, make=make), board, make)
    assert formats == {"diffusers": shot}
    result = render_reel(board, settings, out=workspace / "reel.mp4")
    assert result.shots == 2 and not result.missing
    info = video.probe(Path(result.videos[0]))
    assert (info.width, info.height, info.frames) == (114, 64, 24)
