"""Natural-language camera prompts -> an explicit :class:`MotionPlan`.

Owns turning a prompt, read with the vocabulary in :mod:`~reelrag.generation.camera.vocabulary`
and the text analysis in :mod:`~reelrag.generation.camera.reading`, into camera moves (pan, tilt,
zoom, dolly/push/pull, truck, pedestal, roll, arc, static) in one or more segments run in order
("zoom in, then pan right"), speed, easing, a handheld shake, and the plan's framing over time.
Stillness phrases ("hold still") give a static shot; "from A to B" travels the photo.
Directions follow the physical camera: "pan left" turns the camera left, so the picture slides
right; "roll clockwise" turns the camera clockwise, so the picture turns counter-clockwise.
Explicit options (``move``, ``speed``, ``easing``, ``atmosphere``) override the prompt;
``amplitude`` scales every move (the framing step sets it when a photo cannot give the move).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from reelrag.errors import InputError
from reelrag.generation.camera.motion import (
    EASE_SHARE,
    HANDHELD_PX,
    Framing,
    MotionPlan,
    Move,
    ease,
)
from reelrag.generation.camera.reading import (
    atmosphere_in,
    first_match,
    from_to_direction,
    normalize,
    not_rendered,
    parse_from_to,
)
from reelrag.generation.camera.vocabulary import (
    ATMOSPHERES,
    EASING_PATTERNS,
    EASINGS,
    HANDHELD_RE,
    MAX_ROLL,
    MAX_TRANSLATE,
    MAX_ZOOM_IN,
    MAX_ZOOM_OUT,
    MOVE_NAMES,
    MOVE_PATTERNS,
    ROLL_PER_S,
    SEQUENCE_RE,
    SPEED_PATTERNS,
    SPEEDS,
    STILL_RE,
    TRANSLATE_PER_S,
    UNSUPPORTED_SHOTS,
    ZOOM_PER_S,
)

__all__ = [
    "ATMOSPHERES",
    "EASE_SHARE",
    "EASINGS",
    "MOVE_NAMES",
    "SPEEDS",
    "Framing",
    "MotionPlan",
    "Move",
    "ease",
    "plan_motion",
]


def parse_moves(text: str) -> list[Move]:
    """Camera moves in the order the prompt names them (overlapping matches keep the first)."""
    found: list[tuple[int, int, Move]] = []
    for pattern, kind, default_dir in MOVE_PATTERNS:
        for match in re.finditer(pattern, text):
            direction = _direction(kind, match.groupdict().get("d") or default_dir)
            found.append((match.start(), match.end(), Move(kind, direction, match.group(0))))
    found.sort(key=lambda item: (item[0], -item[1]))
    moves: list[Move] = []
    last_end = -1
    for start, end, move in found:
        if start >= last_end:
            moves.append(move)
            last_end = end
    return moves


def _direction(kind: str, word: str) -> str:
    word = word.removesuffix("wards").removesuffix("ward")
    aliases = {
        "into": "in",
        "closer": "in",
        "forward": "in",
        "toward": "in",
        "towards": "in",
        "back": "out",
        "backs": "out",
        "away": "out",
        "counterclockwise": "ccw",
        "clockwise": "cw",
    }
    word = aliases.get(word.split()[0] if word else word, word)
    if word.startswith(("rise", "rising", "lift", "ascend", "climb", "float", "rais", "elevat")):
        word = "up"
    elif word.startswith(("descend", "sink", "lower", "drop")):
        word = "down"
    if kind in ("zoom", "dolly") and word not in ("in", "out"):
        return "in"
    if kind == "roll" and word in ("left", "right"):
        return "ccw" if word == "left" else "cw"
    return word


def plan_motion(
    prompt: str, duration_s: float, options: Mapping[str, Any] | None = None
) -> MotionPlan:
    """Turn ``prompt`` (and explicit ``options``) into a :class:`MotionPlan`.

    Option ``amplitude`` (0-1] scales every move: the framing step shrinks a move the photo
    cannot give in full.

    >>> plan_motion("very slow pan down", 6.0).describe()
    'pan-down, very slow, ease-in-out'
    >>> plan_motion("zoom in, then pan right", 6.0).describe()
    'zoom-in then pan-right, medium, ease-in-out'
    """
    opts = dict(options or {})
    text = normalize(prompt)
    sources: dict[str, str] = {}
    adjustments: list[str] = []
    segments = _segments_from(text, opts, sources)
    moves = [m for seg in segments for m in seg]
    speed = _choice(opts, "speed", tuple(SPEEDS), first_match(text, SPEED_PATTERNS), sources)
    default = sources["moves"] == "default"
    speed = speed or ("slow" if default else "medium")
    sources.setdefault("speed", "default")
    easing = _choice(opts, "easing", EASINGS, first_match(text, EASING_PATTERNS), sources)
    sources.setdefault("easing", "default")
    amplitude = _amplitude(opts)
    amount = SPEEDS[speed] * duration_s * amplitude / len(segments)
    from_to = parse_from_to(text)
    implied = from_to_direction(from_to) if from_to else None
    if from_to and not implied:  # "tilts up from the pad to the sky": the move's own way
        implied = next((m.direction for m in moves if m.kind in _TRAVEL_KINDS), None)
    travel = (implied, MAX_TRANSLATE * amplitude / len(segments)) if implied else None
    points = [Framing()]
    for seg in segments:
        step = _end_framing(seg, amount, adjustments, travel)
        last = points[-1]
        points.append(
            Framing(
                last.x + step.x,
                last.y + step.y,
                last.zoom * step.zoom,
                last.angle_deg + step.angle_deg,
            )
        )
    handheld = bool(HANDHELD_RE.search(text)) or "handheld" in _as_list(opts.get("move", ""), "+")
    return MotionPlan(
        moves=tuple(moves),
        speed=speed,
        easing=easing or "ease-in-out",
        start=points[0],
        end=points[-1],
        default=default,
        atmosphere=tuple(_atmosphere(opts, text, sources)),
        not_rendered=not_rendered(text),
        from_to=from_to,
        sources=sources,
        adjustments=tuple(adjustments),
        keyframes=tuple(points[1:-1]),
        segments=tuple(tuple(m.name for m in seg) for seg in segments) if len(segments) > 1 else (),
        shake=HANDHELD_PX * (0.5 if speed == "very slow" else 1.0) if handheld else 0.0,
        duration_s=duration_s,
    )


_TRAVEL_KINDS = ("pan", "tilt", "truck", "pedestal")


def _amplitude(opts: dict[str, Any]) -> float:
    try:
        value = float(opts.get("amplitude", 1.0))
    except (TypeError, ValueError):
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise InputError(f"amplitude {opts.get('amplitude')!r} is not in [0, 1]")
    return value


def _segments_from(text: str, opts: dict[str, Any], sources: dict[str, str]) -> list[list[Move]]:
    """The moves of each part of a sequence ("zoom in, then pan right"), in order."""
    if opts.get("move"):
        sources["moves"] = "option"
        names = [n for n in _as_list(opts["move"], "+") if n.strip().lower() != "handheld"]
        return [[_named_move(name) for name in names] or [Move("static", "none", "handheld")]]
    from_to = parse_from_to(text)
    implied = from_to_direction(from_to) if from_to else None
    segments = []
    for part in SEQUENCE_RE.split(text):
        moves = [_with_direction(m, implied) for m in parse_moves(part)] or _stand_in(part)
        if len(moves) > 1:
            moves = [m for m in moves if m.kind != "static"]
        if moves:
            segments.append(moves)
    sources["moves"] = "prompt"
    if segments:
        return segments
    if implied:
        kind = "tilt" if implied in ("up", "down") else "pan"
        return [[Move(kind, implied, "from ... to ...")]]
    still = STILL_RE.search(text) or HANDHELD_RE.search(text)
    if still:
        return [[Move("static", "none", still.group(0))]]
    sources["moves"] = "default"
    return [[Move("zoom", "in", "gentle default")]]


def _stand_in(part: str) -> list[Move]:
    """The move that stands in for a named shot the engine cannot make ("parallax")."""
    for pattern, _note, move in UNSUPPORTED_SHOTS:
        match = re.search(pattern, part)
        if match and move:
            kind, _, direction = move.partition("-")
            return [Move(kind, direction, match.group(0))]
    return []


def _with_direction(move: Move, implied: str | None) -> Move:
    if move.direction:
        return move
    fallback = {"pan": "right", "tilt": "up"}[move.kind]
    return Move(move.kind, implied or fallback, move.phrase)


def _named_move(name: str) -> Move:
    name = name.strip().lower()
    if name not in MOVE_NAMES:
        raise InputError(
            f"unknown camera move {name!r}", hint=f"use one of {', '.join(MOVE_NAMES)}"
        )
    kind, _, direction = name.partition("-")
    return Move(kind, direction or "none", name)


def _as_list(value: Any, sep: str) -> list[str]:
    if isinstance(value, str):
        return [v for v in re.split(rf"[{re.escape(sep)},]", value) if v.strip()]
    return [str(v) for v in value]


def _choice(
    opts: dict[str, Any],
    key: str,
    allowed: tuple[str, ...],
    from_prompt: str | None,
    sources: dict[str, str],
) -> str | None:
    if opts.get(key):
        raw = str(opts[key]).strip().lower()
        spellings = (raw, raw.replace("-", " ").replace("_", " "), raw.replace(" ", "-"))
        value = next((v for v in spellings if v in allowed), raw)
        if value not in allowed:
            raise InputError(
                f"unknown {key} {opts[key]!r}", hint=f"use one of {', '.join(allowed)}"
            )
        sources[key] = "option"
        return value
    if from_prompt:
        sources[key] = "prompt"
    return from_prompt


def _atmosphere(opts: dict[str, Any], text: str, sources: dict[str, str]) -> list[str]:
    if "atmosphere" in opts and opts["atmosphere"] is not None:
        names = [n.strip().lower() for n in _as_list(opts["atmosphere"], "+")]
        unknown = [n for n in names if n not in ATMOSPHERES and n != "none"]
        if unknown:
            raise InputError(
                f"unknown atmosphere {unknown[0]!r}",
                hint=f"use one of {', '.join(ATMOSPHERES)} or none",
            )
        sources["atmosphere"] = "option"
        return [n for n in names if n != "none"]
    return atmosphere_in(text)


def _end_framing(
    moves: list[Move],
    amount: float,
    adjustments: list[str],
    travel: tuple[str, float] | None = None,
) -> Framing:
    """Sum each move's displacement over the clip; clamp to what a still image can give.

    A move "from the road to the sky" (``travel``, its direction) travels the whole way the
    photo allows: the framing step reduces it where the photo is too short."""
    dx = dy = log_zoom = angle = 0.0
    shift, zoom, roll = TRANSLATE_PER_S * amount, ZOOM_PER_S * amount, ROLL_PER_S * amount
    if travel and any(m.direction == travel[0] for m in moves):
        shift = travel[1]
    for move in moves:
        sign = -1.0 if move.direction in ("left", "up", "out", "ccw") else 1.0
        if move.kind in ("pan", "truck") and move.direction in ("left", "right"):
            dx += sign * shift
        elif move.kind in ("pan", "tilt", "pedestal"):
            dy += sign * shift
        elif move.kind in ("zoom", "dolly"):
            log_zoom += sign * zoom
        elif move.kind == "roll":
            angle += sign * roll
        elif move.kind == "arc":
            # a flat photo has no parallax: an arc is a sideways move with a slight bank
            dx, log_zoom, angle = (
                dx + sign * shift * 0.7,
                log_zoom + zoom * 0.3,
                angle + sign * roll * 0.4,
            )
            adjustments.append("arc approximated as a sideways move with a slight bank")
    dx, dy = (
        _clamp(dx, MAX_TRANSLATE, "horizontal move", adjustments),
        _clamp(dy, MAX_TRANSLATE, "vertical move", adjustments),
    )
    log_zoom = _clamp(log_zoom, MAX_ZOOM_IN if log_zoom > 0 else MAX_ZOOM_OUT, "zoom", adjustments)
    angle = _clamp(angle, MAX_ROLL, "roll", adjustments)
    return Framing(x=dx, y=dy, zoom=math.exp(log_zoom), angle_deg=angle)


def _clamp(value: float, limit: float, what: str, adjustments: list[str]) -> float:
    if abs(value) <= limit:
        return value
    adjustments.append(
        f"{what} limited to {limit:.3g} (asked {abs(value):.3g}) to stay inside the photo"
    )
    return math.copysign(limit, value)
