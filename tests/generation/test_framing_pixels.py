"""Framing inside the photo, verified from decoded pixels: no frame of any camera move shows
padding on photos of five aspect ratios; a move the photo cannot give is reduced and recorded;
the user's focus is kept; padding appears only when asked."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from reelrag.media.video import read_frames
from reelrag.pipeline import generate
from reelrag.settings import Settings, load_settings
from reelrag.types import GenerationRequest

ASPECTS = {"3x2": (300, 200), "4x3": (320, 240), "portrait": (240, 360), "square": (300, 300),
           "panorama": (660, 220)}  # fmt: skip
MOVES = ["pan-left", "pan-right", "tilt-up", "tilt-down", "roll-cw", "zoom-out",
         "dolly-out+roll-ccw"]  # fmt: skip
W, H = 192, 108
BLOCK = 12


def textured(size: tuple[int, int]) -> Image.Image:
    """Fine coloured noise: every block of every frame is busy unless a fill or bar shows."""
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(cv2.GaussianBlur(noise, (0, 0), 0.8))


def flat_blocks(frame: np.ndarray) -> int:
    """Blocks with almost no texture: padding (black bars, blurred fill, smeared edges)."""
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)
    h, w = (grey.shape[0] // BLOCK) * BLOCK, (grey.shape[1] // BLOCK) * BLOCK
    blocks = grey[:h, :w].reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK).std(axis=(1, 3))
    return int((blocks < 6).sum())


@pytest.fixture
def cfg(tmp_path: Path) -> Settings:
    return load_settings({"workspace": tmp_path / "ws"}, environ={})


def render(cfg: Settings, tmp_path: Path, photo: Image.Image, prompt: str, **options: str):
    path = tmp_path / f"photo{photo.size[0]}x{photo.size[1]}.png"
    if not path.exists():
        photo.save(path)
    request = GenerationRequest(
        prompt=prompt,
        image=str(path),
        width=W,
        height=H,
        fps=12,
        duration_s=1.5,
        seed=3,
        backend="camera",
        options=options,
    )
    out = tmp_path / f"{abs(hash((prompt, str(options), photo.size)))}.mp4"
    result = generate(request, cfg, out=out)
    manifest = json.loads(Path(result.manifest).read_text(encoding="utf-8"))
    return result, manifest, list(read_frames(out))


@pytest.mark.parametrize("aspect", ASPECTS)
def test_no_frame_of_any_move_shows_padding(cfg, tmp_path, aspect) -> None:
    photo = textured(ASPECTS[aspect])
    for move in MOVES:
        result, manifest, frames = render(cfg, tmp_path, photo, "x", move=move, speed="very fast")
        padded = sum(flat_blocks(f) > 0 for f in frames)
        assert padded == 0, f"{aspect} {move}: {padded} of {len(frames)} frames padded"
        assert manifest["qa"]["checks"]["padding"]["frames_with_padding"] == 0
        assert result.qa.startswith("PASS"), result.qa


def test_a_move_the_photo_cannot_give_is_reduced_and_recorded(cfg, tmp_path) -> None:
    photo = textured((800, 200))  # 4:1: a full tilt would need a much closer crop
    strict = load_settings({"workspace": cfg.workspace, "camera_max_crop_zoom": 1.1}, environ={})
    _, manifest, frames = render(
        strict, tmp_path, photo, "camera tilts up from the road to the sky"
    )
    assert any("move reduced" in a for a in manifest["adjustments"])
    assert 0 < manifest["request"]["options"]["amplitude"] < 1
    assert all(flat_blocks(f) == 0 for f in frames)
    assert manifest["framing"]["from_to"]["to"]["words"] == "sky"


def test_focus_keeps_the_named_subject_in_every_frame(cfg, tmp_path) -> None:
    photo = textured((400, 400))
    _, manifest, _ = render(cfg, tmp_path, photo, "pan right", focus="0.0,0.0,0.3,0.2")
    x0, y0, _x1, _y1 = manifest["fit"]["crop_box"]
    assert y0 <= 5 and x0 <= 5  # the crop reaches the top-left corner where the subject is


def test_padding_only_when_asked(cfg, tmp_path) -> None:
    photo = textured((240, 360))
    result, manifest, frames = render(cfg, tmp_path, photo, "zoom in", fit="blur")
    assert flat_blocks(frames[0]) > 0  # the blurred fill shows, as asked
    assert manifest["fit"]["fill"] == "blur" and result.qa.startswith("PASS")
    assert any("padding" in w and "as asked" in w for w in manifest["qa"]["warnings"])


def test_extend_paints_the_band_instead_of_a_border(cfg, tmp_path) -> None:
    photo = textured((240, 360))
    _, manifest, frames = render(cfg, tmp_path, photo, "static shot", fit="extend")
    assert manifest["fit"]["fill"] == "extend:opencv"
    assert manifest["framing"]["extend"]["band_share"] > 0.3
    grey = cv2.cvtColor(frames[0], cv2.COLOR_RGB2GRAY)
    assert grey[:, :10].mean() > 40  # the band is painted from the photo, not left black
    assert manifest["qa"]["checks"]["padding"]["frames_with_padding"] == 0
