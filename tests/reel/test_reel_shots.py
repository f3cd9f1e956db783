"""The format shots render at, per backend, and the reframing of a shot into each output."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image
from reel_media import subject_photo

from reelrag.batch.plan import generator_cache
from reelrag.generation.resources import Resources
from reelrag.media.video import read_frames
from reelrag.plugins import registry
from reelrag.reel import parse_storyboard, render_reel
from reelrag.reel.compose import reframe
from reelrag.reel.reframe import crop_track
from reelrag.reel.shots import plan_shots, shot_formats, shot_jobs
from reelrag.settings import Settings
from reelrag.testing.remote import SimulatedGenerator, ledger_path
from reelrag.testing.remote import register as register_simulated


def _size(photo: Path, settings: Settings, **reel: Any) -> tuple[int, int]:
    shot = {"image": str(photo), "action": "zoom in", "duration": 1.0}
    board = parse_storyboard({"shots": [shot], **reel})
    make = generator_cache(settings)
    plan = plan_shots(board, settings, make=make)
    formats = shot_formats(plan, board, make)
    (width, height, fps), *others = formats.values()
    request = shot_jobs(plan, board, formats)[0].payload["request"]
    assert not others and (request["width"], request["height"], request["fps"]) == (
        width,
        height,
        fps,
    )
    return width, height


@dataclass(frozen=True)
class FixedBackend:
    """A simulated model that renders only a few sizes, only at 8 fps (as CogVideoX does), and
    clips of 1 or 3 seconds (as Luma Ray2 renders 5 or 9)."""

    sizes: tuple[tuple[int, int], ...] = ((320, 176), (176, 320), (640, 352))

    @property
    def resources(self) -> Resources:
        return Resources(cpus=0.0, io=True)

    def from_settings(self, settings: Settings) -> SimulatedGenerator:
        made = SimulatedGenerator(ledger_path(settings), latency_s=0.01)
        caps = replace(
            made.capabilities,
            sizes=self.sizes,
            fps=(8,),
            default_size=self.sizes[0],
            durations_s=(1.0, 3.0),
        )
        made.capabilities = caps
        return made


@pytest.fixture
def fixed() -> Iterator[str]:
    """``--backend fixed``: a :class:`FixedBackend`, registered for one test."""
    registry.register("generator", "fixed", FixedBackend())
    yield "fixed"
    registry.unregister("generator", "fixed")


def test_a_vertical_reel_renders_shots_as_tall_as_its_vertical_output(
    settings: Settings, tmp_path: Path, fixed: str
) -> None:
    photo = subject_photo(tmp_path / "p.jpg")
    assert _size(photo, settings, size=720) == (1280, 720)  # 16:9 only: the reel's own size
    vertical = {"size": 720, "aspect_ratios": "16:9,9:16"}
    assert _size(photo, settings, **vertical) == (2276, 1280)  # the 9:16 window: 720x1280
    assert _size(photo, settings, size=144, aspect_ratios="9:16") == (456, 256)
    register_simulated(latency_s=0.01)  # renders any size up to 1920: 2276 is too large
    assert _size(photo, settings, backend="simulated", **vertical) == (1280, 720)
    assert _size(photo, settings, backend=fixed, size=144) == (320, 176)  # the nearest area
    assert _size(photo, settings, backend=fixed, size=360) == (640, 352)


@dataclass(frozen=True)
class TrainedBackend:
    """A simulated model that renders any size in multiples of 16 but was trained at 640x360
    (as the Wan 2.1 480P checkpoint renders 1280x720, trained at 832x480)."""

    def from_settings(self, settings: Settings) -> SimulatedGenerator:
        made = SimulatedGenerator(ledger_path(settings), latency_s=0.01)
        made.capabilities = replace(made.capabilities, size_multiple=16, max_area_px=640 * 360)
        return made


def test_shots_stay_within_the_area_a_model_was_trained_at(
    settings: Settings, tmp_path: Path
) -> None:
    """A 720 reel on a model trained at 640x360 renders its shots at about that area, in the
    reel's shape, and the reel scales them up (before: at 1280x720, four times the area the
    model learned)."""
    photo = subject_photo(tmp_path / "p.jpg")
    registry.register("generator", "trained", TrainedBackend())
    try:
        assert _size(photo, settings, backend="trained", size=720) == (640, 368)
        assert _size(photo, settings, backend="trained", size=720, aspect_ratios="9:16") == (
            368,
            640,
        )
        assert _size(photo, settings, backend="trained", size=320) == (576, 320)  # within it
    finally:
        registry.unregister("generator", "trained")


def test_shots_on_a_model_with_fixed_sizes_and_fps_make_the_reel(
    settings: Settings, tmp_path: Path, fixed: str
) -> None:
    """A model's own size, frame rate and clip length (here 320x176 at 8 fps, 3 s for a 2 s
    shot) are what its shots render at; the reel crops, retimes and trims them: before, every
    shot failed ("size 256x144 is not supported", "duration 2s is not supported"; LTX-Video
    refused 1280x720, not a multiple of 32)."""
    photo = subject_photo(tmp_path / "p.jpg")
    shots = [{"image": str(photo), "action": "zoom in", "duration": 2.0}] * 2
    board = parse_storyboard(
        {"size": 144, "fps": 24, "aspect_ratios": "16:9,9:16", "backend": fixed, "shots": shots}
    )
    make = generator_cache(settings)
    plan = plan_shots(board, settings, make=make)
    formats = shot_formats(plan, board, make)
    assert formats == {"fixed": (320, 176, 8)}
    assert [r.request.duration_s for r in plan.rows] == [3.0, 3.0]
    result = render_reel(board, settings, out=tmp_path / "r.mp4")
    assert result.shots == 2 and not result.missing and len(result.videos) == 2
    for video, size in zip(result.videos, ((256, 144), (144, 256)), strict=True):
        frames = list(read_frames(Path(video)))
        assert frames[0].shape[:2] == size[::-1] and len(frames) == result.frames
    # the first second shows the 8 fps clip's first 8 frames, each for 3 of the reel's frames
    # (played at 24 fps as it came, the clip would run 3x too fast and then freeze)
    first = [f.astype(np.int16) for f in list(read_frames(Path(result.videos[0])))[:24]]
    changes = [i for i in range(1, 24) if np.abs(first[i] - first[i - 1]).mean() > 0.5]
    assert changes == list(range(3, 24, 3))


def test_a_window_larger_than_its_output_is_averaged_not_skipped() -> None:
    h, w = 128, 228
    luma = np.zeros((h, w), np.uint8)
    luma[:, ::2] = 255  # one-pixel stripes: a linear warp at 1/2 would keep every other one
    i420 = np.concatenate([luma, np.full((h // 2, w), 128, np.uint8)])

    class Window:  # the left 128x128, shown at 64x64
        height = h

        def box(self, local: int) -> tuple[float, float, float, float]:
            return (0.0, 0.0, 128.0, 128.0)

    out = reframe(i420, Window(), 0, (64, 64))  # type: ignore[arg-type]
    assert out.shape == (96, 64)
    assert out[:64].std() < 1.0 and out[:64].mean() == pytest.approx(127.5, abs=1.0)


def _texture(path: Path, w: int, h: int) -> Path:
    """A photo with detail at every scale (1/f noise), so softness shows."""
    rng = np.random.default_rng(0)
    f = np.fft.fftfreq(h)[:, None] ** 2 + np.fft.rfftfreq(w)[None, :] ** 2
    spectrum = (rng.standard_normal(f.shape) + 1j * rng.standard_normal(f.shape)) / np.maximum(
        f, 1e-6
    ) ** 0.5
    grey = np.fft.irfft2(spectrum, s=(h, w))
    grey = (grey - grey.min()) / (grey.max() - grey.min()) * 255
    Image.fromarray(np.dstack([grey, grey[::-1], grey[:, ::-1]]).astype(np.uint8)).save(path)
    return path


def _detail(video: Path) -> float:
    frames = list(read_frames(video))
    grey = cv2.cvtColor(frames[len(frames) // 2], cv2.COLOR_RGB2GRAY).astype(np.float64)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def test_the_vertical_output_is_as_sharp_as_the_wide_one(
    settings: Settings, tmp_path: Path
) -> None:
    photo = _texture(tmp_path / "texture.png", 1200, 800)
    shot = {"image": str(photo), "action": "very slow zoom in", "duration": 1.0}
    board = parse_storyboard(
        {"size": 144, "fps": 24, "aspect_ratios": "16:9,9:16,1:1", "shots": [shot]}
    )
    wide, tall, square = map(Path, render_reel(board, settings, out=tmp_path / "r.mp4").videos)
    # shots at the reel's own 16:9 size gave the 9:16 output 0.15 of the wide one's detail; a
    # warp by fractions of a pixel after averaging the square window down gave it 0.77
    assert _detail(tall) > 0.7 * _detail(wide) and _detail(square) > 0.9 * _detail(wide)


def test_a_reel_without_a_wide_output_has_a_fixed_size_model_render_upright(
    settings: Settings, tmp_path: Path, fixed: str
) -> None:
    """A model that renders 176x320 as well as 320x176 renders a 9:16 reel's shots upright: its
    9:16 output is the model's own picture, not a 99x176 window of a wide one upscaled; a 1:1
    output is a window that follows the subject up and down the upright shot."""
    photo = _texture(tmp_path / "texture.png", 900, 1200)
    assert _size(photo, settings, backend=fixed, size=144, aspect_ratios="9:16") == (176, 320)
    assert _size(photo, settings, backend=fixed, size=144, aspect_ratios="9:16,1:1") == (176, 320)
    assert _size(photo, settings, backend=fixed, size=144, aspect_ratios="16:9,9:16") == (320, 176)
    shot = {"image": str(photo), "action": "zoom in", "duration": 1.0}
    details = {}
    for ratios in ("9:16,1:1", "16:9,9:16"):
        board = parse_storyboard(
            {"size": 144, "fps": 24, "aspect_ratios": ratios, "backend": fixed, "shots": [shot]}
        )
        videos = render_reel(board, settings, out=tmp_path / f"{ratios[:4]}.mp4").videos
        tall = next(Path(v) for v in videos if ".9x16." in v)
        assert next(read_frames(tall)).shape[:2] == (256, 144)
        details[ratios] = _detail(tall)
    assert details["9:16,1:1"] > 1.3 * details["16:9,9:16"]  # 189 against 129 when written


def test_a_window_follows_the_subject_up_and_down_an_upright_shot() -> None:
    frames = []
    for k in range(9):  # a bright square sliding from the top of a 64x128 frame to the bottom
        rgb = np.full((128, 64, 3), 40, np.uint8)
        y = 8 + k * 10
        rgb[y : y + 24, 20:44] = 255
        frames.append(rgb)
    track = crop_track(iter(frames), (64, 128), (64, 64), fps=4, count=len(frames))
    assert track.vertical and (track.width, track.height) == (64, 64)
    first, last = track.box(0), track.box(len(frames) - 1)
    assert first[0] == last[0] == 0.0 and first[1] < 20 < 40 < last[1]
