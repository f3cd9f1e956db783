"""The demo's reel: three shots of the sample library in 16:9 and 9:16, signed.

Voice-over lines are spoken by espeak-ng when it is installed (``make demo`` tries to install
it); without it the reel has titles and no voice, and the demo still works.
"""

from __future__ import annotations

import shutil
from typing import Any

from reelrag.events import ProgressCallback, ignore_progress
from reelrag.reel.build import ReelResult, render_reel
from reelrag.reel.storyboard import Storyboard, parse_storyboard
from reelrag.settings import Settings

__all__ = ["demo_storyboard", "render_demo_reel"]

SHOTS = (
    ("a ginger cat", "Camera zooms in slowly", "title", "Your own photos", "Meet the office cat."),
    (
        "a rocket on its launch pad",
        "Camera tilts up",
        "lower_third",
        "Launch pad 39A",
        "Then, a launch pad at dawn.",
    ),
    ("a cup of coffee", "Camera pans left", "title", "Made with ReelRAG", "And coffee, of course."),
)
TRANSITIONS = ({"type": "crossfade", "duration": 0.5}, "dip-to-black", "cut")


def demo_storyboard(*, voice: bool | None = None) -> Storyboard:
    """The demo storyboard; ``voice`` None means "when espeak-ng is installed"."""
    speak = shutil.which("espeak-ng") is not None if voice is None else voice
    shots: list[dict[str, Any]] = []
    for (obj, action, text_kind, text, line), transition in zip(SHOTS, TRANSITIONS, strict=True):
        shot = {
            "object": obj,
            "action": action,
            "duration": 3.0,
            text_kind: text,
            "transition": transition,
        }
        if speak:
            shot["voiceover"] = line
        shots.append(shot)
    data = {
        "title": "ReelRAG demo reel",
        "aspect_ratios": ["16:9", "9:16"],
        "size": 360,
        "distinct": True,
        "shots": shots,
    }
    return parse_storyboard(data, source="demo storyboard")


def render_demo_reel(
    settings: Settings, *, library: Any = None, progress: ProgressCallback = ignore_progress
) -> ReelResult:
    """Render (or, when done before, return) the demo reel under ``outputs/reels/demo``."""
    out = settings.outputs_dir / "reels" / "demo" / "reel.mp4"
    return render_reel(demo_storyboard(), settings, out=out, library=library, progress=progress)
