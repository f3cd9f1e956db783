"""Where each shot sits in the reel, frame by frame, and each aspect ratio's frame and safe area.

Shots follow one another; a crossfade or slide overlaps the end of one shot with the start of
the next by the transition's length; a dip to black fades the outgoing shot out over the first
half of the transition and the incoming one in over the second half, without overlap; a cut is
a hard change. The reel lasts exactly ``frames`` frames at the storyboard's fps.
"""

from __future__ import annotations

from dataclasses import dataclass

from reelrag.reel.storyboard import Shot

__all__ = ["Frame", "Placement", "Timeline", "output_size", "safe_area"]

# Title-safe areas (left, top, right, bottom) as fractions of the frame: EBU R95's 5 % for
# 16:9; vertical feeds keep clear of the platform's caption and button overlays at the
# bottom and the account bar at the top; square feeds sit between the two.
SAFE_MARGINS = {
    "16:9": (0.05, 0.05, 0.05, 0.05),
    "9:16": (0.06, 0.12, 0.06, 0.20),
    "1:1": (0.06, 0.06, 0.06, 0.10),
}


def output_size(aspect: str, short_px: int) -> tuple[int, int]:
    """(width, height) of an output: the short side is ``short_px``, both even.

    >>> output_size("16:9", 720), output_size("9:16", 720), output_size("1:1", 720)
    ((1280, 720), (720, 1280), (720, 720))
    """
    long_px = round(short_px * 16 / 9 / 2) * 2
    return {"16:9": (long_px, short_px), "9:16": (short_px, long_px)}.get(
        aspect, (short_px, short_px)
    )


def safe_area(aspect: str, width: int, height: int) -> tuple[int, int, int, int]:
    """The title-safe box (x0, y0, x1, y1) in pixels of an output frame."""
    left, top, right, bottom = SAFE_MARGINS[aspect]
    return (
        round(width * left),
        round(height * top),
        round(width * (1 - right)),
        round(height * (1 - bottom)),
    )


@dataclass(frozen=True)
class Placement:
    """One shot on the timeline: its first reel frame and its frame count."""

    shot: Shot
    start: int
    frames: int
    fade_in: int = 0  # frames of fade from black at its start (dip to black)
    fade_out: int = 0  # frames of fade to black at its end

    @property
    def end(self) -> int:
        return self.start + self.frames


@dataclass(frozen=True)
class Frame:
    """What one reel frame shows: a shot and its local frame, maybe blended with the next."""

    index: int
    shot: int  # position in the timeline's placements
    local: int
    brightness: float = 1.0  # < 1 while dipping to black
    next_local: int | None = None  # the incoming shot's local frame during a crossfade/slide
    mix: float = 0.0  # how far the crossfade/slide has gone (0..1)
    kind: str = "cut"


class Timeline:
    """The reel's frames from its shots' durations and transitions."""

    def __init__(self, shots: tuple[Shot, ...], fps: int) -> None:
        if not shots:
            raise ValueError("a timeline needs shots")
        self.fps = fps
        self.placements = _place(shots, fps)
        self.frames = self.placements[-1].end

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps

    def cut_times_s(self) -> list[float]:
        """When each shot after the first starts (its first frame), in seconds."""
        return [p.start / self.fps for p in self.placements[1:]]

    def frame(self, index: int) -> Frame:
        """The composition of reel frame ``index`` (0-based)."""
        for k, p in enumerate(self.placements):
            if not p.start <= index < p.end:
                continue
            local = index - p.start
            nxt = self.placements[k + 1] if k + 1 < len(self.placements) else None
            if nxt is not None and index >= nxt.start:  # inside an overlap
                overlap = p.end - nxt.start
                mix = (index - nxt.start + 1) / (overlap + 1)
                return Frame(index, k, local, 1.0, index - nxt.start, mix, p.shot.transition)
            return Frame(index, k, local, _brightness(p, local))
        raise IndexError(f"frame {index} is past the reel's {self.frames} frames")


def _place(shots: tuple[Shot, ...], fps: int) -> list[Placement]:
    placements: list[Placement] = []
    start, fade_in = 0, 0
    for i, shot in enumerate(shots):
        frames = max(1, round(shot.duration_s * fps))
        last = i == len(shots) - 1
        transition = 0 if last else round(shot.transition_s * fps)
        kind = "cut" if last else shot.transition
        fade_out = (transition + 1) // 2 if kind == "dip" else 0
        placements.append(Placement(shot, start, frames, fade_in, fade_out))
        overlap = transition if kind in ("crossfade", "slide") else 0
        start += frames - overlap
        fade_in = transition // 2 if kind == "dip" else 0
    return placements


def _brightness(p: Placement, local: int) -> float:
    if p.fade_in and local < p.fade_in:
        return (local + 1) / (p.fade_in + 1)
    from_end = p.frames - 1 - local
    if p.fade_out and from_end < p.fade_out:
        return from_end / p.fade_out
    return 1.0
