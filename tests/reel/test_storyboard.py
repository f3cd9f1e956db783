"""Storyboards: parsing YAML/JSON into records, one-line errors, and the reel's timeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelrag.errors import InputError
from reelrag.reel.storyboard import load_storyboard, parse_aspects, parse_storyboard
from reelrag.reel.timeline import Timeline, output_size, safe_area

BOARD = """
title: Beach resort
aspect_ratios: [16:9, 9:16]
fps: 25
shots:
  - object: a sandy beach
    action: camera pans left
    duration: 4
    title: Welcome
    transition: {type: crossfade, duration: 0.4}
  - image: pool.jpg
    action: camera zooms in
    duration: 3
    voiceover: Dive in.
    transition: dip-to-black
  - asset: abc123
    action: camera tilts up
    duration: 2.5
"""


def test_yaml_storyboard_becomes_frozen_records(tmp_path: Path) -> None:
    path = tmp_path / "board.yaml"
    path.write_text(BOARD, encoding="utf-8")
    board = load_storyboard(path)
    assert board.title == "Beach resort" and board.aspect_ratios == ("16:9", "9:16")
    assert [s.transition for s in board.shots] == ["crossfade", "dip", "cut"]
    assert board.shots[0].transition_s == 0.4 and board.shots[1].transition_s == 0.5
    assert board.resolve(board.shots[1].image) == str(tmp_path / "pool.jpg")
    assert board.shots[2].asset_id == "abc123"
    with pytest.raises(AttributeError):
        board.shots[0].duration_s = 1  # type: ignore[misc]


def test_json_storyboard_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "board.json"
    path.write_text(json.dumps({"shots": [{"object": "cat", "action": "zoom", "duration": 2}]}))
    board = load_storyboard(path, aspect_ratios=("1:1",), distinct=True, fps=None)
    assert board.aspect_ratios == ("1:1",) and board.distinct and board.fps == 24


def test_same_storyboard_same_reel_id() -> None:
    data = {"shots": [{"object": "cat", "action": "zoom", "duration": 2}]}
    assert parse_storyboard(data).reel_id == parse_storyboard(dict(data)).reel_id
    other = {"shots": [{"object": "dog", "action": "zoom", "duration": 2}]}
    assert parse_storyboard(other).reel_id != parse_storyboard(data).reel_id


@pytest.mark.parametrize(
    ("shot", "message"),
    [
        ({"action": "zoom", "duration": 2}, "shot 1: give exactly one of object, image or asset"),
        ({"object": "a", "image": "b.jpg", "duration": 2}, "exactly one of object"),
        ({"object": "a", "duration": 0}, "duration must be between 0.5 and 60"),
        ({"object": "a", "duration": "long"}, "duration must be a number"),
        ({"object": "a", "duration": 2, "transition": "wipe"}, "unknown transition 'wipe'"),
        (
            {"object": "a", "duration": 1, "transition": {"type": "slide", "duration": 2}},
            "must be shorter than the shot",
        ),
        ({"object": "a", "duration": 2, "colour": "red"}, "unknown key(s) colour"),
    ],
)
def test_bad_shots_give_one_line_errors(shot: dict[str, object], message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_storyboard({"shots": [shot]}, source="b.yaml")
    text = str(err.value)
    assert message in text and "\n" not in text and text.startswith("b.yaml")


def test_bad_files_and_aspects(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_storyboard(tmp_path / "none.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("shots: [", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML"):
        load_storyboard(broken)
    with pytest.raises(InputError, match="'shots' must be a non-empty list"):
        parse_storyboard({"shots": []})
    with pytest.raises(InputError, match="aspect ratio '4:3' is not supported"):
        parse_aspects("16:9,4:3")
    assert parse_aspects("16:9, 9:16,16:9") == ("16:9", "9:16")


def test_timeline_overlaps_crossfades_and_keeps_dips() -> None:
    board = parse_storyboard(
        {
            "fps": 10,
            "shots": [
                {
                    "object": "a",
                    "duration": 2,
                    "transition": {"type": "crossfade", "duration": 0.5},
                },
                {"object": "b", "duration": 2, "transition": {"type": "dip", "duration": 0.4}},
                {"object": "c", "duration": 1},
            ],
        }
    )
    timeline = Timeline(board.shots, board.fps)
    assert [p.start for p in timeline.placements] == [0, 15, 35]
    assert timeline.frames == 45 and timeline.duration_s == 4.5
    overlap = timeline.frame(16)
    assert overlap.shot == 0 and overlap.next_local == 1 and 0 < overlap.mix < 1
    assert timeline.frame(34).brightness == 0.0  # the dip reaches black
    assert 0 < timeline.frame(35).brightness < 1 and timeline.frame(40).brightness == 1.0
    with pytest.raises(IndexError):
        timeline.frame(45)


def test_sizes_and_safe_areas() -> None:
    assert output_size("9:16", 1080) == (1080, 1920)
    x0, y0, _, y1 = safe_area("9:16", 1080, 1920)
    assert (x0, y0) == (65, 230) and y1 == 1536  # clear of feed overlays at the bottom
    assert safe_area("16:9", 1280, 720) == (64, 36, 1216, 684)
