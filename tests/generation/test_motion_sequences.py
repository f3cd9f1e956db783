"""Sequences run in order, stillness is a static shot, handheld shakes, amplitude scales moves."""

from __future__ import annotations

import itertools
import math

import pytest

from reelrag.errors import InputError
from reelrag.generation.camera.prompt import plan_motion


def test_a_sequence_runs_its_moves_one_after_the_other() -> None:
    plan = plan_motion("Zoom in, then pan right", 6.0)
    assert plan.segments == (("zoom-in",), ("pan-right",))
    middle = plan.at(0.5)
    assert middle.zoom == pytest.approx(plan.end.zoom) and middle.x == pytest.approx(0.0)
    assert plan.at(0.25).x == 0.0 and 1.0 < plan.at(0.25).zoom < middle.zoom
    assert plan.at(0.75).zoom == pytest.approx(plan.end.zoom) and 0 < plan.at(0.75).x < plan.end.x
    assert plan.describe().startswith("zoom-in then pan-right")


@pytest.mark.parametrize(
    "prompt",
    ["hold still", "no movement", "freeze frame", "the environment stays silent and still"],
)
def test_stillness_is_a_static_shot_not_the_default_zoom(prompt: str) -> None:
    plan = plan_motion(prompt, 6.0)
    assert [m.name for m in plan.moves] == ["static"] and not plan.default
    assert plan.end == plan.start


def test_a_still_scene_beside_a_move_keeps_the_move() -> None:
    plan = plan_motion("Camera zooms in slowly while the environment stays silent and still", 6)
    assert [m.name for m in plan.moves] == ["zoom-in"] and plan.end.zoom > 1


def test_handheld_shakes_a_little_smoothly_and_from_the_first_frame() -> None:
    plan = plan_motion("handheld shot of a market", 6.0)
    assert plan.shake > 0 and plan.at(0.0) == plan.start
    xs = [plan.at(i / 143).x for i in range(144)]
    assert 0.001 < max(abs(x) for x in xs) < 0.01
    steps = [abs(b - a) for a, b in itertools.pairwise(xs)]
    assert max(steps) < 0.001  # smooth: about a pixel a frame at 1280 wide, no jumps
    assert plan.to_dict()["handheld"] is True


def test_moves_without_depth_are_listed_never_silent() -> None:
    plan = plan_motion("slow parallax shot of the forest", 6.0)
    assert [m.name for m in plan.moves] == ["truck-right"]
    assert any("parallax" in item for item in plan.not_rendered)


def test_from_to_travels_further_than_a_plain_tilt() -> None:
    plain = plan_motion("camera tilts up", 6.0)
    travel = plan_motion("camera tilts up from the road to the sky", 6.0)
    assert travel.end.y < plain.end.y < 0


def test_amplitude_scales_every_move_and_is_checked() -> None:
    full = plan_motion("zoom in while panning left", 6.0)
    half = plan_motion("zoom in while panning left", 6.0, {"amplitude": 0.5})
    assert half.end.x == pytest.approx(full.end.x / 2)
    assert math.log(half.end.zoom) == pytest.approx(math.log(full.end.zoom) / 2)
    with pytest.raises(InputError):
        plan_motion("pan left", 6.0, {"amplitude": 2})
