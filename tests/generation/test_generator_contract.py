"""Every registered generator honours the same contract: one request type, declared
capabilities, and bad requests rejected before any work."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from reelrag.errors import CapabilityError, MissingDependencyError
from reelrag.generation.base import Capabilities, Generator, ResolvedRequest, check_request
from reelrag.pipeline import generate
from reelrag.plugins import registry
from reelrag.settings import load_settings
from reelrag.testing.remote import register as register_simulated
from reelrag.types import GenerationRequest

register_simulated()  # the shipped test twin must honour the same contract
NAMES = registry.names("generator")


def make(name: str, tmp_path: Path) -> Generator:
    settings = load_settings({"workspace": tmp_path}, environ={})
    try:
        generator: Generator = registry.create("generator", name, settings)
    except MissingDependencyError as exc:
        pytest.skip(f"{name}: {exc}")
    return generator


@pytest.mark.parametrize("name", NAMES)
def test_declares_capabilities_and_the_shared_signature(name: str, tmp_path: Path) -> None:
    generator = make(name, tmp_path)
    assert isinstance(generator, Generator)
    assert isinstance(generator.capabilities, Capabilities)
    assert generator.capabilities.text_to_video or generator.capabilities.image_to_video
    params = list(inspect.signature(generator.generate).parameters)
    assert params[:3] == ["job", "image", "out"]


@pytest.mark.parametrize("name", NAMES)
def test_accepts_the_shared_request_type(name: str, tmp_path: Path) -> None:
    generator = make(name, tmp_path)
    caps = generator.capabilities
    image = None if caps.text_to_video else "photo.jpg"
    resolved = check_request(GenerationRequest(prompt="slow zoom in", image=image), caps, seed=1)
    assert isinstance(resolved, ResolvedRequest)
    assert (resolved.width, resolved.height) == caps.default_size
    assert resolved.frames == round(resolved.duration_s * resolved.fps)
    assert generator.estimate_cost_usd(resolved) >= 0
    margins = generator.framing_margins(resolved)
    assert min(margins.left_px, margins.top_px, margins.right_px, margins.bottom_px) >= 0


BAD = [
    {"prompt": ""},
    {"prompt": "x" * 100_000},
    {"prompt": "pan", "width": 7, "height": 7},
    {"prompt": "pan", "width": 1281, "height": 720},
    {"prompt": "pan", "fps": 1000},
    {"prompt": "pan", "duration_s": 10_000.0},
    # zero is a value to refuse, not a request for the default
    {"prompt": "pan", "fps": 0},
    {"prompt": "pan", "duration_s": 0.0},
    {"prompt": "pan", "width": 0, "height": 0},
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("fields", BAD, ids=lambda f: next(iter(f.items()))[0] + str(len(f)))
def test_rejects_bad_requests_before_any_work(
    name: str, fields: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generator = make(name, tmp_path)
    calls: list[object] = []
    monkeypatch.setattr(generator, "generate", lambda *a, **k: calls.append(a))
    settings = load_settings({"workspace": tmp_path}, environ={})
    request = GenerationRequest(image=str(tmp_path / "missing.jpg"), **fields)
    with pytest.raises(CapabilityError):
        generate(request, settings, generator=generator, out=tmp_path / "clip.mp4")
    assert calls == []
    assert not list(tmp_path.glob("clip*"))


def test_preferred_defaults_apply_only_where_the_backend_accepts_them() -> None:
    from reelrag.generation.base import Capabilities, resolve_request
    from reelrag.settings import load_settings

    settings = load_settings({"width": 640, "height": 360, "fps": 30, "duration_s": 4}, environ={})
    free = Capabilities(text_to_video=True, image_to_video=True)
    job = resolve_request(GenerationRequest("zoom in"), free, 1, settings)
    assert (job.width, job.height, job.fps, job.duration_s) == (640, 360, 30, 4)
    fixed = Capabilities(
        text_to_video=True, image_to_video=True, sizes=((1280, 720),), durations_s=(5.0, 9.0),
        fps=(24,), default_duration_s=5.0,
    )  # fmt: skip
    job = resolve_request(GenerationRequest("zoom in"), fixed, 1, settings)
    assert (job.width, job.height, job.fps, job.duration_s) == (1280, 720, 24, 5.0)
    explicit = GenerationRequest("zoom in", width=320, height=180, duration_s=2)
    job = resolve_request(explicit, free, 1, settings)
    assert (job.width, job.height, job.duration_s) == (320, 180, 2)


def test_the_preferred_size_keeps_to_the_area_a_model_was_trained_at(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Wan 2.1's 480P checkpoint takes 1280x720 but learned 832x480: the preferred 1280x720
    becomes 848x480 (its shape at the trained area); asked for explicitly, 1280x720 is rendered
    with a warning."""
    from reelrag.generation.base import resolve_request
    from reelrag.generation.diffusers.rules import VIDEO_RULES
    from reelrag.settings import load_settings

    settings = load_settings({"width": 1280, "height": 720}, environ={})
    wan480 = VIDEO_RULES["Wan-AI/Wan2.1-I2V-14B-480P-Diffusers"].capabilities()
    wan720 = VIDEO_RULES["Wan-AI/Wan2.1-I2V-14B-720P-Diffusers"].capabilities()
    request = GenerationRequest("zoom in", image="photo.jpg")
    job = resolve_request(request, wan480, 1, settings)
    assert (job.width, job.height) == (848, 480) and not caplog.records
    job = resolve_request(request, wan720, 1, settings)
    assert (job.width, job.height) == (1280, 720) and not caplog.records
    explicit = request.replace(width=1280, height=720)
    job = resolve_request(explicit, wan480, 1, settings)
    assert (job.width, job.height) == (1280, 720)
    assert "1280x720 is 2.3x the area this model was trained at" in caplog.text
    assert "848x480 keeps the shape within it" in caplog.text
    assert wan480.nearest_size((720, 1280)) == (480, 848)
