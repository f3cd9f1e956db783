"""Storyboards: a reel's shots and settings, read from YAML or JSON into frozen records.

A storyboard is a mapping with ``shots`` (a list) and reel-wide settings; each shot names what
to show (``object`` to retrieve, ``image`` path or ``asset`` id), how to move (``action``), for
how long (``duration``), optional ``title`` / ``lower_third`` text, an optional voice-over
(``voiceover`` text for TTS or ``voiceover_file``) and the ``transition`` into the next shot.
Every problem is one line naming the file, the shot and what to change. See docs/reel.md.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reelrag.errors import InputError
from reelrag.types import Record

__all__ = [
    "ASPECT_RATIOS",
    "TRANSITIONS",
    "Shot",
    "Storyboard",
    "load_storyboard",
    "parse_aspects",
    "parse_storyboard",
]

TRANSITIONS = ("cut", "crossfade", "dip", "slide")
ASPECT_RATIOS = ("16:9", "9:16", "1:1")
TRANSITION_ALIASES = {"dip-to-black": "dip", "dip_to_black": "dip", "fade": "crossfade"}
DEFAULT_TRANSITION_S = 0.5
MAX_SHOTS = 200
SHOT_KEYS = {
    "object",
    "image",
    "asset",
    "action",
    "duration",
    "title",
    "lower_third",
    "voiceover",
    "voiceover_file",
    "transition",
    "transition_duration",
    "seed",
    "backend",
}
REEL_KEYS = {
    "title",
    "shots",
    "aspect_ratios",
    "fps",
    "size",
    "backend",
    "music",
    "voice",
    "distinct",
    "skip_missing",
    "subtitles",
    "music_lufs",
    "voice_gain_db",
}


@dataclass(frozen=True)
class Shot(Record):
    """One shot: what to show, how the camera moves, for how long, and what is said over it."""

    index: int  # from 1, in storyboard order
    action: str
    duration_s: float
    object: str | None = None
    image: str | None = None
    asset_id: str | None = None
    title: str | None = None
    lower_third: str | None = None
    voiceover: str | None = None
    voiceover_file: str | None = None
    transition: str = "cut"  # into the next shot
    transition_s: float = 0.0
    seed: int | None = None
    backend: str | None = None


@dataclass(frozen=True)
class Storyboard(Record):
    """A reel: its shots in order and the reel-wide settings."""

    shots: tuple[Shot, ...]
    title: str = ""
    aspect_ratios: tuple[str, ...] = ("16:9",)
    fps: int = 24
    size_px: int = 720  # the short side of every output
    backend: str | None = None
    music: str | None = None
    voice: str | None = None  # TTS backend for text voice-overs (None: settings.reel_voice)
    distinct: bool = False
    skip_missing: bool = False
    burn_subtitles: bool = True
    subtitle_px: int = 0  # 0: scaled from the output size
    music_lufs: float | None = None  # None: settings.reel_loudness_lufs
    base_dir: str = ""  # relative paths resolve here
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def reel_id(self) -> str:
        """A deterministic id: the same storyboard gives the same shot jobs (resumable)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return "r" + hashlib.sha256(blob.encode()).hexdigest()[:11]

    def inputs(self) -> tuple[str, ...]:
        """The user's files the reel reads (photos, music, voice-overs): never overwritten."""
        given = [self.music] + [p for s in self.shots for p in (s.image, s.voiceover_file)]
        return tuple(self.resolve(p) or "" for p in given if p)

    def resolve(self, path: str | None) -> str | None:
        """A storyboard path made absolute against the storyboard's folder."""
        if not path:
            return None
        p = Path(path).expanduser()
        return str(p if p.is_absolute() or not self.base_dir else Path(self.base_dir) / p)


def load_storyboard(path: Path | str, **overrides: Any) -> Storyboard:
    """Read a ``.yaml``/``.yml``/``.json`` storyboard; ``overrides`` replace reel settings
    (e.g. ``aspect_ratios=("16:9", "9:16")``, ``distinct=True``) when not None."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise InputError(f"storyboard {path} does not exist", hint="check the path") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read storyboard {path}: {exc}") from exc
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path.name} is not valid {path.suffix[1:].upper()}: {first}") from exc
    board = parse_storyboard(data, source=path.name, base_dir=path.parent)
    changes = {k: v for k, v in overrides.items() if v is not None}
    return board.replace(**changes) if changes else board


def parse_storyboard(
    data: Any, *, source: str = "storyboard", base_dir: Path | None = None
) -> Storyboard:
    """A :class:`Storyboard` from parsed YAML/JSON data (a mapping with ``shots``)."""
    if not isinstance(data, dict):
        raise InputError(
            f"{source}: a storyboard is a mapping with 'shots'", hint="see docs/reel.md"
        )
    _unknown(data, REEL_KEYS, source)
    shots_data = data.get("shots")
    if not isinstance(shots_data, list) or not shots_data:
        raise InputError(f"{source}: 'shots' must be a non-empty list", hint="see docs/reel.md")
    if len(shots_data) > MAX_SHOTS:
        raise InputError(f"{source}: more than {MAX_SHOTS} shots", hint="split the reel")
    shots = tuple(_shot(item, i, source) for i, item in enumerate(shots_data, start=1))
    subtitles = data.get("subtitles") or {}
    if not isinstance(subtitles, dict):
        raise InputError(f"{source}: 'subtitles' must be a mapping (burn, size)")
    return Storyboard(
        shots=shots,
        title=_text(data.get("title"), f"{source}: title") or "",
        aspect_ratios=parse_aspects(data.get("aspect_ratios", "16:9"), source),
        fps=_int(data.get("fps", 24), f"{source}: fps", 1, 120),
        size_px=_even(_int(data.get("size", 720), f"{source}: size", 64, 4096)),
        backend=_text(data.get("backend"), f"{source}: backend"),
        music=_text(data.get("music"), f"{source}: music"),
        voice=_text(data.get("voice"), f"{source}: voice"),
        distinct=bool(data.get("distinct", False)),
        skip_missing=bool(data.get("skip_missing", False)),
        burn_subtitles=bool(subtitles.get("burn", True)),
        subtitle_px=_int(subtitles.get("size", 0), f"{source}: subtitles.size", 0, 400),
        music_lufs=_lufs(data.get("music_lufs"), source),
        base_dir=str(base_dir) if base_dir else "",
    )


def parse_aspects(value: Any, source: str = "--aspect") -> tuple[str, ...]:
    """``"16:9,9:16"`` or a list -> ("16:9", "9:16"), each one of :data:`ASPECT_RATIOS`."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise InputError(f"{source}: aspect ratios must be a list like 16:9,9:16,1:1")
    out: list[str] = []
    for item in (_ratio(i) for i in items):
        if item not in ASPECT_RATIOS:
            raise InputError(
                f"{source}: aspect ratio {item!r} is not supported",
                hint=f"use {', '.join(ASPECT_RATIOS)}",
            )
        if item not in out:
            out.append(item)
    return tuple(out)


def _ratio(value: Any) -> str:
    """YAML 1.1 reads an unquoted 16:9 as the base-60 number 969: read it back as 16:9."""
    if isinstance(value, int) and not isinstance(value, bool):
        return "{}:{}".format(*divmod(value, 60))
    return str(value).strip()


def _shot(item: Any, index: int, source: str) -> Shot:
    where = f"{source} shot {index}"
    if not isinstance(item, dict):
        raise InputError(f"{where}: a shot is a mapping (object, action, duration, ...)")
    _unknown(item, SHOT_KEYS, where)
    chosen = [k for k in ("object", "image", "asset") if item.get(k)]
    if len(chosen) != 1:
        raise InputError(f"{where}: give exactly one of object, image or asset (got {len(chosen)})")
    kind, seconds = _transition(
        item.get("transition", "cut"), item.get("transition_duration"), where
    )
    duration = _float(item.get("duration"), f"{where}: duration", 0.5, 60.0)
    if seconds >= duration:
        raise InputError(f"{where}: the {kind} ({seconds:g} s) must be shorter than the shot")
    return Shot(
        index=index,
        action=_text(item.get("action"), f"{where}: action") or "",
        duration_s=duration,
        object=_text(item.get("object"), f"{where}: object"),
        image=_text(item.get("image"), f"{where}: image"),
        asset_id=_text(item.get("asset"), f"{where}: asset"),
        title=_text(item.get("title"), f"{where}: title"),
        lower_third=_text(item.get("lower_third"), f"{where}: lower_third"),
        voiceover=_text(item.get("voiceover"), f"{where}: voiceover"),
        voiceover_file=_text(item.get("voiceover_file"), f"{where}: voiceover_file"),
        transition=kind,
        transition_s=seconds,
        seed=_int(item["seed"], f"{where}: seed", 0, 2**31 - 1)
        if item.get("seed") is not None
        else None,
        backend=_text(item.get("backend"), f"{where}: backend"),
    )


def _transition(value: Any, seconds: Any, where: str) -> tuple[str, float]:
    if isinstance(value, dict):
        seconds = value.get("duration", seconds)
        value = value.get("type", "cut")
    kind = TRANSITION_ALIASES.get(str(value).strip().lower(), str(value).strip().lower())
    if kind not in TRANSITIONS:
        raise InputError(
            f"{where}: unknown transition {value!r}",
            hint="use cut, crossfade, dip-to-black or slide",
        )
    if kind == "cut":
        return kind, 0.0
    default = DEFAULT_TRANSITION_S if seconds is None else seconds
    return kind, _float(default, f"{where}: transition duration", 0.04, 5.0)


def _unknown(data: dict[str, Any], known: set[str], where: str) -> None:
    extra = sorted(set(map(str, data)) - known)
    if extra:
        raise InputError(
            f"{where}: unknown key(s) {', '.join(extra)}", hint=f"known: {', '.join(sorted(known))}"
        )


def _text(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise InputError(f"{where} must be text")
    text = " ".join(str(value).split())
    return text or None


def _float(value: Any, where: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where} must be a number of seconds (got {value!r})") from None
    if not low <= number <= high:
        raise InputError(f"{where} must be between {low:g} and {high:g} (got {number:g})")
    return number


def _int(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InputError(f"{where} must be a whole number (got {value!r})")
    try:
        number = int(value)
    except ValueError:
        raise InputError(f"{where} must be a whole number (got {value!r})") from None
    if not low <= number <= high:
        raise InputError(f"{where} must be between {low} and {high} (got {number})")
    return number


def _even(value: int) -> int:
    return value - value % 2


def _lufs(value: Any, source: str) -> float | None:
    return None if value is None else _float(value, f"{source}: music_lufs", -40.0, -5.0)
