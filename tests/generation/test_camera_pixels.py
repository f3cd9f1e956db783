"""The camera engine, verified from decoded pixels: direction, magnitude, speed, first frame,
no empty borders, smoothness and determinism."""

from __future__ import annotations

import hashlib
import math
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data
from skimage.metrics import structural_similarity

from reelrag.generation.base import ResolvedRequest, check_request
from reelrag.generation.camera import render as camera
from reelrag.generation.camera.render import CameraGenerator, frame_matrix
from reelrag.media import fit as imaging
from reelrag.media.measure import frame_shifts, jitter_px2
from reelrag.media.video import read_frames
from reelrag.types import GenerationRequest

W, H, FPS = 320, 180, 24


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return Image.fromarray(data.astronaut())


def job_for(
    options: dict[str, str],
    frames: int = 24,
    prompt: str = "camera move",
    size: tuple[int, int] = (W, H),
) -> ResolvedRequest:
    request = GenerationRequest(
        prompt=prompt,
        image="photo",
        width=size[0],
        height=size[1],
        fps=FPS,
        duration_s=frames / FPS,
        seed=5,
        options=options,
    )
    return check_request(request, CameraGenerator.capabilities, seed=5)


def render(
    photo: Image.Image, tmp_path: Path, job: ResolvedRequest, crf: int = 16
) -> tuple[list[np.ndarray], imaging.FittedImage]:
    generator = CameraGenerator(crf=crf)
    m = generator.framing_margins(job)
    fitted = imaging.fit_image(
        photo,
        job.width,
        job.height,
        mode="crop",
        margins=(m.left_px, m.top_px, m.right_px, m.bottom_px),
    )
    out = tmp_path / f"{abs(hash(str(job.request.options)))}.mp4"
    generator.generate(job, fitted.canvas, out)
    return list(read_frames(out)), fitted


def total_shift(frames: list[np.ndarray]) -> np.ndarray:
    """Shift of the picture from the first to the last frame (one correlation: no sub-pixel
    bias piles up as it would summing 23 small steps)."""
    return frame_shifts([frames[0], frames[-1]])[0]


def similarity(first: np.ndarray, last: np.ndarray) -> tuple[float, float]:
    """(scale, angle in degrees) of the similarity transform taking ``first`` to ``last``."""
    a, b = (cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in (first, last))
    points = cv2.goodFeaturesToTrack(a, 300, 0.01, 6)
    moved, status, _ = cv2.calcOpticalFlowPyrLK(a, b, points, None)
    good = status.ravel() == 1
    matrix, _ = cv2.estimateAffinePartial2D(points[good], moved[good], method=cv2.RANSAC)
    return math.hypot(matrix[0, 0], matrix[1, 0]), math.degrees(
        math.atan2(matrix[1, 0], matrix[0, 0])
    )


@pytest.mark.parametrize(
    ("move", "axis", "sign"),
    [("pan-left", 0, 1), ("pan-right", 0, -1), ("tilt-up", 1, 1), ("tilt-down", 1, -1)],
)
def test_pan_and_tilt_direction_and_magnitude(photo, tmp_path, move, axis, sign) -> None:
    job = job_for({"move": move, "speed": "fast"})
    frames, _ = render(photo, tmp_path, job)
    shift = total_shift(frames)
    plan = CameraGenerator().plan(job)
    expected = abs(plan.end.x * W if axis == 0 else plan.end.y * H)
    # the picture slides opposite to the camera: pan left -> content moves right (+x)
    assert np.sign(shift[axis]) == sign
    assert abs(shift[axis]) == pytest.approx(expected, rel=0.15)
    assert abs(shift[1 - axis]) < 0.1 * expected


@pytest.mark.parametrize(("move", "bigger"), [("zoom-in", True), ("zoom-out", False)])
def test_zoom_direction_and_magnitude(photo, tmp_path, move, bigger) -> None:
    job = job_for({"move": move, "speed": "fast"})
    frames, _ = render(photo, tmp_path, job)
    scale, angle = similarity(frames[0], frames[-1])
    expected = CameraGenerator().plan(job).end.zoom
    assert (scale > 1) == bigger
    assert scale == pytest.approx(expected, rel=0.02)
    assert abs(angle) < 0.3


@pytest.mark.parametrize(("move", "sign"), [("roll-cw", -1), ("roll-ccw", 1)])
def test_roll_direction_and_magnitude(photo, tmp_path, move, sign) -> None:
    job = job_for({"move": move, "speed": "fast"})
    frames, _ = render(photo, tmp_path, job)
    scale, angle = similarity(frames[0], frames[-1])
    expected = abs(CameraGenerator().plan(job).end.angle_deg)
    # OpenCV's y axis points down: a camera rolling clockwise turns the picture counter-clockwise,
    # which is a negative angle here
    assert np.sign(angle) == sign
    assert abs(angle) == pytest.approx(expected, rel=0.15)
    assert scale == pytest.approx(1.0, abs=0.01)


def test_slow_and_fast_differ_measurably(photo, tmp_path) -> None:
    slow, _ = render(photo, tmp_path, job_for({"move": "pan-right", "speed": "slow"}))
    fast, _ = render(photo, tmp_path, job_for({"move": "pan-right", "speed": "fast"}))
    ratio = abs(total_shift(fast)[0]) / abs(total_shift(slow)[0])
    assert ratio == pytest.approx(1.8 / 0.7, rel=0.15)


def test_first_frame_is_the_fitted_image(photo, tmp_path) -> None:
    frames, fitted = render(photo, tmp_path, job_for({"move": "zoom-out+pan-left"}, frames=6))
    grey = cv2.cvtColor(frames[0], cv2.COLOR_RGB2GRAY)
    reference = np.asarray(fitted.image.convert("L"))
    assert structural_similarity(reference, grey) >= 0.98
    assert cv2.PSNR(np.asarray(fitted.image), frames[0]) > 30


@pytest.mark.parametrize(
    "move",
    [
        "pan-left",
        "pan-right",
        "tilt-up",
        "tilt-down",
        "zoom-out",
        "roll-cw",
        "roll-ccw",
        "arc-left",
        "dolly-out+roll-cw",
    ],
)
def test_motion_never_reveals_an_empty_border(move) -> None:
    """Every frame's corners, including the extreme frames, sample inside the canvas."""
    generator = CameraGenerator()
    job = job_for({"move": move, "speed": "very fast"}, frames=48)
    m = generator.framing_margins(job)
    canvas_w, canvas_h = W + m.left_px + m.right_px, H + m.top_px + m.bottom_px
    corners = np.array([[0, 0, W - 1, W - 1], [0, H - 1, 0, H - 1], [1, 1, 1, 1]], float)
    for framing in generator.framings(job):
        xs, ys = frame_matrix(framing, W, H, (m.left_px, m.top_px)) @ corners
        assert xs.min() >= 0 and xs.max() <= canvas_w - 1
        assert ys.min() >= 0 and ys.max() <= canvas_h - 1


def test_extreme_frames_show_no_fill_pixels(tmp_path) -> None:
    """Pixels: a canvas framed by a black ring never shows the ring."""
    generator = CameraGenerator(crf=10)
    job = job_for({"move": "zoom-out+roll-ccw", "speed": "very fast"}, frames=12)
    m = generator.framing_margins(job)
    canvas = np.full((H + m.top_px + m.bottom_px, W + m.left_px + m.right_px, 3), 255, np.uint8)
    canvas[0], canvas[-1], canvas[:, 0], canvas[:, -1] = 0, 0, 0, 0
    out = tmp_path / "ring.mp4"
    generator.generate(job, Image.fromarray(canvas), out)
    frames = list(read_frames(out, "gray"))
    assert min(int(frames[0].min()), int(frames[-1].min())) > 200


@pytest.mark.slow
def test_motion_is_smooth(photo, tmp_path) -> None:
    # crf 12: at 320x180 x264's own noise at higher crf is of the same order as the limit
    frames, _ = render(
        photo, tmp_path, job_for({"move": "zoom-in+pan-left", "speed": "slow"}, frames=48), crf=12
    )
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    assert jitter_px2(grey) <= 0.001


def test_same_inputs_and_seed_give_identical_frames(photo, tmp_path) -> None:
    job = job_for({"move": "pan-left", "atmosphere": "snow+fog"}, frames=8)
    digests = []
    for name in ("a", "b"):
        run_dir = tmp_path / name
        frames, _ = render(photo, run_dir, job)
        digests.append(hashlib.sha256(b"".join(f.tobytes() for f in frames)).hexdigest())
    assert digests[0] == digests[1]


def test_atmosphere_layers_change_pixels(photo, tmp_path) -> None:
    plain, _ = render(photo, tmp_path / "plain", job_for({"move": "static"}, frames=4))
    for effect in ("snow", "rain", "particles", "sparks", "fog"):
        frames, _ = render(
            photo, tmp_path / effect, job_for({"move": "static", "atmosphere": effect}, frames=4)
        )
        assert np.abs(frames[2].astype(int) - plain[2]).mean() > 0.2, effect
        assert not np.array_equal(frames[1], frames[3]), effect  # it moves


def test_colour_survives_the_move(tmp_path) -> None:
    # chroma is warped from its own (half-size) plane: a red/blue split must stay put in colour
    rgb = np.zeros((H, W, 3), np.uint8)
    rgb[:, : W // 2] = (200, 30, 30)
    rgb[:, W // 2 :] = (30, 30, 200)
    frames, _ = render(Image.fromarray(rgb), tmp_path, job_for({"move": "zoom-in"}, frames=6))
    for frame in (frames[0], frames[-1]):
        left, right = frame[:, : W // 4].reshape(-1, 3), frame[:, -W // 4 :].reshape(-1, 3)
        assert np.abs(np.median(left, axis=0) - (200, 30, 30)).max() < 12
        assert np.abs(np.median(right, axis=0) - (30, 30, 200)).max() < 12


def test_render_thread_stops_when_the_consumer_stops(photo) -> None:
    job = job_for({"move": "zoom-in"}, frames=24)
    generator = CameraGenerator()
    m = generator.framing_margins(job)
    fitted = imaging.fit_image(
        photo, W, H, mode="crop", margins=(m.left_px, m.top_px, m.right_px, m.bottom_px)
    )
    renderer = camera._Renderer(fitted.canvas, job, (m.left_px, m.top_px), [])
    frames = camera._rendered(renderer, generator.framings(job), {})
    next(frames)
    frames.close()  # joins the worker; a hang here fails the test by timeout
    assert not any(t.name == "reelrag-camera-render" for t in threading.enumerate())
