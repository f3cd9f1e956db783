"""Output QA (``reelrag check``): passes good clips, fails broken ones with the right reason."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data
from typer.testing import CliRunner

from reelrag.cli.main import app
from reelrag.media.pixels import padding_bands
from reelrag.media.video import VideoWriter, read_frames
from reelrag.pipeline import generate
from reelrag.qa import Expect, check_video
from reelrag.settings import load_settings
from reelrag.types import GenerationRequest


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Camera clips of the coffee photo (3:2), made once for the module."""
    root = tmp_path_factory.mktemp("clips")
    settings = load_settings({"workspace": root / "ws"}, environ={})
    photo = root / "coffee.png"
    Image.fromarray(data.coffee()).resize((450, 300)).save(photo)
    made = {}
    for name, prompt, options in [
        ("pan", "camera pans right", {}),
        ("zoom", "slow zoom in, then pan left", {}),
        ("still", "hold still", {}),
        ("blur", "zoom in", {"fit": "blur"}),
    ]:
        request = GenerationRequest(prompt=prompt, image=str(photo), width=320, height=180,
                                    fps=24, duration_s=2.0, seed=1, backend="camera",
                                    options=options)  # fmt: skip
        made[name] = Path(generate(request, settings, out=root / f"{name}.mp4").video)
    made["photo"] = photo
    return made


def write_clip(path: Path, frames: list[np.ndarray], fps: int = 24) -> Path:
    with VideoWriter(path, frames[0].shape[1], frames[0].shape[0], fps) as writer:
        for frame in frames:
            writer.write_rgb(frame)
    return path


def test_good_outputs_pass_with_their_manifest(clips) -> None:
    for name in ("pan", "zoom", "still"):
        report = check_video(clips[name])
        assert report["verdict"] == "pass", report["summary"]
        assert report["checks"]["reference"]["ssim"] > 0.9
    moved = check_video(clips["pan"])["checks"]["motion"]["measured"]
    assert moved["x"] > 0.02 and abs(moved["y"]) < 0.01


def test_padding_fails_unless_it_was_asked(clips) -> None:
    asked = check_video(clips["blur"])
    assert asked["verdict"] == "pass" and any("as asked" in w for w in asked["warnings"])
    report = check_video(clips["blur"], Expect(prompt="zoom in"))
    assert report["verdict"] == "fail"
    assert any(f.startswith("padding on 100% of frames") for f in report["failures"])


def test_wrong_direction_fails(clips) -> None:
    report = check_video(clips["pan"], Expect(prompt="camera pans left", backend="camera"))
    assert report["failures"] == ["wrong direction: asked move-left, measured move-right"]


def test_a_frozen_video_fails_when_motion_was_asked(clips) -> None:
    report = check_video(clips["still"], Expect(prompt="zoom in"))
    assert report["verdict"] == "fail"
    assert report["failures"][0].startswith("frozen")
    assert check_video(clips["still"], Expect())["failures"][0].startswith("frozen")


def test_too_short_and_black_frames_fail(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    busy = [rng.integers(0, 255, (90, 160, 3), dtype=np.uint8) for _ in range(12)]
    short = write_clip(tmp_path / "short.mp4", busy)
    report = check_video(short, Expect(duration_s=6.0))
    assert any(f.startswith("too short: 0.50s of 6s asked") for f in report["failures"])
    assert "too short" in check_video(short, Expect())["summary"]
    dark = write_clip(tmp_path / "dark.mp4", [np.zeros((90, 160, 3), np.uint8)] * 30)
    assert any(f.startswith("black frames") for f in check_video(dark)["failures"])


def test_first_frame_must_match_the_reference(clips, tmp_path: Path) -> None:
    other = tmp_path / "other.png"
    Image.fromarray(data.astronaut()).save(other)
    report = check_video(clips["pan"], Expect(reference=other))
    assert any("does not match the reference" in f for f in report["failures"])


def test_cli_prints_one_line_exits_3_on_fail_and_writes_json(clips) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["check", str(clips["pan"])])
    assert ok.exit_code == 0 and ok.output.startswith("PASS pan.mp4")
    bad = runner.invoke(app, ["check", str(clips["pan"]), "--prompt", "tilt down", "--json"])
    assert bad.exit_code == 3
    report = json.loads(bad.output)
    assert report["verdict"] == "fail" and "asked move-down" in report["summary"]


def test_generate_records_the_verdict_in_the_manifest(clips) -> None:
    manifest = json.loads(clips["zoom"].with_suffix(".json").read_text(encoding="utf-8"))
    assert manifest["qa"]["verdict"] == "pass"
    assert manifest["details"]["plan"]["segments"] == [["zoom-in"], ["pan-left"]]


def _rocket_tilt(root: Path) -> Path:
    """The benchmark's false positive: a tilt on the 3:1 rocket panorama, whose straight
    full-height rocket beside clear sky read as a photo pasted on a fill."""
    settings = load_settings({"workspace": root / "ws", "qa_check": False}, environ={})
    photo = root / "rocket_640x213.png"
    Image.fromarray(np.ascontiguousarray(data.rocket()[107:320])).save(photo)
    request = GenerationRequest(prompt="camera tilt up from the road to the sky", image=str(photo),
                                width=640, height=360, fps=24, duration_s=2.0, seed=1,
                                backend="camera")  # fmt: skip
    return Path(generate(request, settings, out=root / "rocket.mp4").video)


def test_an_object_edge_beside_clear_sky_is_not_padding(tmp_path: Path) -> None:
    clip = _rocket_tilt(tmp_path)
    report = check_video(clip)
    assert report["verdict"] == "pass", report["summary"]
    assert report["checks"]["padding"]["frames_with_padding"] == 0
    # the same frame with its right fifth replaced by a blurred, dimmed fill is padding
    frame = next(iter(read_frames(clip, "gray"))).astype(np.float32)
    cut = frame.shape[1] - frame.shape[1] // 5
    fill = cv2.GaussianBlur(frame, (0, 0), 12) * 0.75
    pasted = np.concatenate([frame[:, :cut], fill[:, cut:]], axis=1).astype(np.uint8)
    assert padding_bands(frame.astype(np.uint8))["right"] == 0.0
    assert padding_bands(pasted)["right"] == pytest.approx(0.2, abs=0.02)
