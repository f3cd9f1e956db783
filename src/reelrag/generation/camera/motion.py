"""The camera's plan, explicit: moves, framing over time, easing and a handheld wobble.

:mod:`~reelrag.generation.camera.prompt` builds a :class:`MotionPlan` from words; the renderer
asks it where the camera looks at each moment (:meth:`MotionPlan.at`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

EASE_SHARE = 0.5  # share of cosine easing in "ease-in-out"; the rest is constant speed
HANDHELD_PX = 0.004  # handheld wobble: frame widths (5 px at 1280) ...
HANDHELD_DEG = 0.25  # ... and degrees of roll, from a few slow incommensurate sines


@dataclass(frozen=True)
class Move:
    """One camera move, e.g. kind "pan", direction "left", from the words ``phrase``."""

    kind: str
    direction: str
    phrase: str = ""

    @property
    def name(self) -> str:
        return self.kind if self.kind == "static" else f"{self.kind}-{self.direction}"


@dataclass(frozen=True)
class Framing:
    """Where the camera looks: centre offset in frame widths/heights (+ right/down), zoom
    (1 = the fitted frame, > 1 closer) and roll in degrees (+ = camera clockwise)."""

    x: float = 0.0
    y: float = 0.0
    zoom: float = 1.0
    angle_deg: float = 0.0

    def to_dict(self) -> dict[str, float]:
        return {k: round(v, 5) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class MotionPlan:
    """What the camera does over the clip, and where each choice came from."""

    moves: tuple[Move, ...]
    speed: str
    easing: str
    start: Framing
    end: Framing
    default: bool = False  # True when the prompt named no camera move
    atmosphere: tuple[str, ...] = ()
    not_rendered: tuple[str, ...] = ()
    from_to: tuple[str, str] | None = None
    sources: dict[str, str] = field(default_factory=dict)
    adjustments: tuple[str, ...] = ()
    keyframes: tuple[Framing, ...] = ()  # where each segment of a sequence ends, but the last
    segments: tuple[tuple[str, ...], ...] = ()  # the move names of each segment, in order
    shake: float = 0.0  # handheld wobble, in frame widths (0 = a steady camera)
    duration_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "moves": [m.name for m in self.moves],
            "phrases": [m.phrase for m in self.moves],
            "speed": self.speed,
            "easing": self.easing,
            "start": self.start.to_dict(),
            "end": self.end.to_dict(),
            "default": self.default,
            "atmosphere": list(self.atmosphere),
            "not_rendered": list(self.not_rendered),
            "from_to": list(self.from_to) if self.from_to else None,
            "sources": dict(self.sources),
            "adjustments": list(self.adjustments),
            "segments": [list(seg) for seg in self.segments],
            "keyframes": [k.to_dict() for k in self.keyframes],
            "handheld": self.shake > 0,
        }

    def describe(self) -> str:
        parts = self.segments or ((tuple(m.name for m in self.moves)),)
        moves = " then ".join(" + ".join(seg) for seg in parts)
        moves += " (handheld)" if self.shake else ""
        tag = " (default: no camera move in the prompt)" if self.default else ""
        return f"{moves}, {self.speed}, {self.easing}{tag}"

    def at(self, t: float) -> Framing:
        """The framing at time fraction ``t`` in [0, 1], after easing; a sequence eases each
        of its segments in turn."""
        points = (self.start, *self.keyframes, self.end)
        n = len(points) - 1
        t = min(1.0, max(0.0, t))
        index = min(n - 1, int(t * n))
        s, e = points[index], points[index + 1]
        p = ease(self.easing, t * n - index)
        log_zoom = math.log(s.zoom) + p * (math.log(e.zoom) - math.log(s.zoom))
        framing = Framing(
            x=s.x + p * (e.x - s.x),
            y=s.y + p * (e.y - s.y),
            zoom=math.exp(log_zoom),
            angle_deg=s.angle_deg + p * (e.angle_deg - s.angle_deg),
        )
        return _shaken(framing, t * self.duration_s, self.shake) if self.shake else framing


def _shaken(framing: Framing, seconds: float, amount: float) -> Framing:
    """A handheld camera's slow wobble: smooth, deterministic, zero at the first frame."""

    def wave(freqs: tuple[float, float, float]) -> float:
        return sum(
            math.sin(2 * math.pi * f * seconds) * w
            for f, w in zip(freqs, (0.55, 0.3, 0.15), strict=True)
        )

    return Framing(
        x=framing.x + amount * wave((0.31, 0.83, 1.91)),
        y=framing.y + amount * 16 / 9 * wave((0.43, 0.67, 1.57)),
        zoom=framing.zoom,
        angle_deg=framing.angle_deg + HANDHELD_DEG * amount / HANDHELD_PX * wave((0.23, 0.59, 1.3)),
    )


def ease(name: str, t: float) -> float:
    """Progress in [0, 1] for time ``t`` in [0, 1].

    "ease-in-out" blends cosine easing with constant speed (:data:`EASE_SHARE`): the move starts
    and ends at half its mean speed instead of from rest. A start from rest spends its first
    frames moving hundredths of a pixel, which x264 turns into skipped blocks and visible
    judder; the blend halves the acceleration and keeps every frame moving.

    >>> ease("linear", 0.25), round(ease("ease-in-out", 0.5), 9)
    (0.25, 0.5)
    """
    t = min(1.0, max(0.0, t))
    if name == "linear":
        return t
    if name == "ease-in":
        return 1.0 - math.cos(t * math.pi / 2)
    if name == "ease-out":
        return math.sin(t * math.pi / 2)
    return (1 - EASE_SHARE) * t + EASE_SHARE * (0.5 - 0.5 * math.cos(math.pi * t))
