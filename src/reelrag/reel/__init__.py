"""Reels: finished pieces from a storyboard -- shots rendered as jobs, composed with transitions,
titles, subject-aware reframing per aspect ratio, music, voice-over and subtitles, then signed.

>>> from reelrag.reel import load_storyboard, render_reel  # doctest: +SKIP
"""

from __future__ import annotations

from reelrag.reel.build import ReelResult, default_out, render_reel
from reelrag.reel.storyboard import Shot, Storyboard, load_storyboard, parse_storyboard

__all__ = [
    "ReelResult",
    "Shot",
    "Storyboard",
    "default_out",
    "load_storyboard",
    "parse_storyboard",
    "render_reel",
]
