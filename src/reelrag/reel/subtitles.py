"""Subtitles timed to the voice-over: cues, and WebVTT / SRT sidecars.

A voice-over line is split into cues of at most two lines of :data:`MAX_LINE_CHARS` characters
(the usual broadcast limit), each shown for the share of the spoken clip its characters take.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Cue", "cues_for", "to_srt", "to_vtt"]

MAX_LINE_CHARS = 42
MAX_LINES = 2


@dataclass(frozen=True)
class Cue:
    """One subtitle: shown from ``start_s`` to ``end_s``."""

    start_s: float
    end_s: float
    text: str  # lines joined by "\n"


def _lines(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and len(trial) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    return [*lines, current] if current else lines


def cues_for(text: str, start_s: float, duration_s: float) -> list[Cue]:
    """Cues for one spoken line starting at ``start_s`` and lasting ``duration_s``.

    >>> [(round(c.start_s, 2), round(c.end_s, 2), c.text) for c in cues_for("Hello there.", 1, 2)]
    [(1.0, 3.0, 'Hello there.')]
    """
    lines = _lines(text, MAX_LINE_CHARS)
    groups = [lines[i : i + MAX_LINES] for i in range(0, len(lines), MAX_LINES)]
    total = sum(len(" ".join(g)) for g in groups) or 1
    cues: list[Cue] = []
    at = float(start_s)
    for group in groups:
        share = duration_s * len(" ".join(group)) / total
        cues.append(Cue(at, at + share, "\n".join(group)))
        at += share
    return cues


def _stamp(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def to_vtt(cues: list[Cue]) -> str:
    """A WebVTT file.

    >>> print(to_vtt([Cue(0.5, 2.25, "Hi")]))
    WEBVTT
    <BLANKLINE>
    1
    00:00:00.500 --> 00:00:02.250
    Hi
    <BLANKLINE>
    """
    blocks = [
        f"{i}\n{_stamp(c.start_s, '.')} --> {_stamp(c.end_s, '.')}\n{c.text}\n"
        for i, c in enumerate(cues, 1)
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)


def to_srt(cues: list[Cue]) -> str:
    """A SubRip file."""
    blocks = [
        f"{i}\n{_stamp(c.start_s, ',')} --> {_stamp(c.end_s, ',')}\n{c.text}\n"
        for i, c in enumerate(cues, 1)
    ]
    return "\n".join(blocks)
