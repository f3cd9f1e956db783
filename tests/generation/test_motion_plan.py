"""Prompt -> MotionPlan: moves, directions, speeds, easing, from/to, atmosphere, not_rendered."""

from __future__ import annotations

import itertools

import pytest

from reelrag.errors import InputError
from reelrag.generation.camera.prompt import MOVE_NAMES, ease, plan_motion


@pytest.mark.parametrize(
    ("prompt", "moves", "speed"),
    [
        ("very slow pan down", ["pan-down"], "very slow"),
        ("camera rotates counter clockwise in slow motion", ["roll-ccw"], "slow"),
        ("Camera rolls anti-clockwise", ["roll-ccw"], "medium"),
        ("zoom in while panning left", ["zoom-in", "pan-left"], "medium"),
        ("fast zoom out", ["zoom-out"], "fast"),
        ("push in slowly", ["dolly-in"], "slow"),
        ("pull out", ["dolly-out"], "medium"),
        ("truck left quickly", ["truck-left"], "fast"),
        ("crane up", ["pedestal-up"], "medium"),
        ("camera moves right", ["truck-right"], "medium"),
        ("tilt down", ["tilt-down"], "medium"),
        ("arc around the statue to the right", ["arc-right"], "medium"),
        ("static shot", ["static"], "medium"),
        ("very fast whip pan to the right", ["pan-right"], "very fast"),
    ],
)
def test_prompt_moves_and_speed(prompt: str, moves: list[str], speed: str) -> None:
    plan = plan_motion(prompt, 6.0)
    assert [m.name for m in plan.moves] == moves
    assert plan.speed == speed
    assert not plan.default


def test_directions_follow_the_physical_camera() -> None:
    assert plan_motion("pan left", 6).end.x < 0 < plan_motion("pan right", 6).end.x
    assert plan_motion("tilt up", 6).end.y < 0 < plan_motion("tilt down", 6).end.y
    assert plan_motion("zoom out", 6).end.zoom < 1 < plan_motion("zoom in", 6).end.zoom
    assert (
        plan_motion("roll ccw", 6).end.angle_deg
        < 0
        < plan_motion("roll clockwise", 6).end.angle_deg
    )


def test_speed_scales_the_distance() -> None:
    slow, fast = plan_motion("slow pan left", 2.0), plan_motion("fast pan left", 2.0)
    assert abs(fast.end.x) > 2 * abs(slow.end.x)


def test_scene_only_prompt_gets_a_recorded_gentle_default() -> None:
    plan = plan_motion("a seashell in the sand", 6.0)
    assert plan.default and plan.sources["moves"] == "default"
    assert [m.name for m in plan.moves] == ["zoom-in"] and plan.speed == "slow"
    assert "default" in plan.describe()


def test_from_to_sets_the_direction() -> None:
    plan = plan_motion("tilt from the road to the sky", 6.0)
    assert plan.from_to == ("road", "sky")
    assert [m.name for m in plan.moves] == ["tilt-up"]
    assert [m.name for m in plan_motion("pan from left to right", 6).moves] == ["pan-right"]


def test_options_override_the_prompt() -> None:
    plan = plan_motion(
        "fast pan left", 6.0, {"move": "zoom-in+roll-cw", "speed": "very-slow", "easing": "linear"}
    )
    assert [m.name for m in plan.moves] == ["zoom-in", "roll-cw"]
    assert (plan.speed, plan.easing) == ("very slow", "linear")
    assert plan.sources == {"moves": "option", "speed": "option", "easing": "option"}


@pytest.mark.parametrize(
    "options",
    [{"move": "fly-away"}, {"speed": "warp"}, {"easing": "bouncy"}, {"atmosphere": "lava"}],
)
def test_unknown_options_are_rejected(options: dict[str, str]) -> None:
    with pytest.raises(InputError):
        plan_motion("pan left", 6.0, options)


def test_atmosphere_and_not_rendered() -> None:
    plan = plan_motion(
        "snow falls and low fog, a dog runs in as the camera pans left, the sun sets", 6.0
    )
    assert plan.atmosphere == ("snow", "fog")
    assert plan.not_rendered == ("a dog runs in", "the sun sets")
    assert [m.name for m in plan.moves] == ["pan-left"]


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("camera rotates clockwise while snow falls and a dragon flies", ("a dragon flies",)),
        ("pan left as the crowd cheers", ("the crowd cheers",)),
        ("zoom in on the dog wagging its tail", ("the dog wagging its tail",)),
        ("birds flew over the lake, slow zoom in", ("birds flew over the lake",)),
        ("the waves crash slowly while the camera pushes in", ("the waves crash",)),
        ("camera pans down over red running shoes", ()),
        ("a red rose in the rain, slow zoom in", ()),
        ("camera tilt up from the road to the sky", ()),
        ("the camera turns to the left", ()),
        ("sparks fly as the camera slowly rolls", ()),
    ],
)
def test_scene_action_is_reported_even_beside_camera_words(
    prompt: str, expected: tuple[str, ...]
) -> None:
    assert plan_motion(prompt, 6.0).not_rendered == expected


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("slow zoom in on the face", ("aim at the face",)),
        ("push in towards the red car", ("aim at the red car",)),
        ("camera pans to the left towards the lighthouse", ("aim at the lighthouse",)),
        ("dolly in at the door slowly", ("aim at the door",)),
        (
            "zoom in on the red shoes while the model walks",
            ("the model walks", "aim at the red shoes"),
        ),
        # an action already names its subject; places in the frame are directions, not targets
        ("zoom in on the dog wagging its tail", ("the dog wagging its tail",)),
        ("zoom in on the left", ()),
        ("a cinematic shot of a rocket on its launch pad. camera tilts up", ()),
        ("camera tilt up from the road to the sky", ()),
    ],
)
def test_a_target_to_aim_at_is_reported_not_rendered(
    prompt: str, expected: tuple[str, ...]
) -> None:
    """The engine moves about the photo's centre: it cannot find "the face" to aim at."""
    assert plan_motion(prompt, 6.0).not_rendered == expected


def test_big_moves_are_clamped_and_recorded() -> None:
    plan = plan_motion("very fast zoom out", 30.0)
    assert plan.end.zoom == pytest.approx(1 / 1.35)
    assert any("zoom limited" in a for a in plan.adjustments)


def test_every_named_move_is_accepted() -> None:
    for name in MOVE_NAMES:
        assert plan_motion("x", 1.0, {"move": name}).moves[0].name == name


def test_easing_is_monotonic_and_pinned() -> None:
    for name in ("ease-in-out", "linear", "ease-in", "ease-out"):
        values = [ease(name, i / 20) for i in range(21)]
        assert values[0] == 0 and values[-1] == pytest.approx(1)
        assert all(b >= a for a, b in itertools.pairwise(values))


def test_plan_round_trips_to_json_types() -> None:
    data = plan_motion("slow zoom in", 4.0).to_dict()
    assert data["moves"] == ["zoom-in"] and data["end"]["zoom"] > 1
    assert isinstance(data["start"], dict) and data["easing"] == "ease-in-out"
