"""The generator contract shared by every video backend.

A generator declares its :class:`Capabilities`; :func:`check_request` validates a request against
them before any work or spending. Local generators implement :meth:`Generator.generate`; remote
ones (Bedrock) also implement the :class:`RemoteGenerator` submit/poll/collect split so the job
system can store the remote id before waiting and resume polling after a restart.
"""

from __future__ import annotations

import abc
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from reelrag.errors import CapabilityError
from reelrag.settings import Settings
from reelrag.types import GenerationRequest

log = logging.getLogger(__name__)

AREA_SLACK = 1.05  # rounding each side up to the size multiple adds a few per cent

Progress = Callable[[float, str], None]  # fraction in [0, 1], message
_N = TypeVar("_N", int, float)


def no_progress(fraction: float, message: str) -> None:
    """The default progress callback: does nothing."""


@dataclass(frozen=True)
class Capabilities:
    """What a backend accepts. ``sizes`` empty means any size within the pixel bounds."""

    text_to_video: bool
    image_to_video: bool
    sizes: tuple[tuple[int, int], ...] = ()
    min_side_px: int = 64
    max_side_px: int = 3840
    size_multiple: int = 2
    # The largest area the model was trained at (0: only the side bounds). Sizes this backend
    # picks stay within it; a larger size asked for is rendered, with a warning.
    max_area_px: int = 0
    durations_s: tuple[float, ...] = ()  # allowed values; empty means the range below
    min_duration_s: float = 0.5
    max_duration_s: float = 60.0
    fps: tuple[int, ...] = ()  # allowed values; empty means 1..60
    max_prompt_chars: int = 4000
    cost_per_second_usd: float = 0.0
    typical_latency_s: float = 1.0
    default_size: tuple[int, int] = (1280, 720)
    default_duration_s: float = 6.0
    default_fps: int = 24
    # False: the user's preferred size/fps/duration (settings) do not apply; the backend's own
    # defaults always do (the simulated backend's placeholder clips stay small).
    takes_preferences: bool = True
    # Why a backend without image_to_video refuses an image, and what to use instead.
    no_image_reason: str = ""
    no_image_hint: str = ""

    def nearest_size(self, want: tuple[int, int]) -> tuple[int, int]:
        """The accepted size closest to ``want``: of fixed ``sizes``, the nearest in shape, then
        in area; otherwise ``want`` scaled into the side bounds and the trained area, its shape
        kept, and each side rounded up to the size multiple (a shot a little larger is cropped,
        not upscaled).

        >>> Capabilities(True, True, max_side_px=1280, size_multiple=32).nearest_size((2276, 1280))
        (1280, 736)
        >>> Capabilities(True, True, sizes=((1280, 720), (960, 540))).nearest_size((640, 360))
        (960, 540)
        >>> Capabilities(True, True, size_multiple=16, max_area_px=832 * 480).nearest_size(
        ...     (1280, 720))
        (848, 480)
        """
        if self.sizes:
            return min(self.sizes, key=lambda size: _distance(size, want))
        scale = min(1.0, self.max_side_px / max(want))
        if self.max_area_px:
            scale = min(scale, math.sqrt(self.max_area_px / (want[0] * want[1])))
        scale = max(scale, self.min_side_px / min(want))
        m = self.size_multiple
        low, high = math.ceil(self.min_side_px / m) * m, self.max_side_px // m * m
        w, h = (min(high, max(low, math.ceil(side * scale / m - 1e-9) * m)) for side in want)
        return w, h

    def above_area(self, width: int, height: int) -> bool:
        """Whether ``width`` x ``height`` exceeds the trained area (beyond what rounding to the
        size multiple adds)."""
        return bool(self.max_area_px) and width * height > self.max_area_px * AREA_SLACK

    def clip_duration(self, wanted: float) -> float:
        """The shortest duration this backend renders that lasts ``wanted`` (the clip is then
        trimmed); ``wanted`` itself when it is accepted, or too long for any (the request's check
        then says what is allowed).

        >>> Capabilities(True, True, durations_s=(5.0, 9.0)).clip_duration(3.0)
        5.0
        >>> Capabilities(True, True, min_duration_s=2.0).clip_duration(1.0)
        2.0
        """
        if self.durations_s:
            return min((d for d in self.durations_s if d >= wanted), default=wanted)
        return max(wanted, self.min_duration_s)

    def nearest_fps(self, fps: int) -> int:
        """``fps`` when accepted, else the accepted rate closest to it (the higher on a tie).

        >>> Capabilities(True, True, fps=(16,)).nearest_fps(24)
        16
        >>> Capabilities(True, True, fps=(24, 25, 30)).nearest_fps(60)
        30
        """
        allowed = self.fps or tuple(range(1, 61))
        return fps if fps in allowed else min(allowed, key=lambda f: (abs(f - fps), -f))


def _distance(size: tuple[int, int], want: tuple[int, int]) -> tuple[float, float]:
    """How far ``size`` is from ``want``: in shape (log aspect ratio, to 0.01), then in area."""
    shape = abs(math.log(size[0] / size[1]) - math.log(want[0] / want[1]))
    area = abs(math.log(size[0] * size[1] / (want[0] * want[1])))
    return round(shape, 2), area


@dataclass(frozen=True)
class ResolvedRequest:
    """A request with every default filled in, ready for a backend."""

    request: GenerationRequest
    width: int
    height: int
    duration_s: float
    fps: int
    seed: int
    frames: int
    adjustments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Margins:
    """Extra picture, in output pixels, a generator may show beyond the nominal frame.

    A camera move that pans or zooms out needs source content outside the first frame; the
    pipeline fits the conditioning image with these margins (the "canvas") so motion never
    reveals an empty border. Generators that do not move the frame keep the zero default.
    """

    left_px: int = 0
    top_px: int = 0
    right_px: int = 0
    bottom_px: int = 0

    def is_zero(self) -> bool:
        return not (self.left_px or self.top_px or self.right_px or self.bottom_px)


@dataclass(frozen=True)
class VideoOutput:
    """What a generator produced into the paths it was given."""

    video: Path
    frames: int
    fps: int
    width: int
    height: int
    model: str
    details: dict[str, Any] = field(default_factory=dict)  # goes into the manifest
    not_rendered: tuple[str, ...] = ()


class Generator(abc.ABC):
    name: str = "generator"
    model: str = ""
    capabilities: Capabilities

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: Settings) -> Generator: ...

    @abc.abstractmethod
    def generate(
        self, job: ResolvedRequest, image: Any, out: Path, progress: Progress = no_progress
    ) -> VideoOutput:
        """Render ``job`` conditioned on ``image`` (a PIL RGB image already fitted to
        ``job.width`` x ``job.height``, or None for text-to-video) and write the MP4 to ``out``
        atomically."""

    def framing_margins(self, job: ResolvedRequest) -> Margins:
        """Margins the conditioning image needs around the frame; when non-zero, ``generate``
        receives an image of ``(width + left + right) x (height + top + bottom)`` whose
        ``(left, top)`` offset window is the nominal first frame."""
        return Margins()

    def framing_windows(self, job: ResolvedRequest) -> list[tuple[float, float, float, float]]:
        """The boxes (output pixels, relative to the nominal frame's top-left) the clip will
        show: the framing keeps the subject inside all of them. A still frame by default."""
        return [(0.0, 0.0, float(job.width), float(job.height))]

    def estimate_cost_usd(self, job: ResolvedRequest) -> float:
        return self.capabilities.cost_per_second_usd * job.duration_s

    def estimate_time_s(self, job: ResolvedRequest) -> float:
        return self.capabilities.typical_latency_s


class RemoteGenerator(Generator):
    """A generator whose work runs elsewhere and is followed by polling."""

    @abc.abstractmethod
    def submit(self, job: ResolvedRequest, image: Any, token: str) -> str:
        """Start the remote work idempotently (``token`` derives from the job id); return its id."""

    @abc.abstractmethod
    def poll(self, remote_id: str) -> tuple[str, str]:
        """(state, message) with state in running | succeeded | failed."""

    @abc.abstractmethod
    def collect(self, remote_id: str, out: Path) -> VideoOutput:
        """Fetch a finished remote video into ``out``."""

    def find(self, token: str) -> str | None:
        """The remote id already submitted with ``token``, if any (restart reconciliation)."""
        return None


def check_request(request: GenerationRequest, caps: Capabilities, seed: int) -> ResolvedRequest:
    """Fill defaults and validate against ``caps``; raise CapabilityError with what is allowed."""
    if not request.prompt.strip():
        raise CapabilityError(
            "the prompt is empty", hint="describe the motion, e.g. 'slow zoom in'"
        )
    if len(request.prompt) > caps.max_prompt_chars:
        raise CapabilityError(
            f"the prompt has {len(request.prompt)} characters; this backend takes at most "
            f"{caps.max_prompt_chars}",
            hint="shorten it",
        )
    has_image = bool(request.image or request.asset_id)
    if has_image and not caps.image_to_video:
        reason = f": {caps.no_image_reason}" if caps.no_image_reason else ""
        raise CapabilityError(
            f"this backend cannot start from an image{reason}",
            hint=caps.no_image_hint or "drop --image",
        )
    if not has_image and not caps.text_to_video:
        raise CapabilityError(
            "this backend needs an image", hint="pass --image, --asset or --object"
        )
    width = _or_default(request.width, caps.default_size[0])
    height = _or_default(request.height, caps.default_size[1])
    _check_size(width, height, caps)
    if caps.above_area(width, height):
        fits = "x".join(map(str, caps.nearest_size((width, height))))
        log.warning("size %dx%d is %.1fx the area this model was trained at: expect a softer, "
                    "slower clip (%s keeps the shape within it)", width, height,
                    width * height / caps.max_area_px, fits)  # fmt: skip
    duration = _or_default(request.duration_s, caps.default_duration_s)
    _check_duration(duration, caps)
    fps = _or_default(request.fps, caps.default_fps)
    _check_fps(fps, caps)
    frames = max(1, round(duration * fps))
    return ResolvedRequest(request, width, height, duration, fps, seed, frames)


def _check_size(width: int, height: int, caps: Capabilities) -> None:
    if caps.sizes and (width, height) not in caps.sizes:
        allowed = ", ".join(f"{w}x{h}" for w, h in caps.sizes)
        raise CapabilityError(
            f"size {width}x{height} is not supported", hint=f"use one of {allowed}"
        )
    sides_ok = all(caps.min_side_px <= s <= caps.max_side_px for s in (width, height))
    if not sides_ok or width % caps.size_multiple or height % caps.size_multiple:
        raise CapabilityError(
            f"size {width}x{height} is not supported",
            hint=f"each side between {caps.min_side_px} and {caps.max_side_px} px "
            f"and a multiple of {caps.size_multiple}",
        )


def _check_duration(duration: float, caps: Capabilities) -> None:
    if caps.durations_s and duration not in caps.durations_s:
        allowed = ", ".join(f"{d:g}" for d in caps.durations_s)
        raise CapabilityError(f"duration {duration:g}s is not supported", hint=f"use {allowed}")
    if not caps.min_duration_s <= duration <= caps.max_duration_s:
        raise CapabilityError(
            f"duration {duration:g}s is not supported",
            hint=f"use {caps.min_duration_s:g} to {caps.max_duration_s:g} seconds",
        )


def _or_default(value: _N | None, default: _N) -> _N:
    """``value`` unless it was left out: 0 fps or 0 seconds is an error to report, not a
    request for the default."""
    return default if value is None else value


def _check_fps(fps: int, caps: Capabilities) -> None:
    allowed = caps.fps or tuple(range(1, 61))
    if fps not in allowed:
        shown = ", ".join(map(str, caps.fps)) if caps.fps else "1 to 60"
        raise CapabilityError(f"{fps} fps is not supported", hint=f"use {shown}")


def resolve_request(
    request: GenerationRequest, caps: Capabilities, seed: int, settings: Settings
) -> ResolvedRequest:
    """:func:`check_request` after filling what the request leaves open from the user's
    preferred defaults (settings ``width``/``height``, ``fps``, ``duration_s``) where the
    backend accepts them; elsewhere the backend's own defaults apply (Luma has no 6 s clips)."""
    return check_request(_preferred(request, caps, settings), caps, seed)


def _preferred(
    request: GenerationRequest, caps: Capabilities, settings: Settings
) -> GenerationRequest:
    changes: dict[str, Any] = {}
    if not caps.takes_preferences:
        return request
    no_size = request.width is None and request.height is None
    size = (settings.width, settings.height)
    if caps.above_area(*size):  # the preferred shape, at the size the model was trained at
        size = caps.nearest_size(size)
    if no_size and _accepts(_check_size, *size, caps):
        changes.update(width=size[0], height=size[1])
    if request.fps is None and _accepts(_check_fps, settings.fps, caps):
        changes["fps"] = settings.fps
    if request.duration_s is None and _accepts(_check_duration, settings.duration_s, caps):
        changes["duration_s"] = settings.duration_s
    return request.replace(**changes) if changes else request


def _accepts(check: Callable[..., None], *args: Any) -> bool:
    try:
        check(*args)
    except CapabilityError:
        return False
    return True
