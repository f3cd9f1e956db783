"""The offline camera-motion generator: animate a still photo with a planned camera move.

Owns rendering: a :class:`~reelrag.generation.camera.prompt.MotionPlan` becomes one float 2x3 affine
per frame (sub-pixel, eased), sampled by :func:`~reelrag.generation.camera.warp.warp_plane` (a
Lanczos-4 filter for pure shifts, an exact-scale bilinear resize for zooms, else
``cv2.warpAffine``) from the fitted canvas in I420
-- the encoder's own format, so no per-frame colour conversion -- straight into a small pool of
reused encoder frames (no copy), on a worker thread while the previous frame encodes (OpenCV and
FFmpeg release the GIL; OpenCV's own thread pool is off meanwhile: it only added CPU). The
canvas carries the margins the move needs (:meth:`CameraGenerator.framing_margins`), so no frame
ever shows an empty border, and the first frame is the fitted image itself.
"""

from __future__ import annotations

import contextlib
import functools
import math
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
from PIL import Image

from reelrag.generation.base import (
    Capabilities,
    Generator,
    Margins,
    Progress,
    ResolvedRequest,
    VideoOutput,
    no_progress,
)
from reelrag.generation.camera.atmosphere import Layer, build_layers
from reelrag.generation.camera.prompt import Framing, MotionPlan, plan_motion
from reelrag.generation.camera.warp import PAD_PX, PaddedPlane, is_shift, upsample2, warp_plane
from reelrag.media import fit as imaging
from reelrag.media.video import VideoWriter, rgb_to_yuv420, yuv420_frame, yuv420_planes
from reelrag.settings import Settings

__all__ = ["CameraGenerator", "frame_matrix"]

_POOL_FRAMES = 6  # frames in flight: rendered ahead, being rendered, being encoded


def frame_matrix(
    framing: Framing, width: int, height: int, offset: tuple[float, float]
) -> np.ndarray:
    """The 2x3 affine from output pixel indices to canvas pixel indices for ``framing``.

    ``offset`` is where the nominal frame's top-left corner sits in the canvas. A clockwise camera
    roll turns the view rectangle clockwise on the canvas (the picture turns the other way).

    >>> (frame_matrix(Framing(), 4, 2, (6, 8)) + 0.0).tolist()
    [[1.0, 0.0, 6.0], [0.0, 1.0, 8.0]]
    """
    theta = math.radians(framing.angle_deg)
    c, s = math.cos(theta) / framing.zoom, math.sin(theta) / framing.zoom
    a = np.array([[c, -s], [s, c]])
    centre = np.array(
        [offset[0] + width / 2 + framing.x * width, offset[1] + height / 2 + framing.y * height]
    )
    # pixel centres sit at index + 0.5 in continuous coordinates
    b = centre - 0.5 + a @ np.array([0.5 - width / 2, 0.5 - height / 2])
    return np.hstack([a, b[:, None]])


def _chroma_matrix(luma: np.ndarray) -> np.ndarray:
    """The same move on the half-resolution chroma planes (centre-sited samples)."""
    a = luma[:, :2]
    b_cont = luma[:, 2] + 0.5 - a @ np.array([0.5, 0.5])
    return np.hstack([a, (b_cont / 2 - 0.5 + a @ np.array([0.5, 0.5]))[:, None]])


class CameraGenerator(Generator):
    """Image-to-video by camera motion over the photo, with procedural atmosphere; no model."""

    name = "camera"
    model = "reelrag-camera-1"
    capabilities = Capabilities(
        text_to_video=False,
        image_to_video=True,
        min_side_px=64,
        max_side_px=3840,
        size_multiple=2,
        min_duration_s=0.1,
        max_duration_s=60.0,
        max_prompt_chars=2000,
        typical_latency_s=1.0,
    )

    def __init__(
        self, *, crf: int = 20, preset: str = "veryfast", x264_params: str = "bframes=0"
    ) -> None:
        self.crf, self.preset, self.x264_params = crf, preset, x264_params

    @classmethod
    def from_settings(cls, settings: Settings) -> CameraGenerator:
        return cls(
            crf=settings.video_crf,
            preset=settings.video_preset,
            x264_params=settings.video_x264_params,
        )

    def plan(self, job: ResolvedRequest) -> MotionPlan:
        """The motion plan for ``job`` (deterministic in the request)."""
        return plan_motion(job.request.prompt, job.duration_s, job.request.options)

    def framings(self, job: ResolvedRequest) -> list[Framing]:
        return _framings(self.plan(job), job.frames)

    def framing_margins(self, job: ResolvedRequest) -> Margins:
        """Room the whole move needs around the frame, from the extreme corners of every frame."""
        return _margins(self.framings(job), job.width, job.height)

    def framing_windows(self, job: ResolvedRequest) -> list[tuple[float, float, float, float]]:
        """The axis-aligned box each of a few sampled frames shows (see ``Generator``)."""
        framings = self.framings(job)
        step = max(1, len(framings) // 12)
        w, h = job.width, job.height
        corners = np.array([[0, 0, w, w], [0, h, 0, h], [1, 1, 1, 1]], float)
        boxes = []
        for framing in [*framings[::step], framings[-1]]:
            xs, ys = frame_matrix(framing, w, h, (0.0, 0.0)) @ corners
            boxes.append((float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())))
        return boxes

    def generate(
        self, job: ResolvedRequest, image: Any, out: Path, progress: Progress = no_progress
    ) -> VideoOutput:
        """Render ``job`` from ``image`` (the fitted canvas; any other size is fitted here)."""
        started = time.perf_counter()
        plan = self.plan(job)
        framings = _framings(plan, job.frames)
        margins = _margins(framings, job.width, job.height)
        canvas, adjustments = self._canvas(job, image, margins)
        layers = build_layers(plan.atmosphere, job.width, job.height, job.seed)
        renderer = _Renderer(canvas, job, (margins.left_px, margins.top_px), layers)
        renderer.prepare(framings)
        codec = (self.crf, self.preset, self.x264_params)
        timings = _encode(renderer, framings, out, job, codec, progress)
        timings["total_s"] = round(time.perf_counter() - started, 4)
        details = {
            "plan": plan.to_dict(),
            "plan_summary": plan.describe(),
            "margins_px": [margins.left_px, margins.top_px, margins.right_px, margins.bottom_px],
            "encoder": {
                "codec": "libx264",
                "crf": self.crf,
                "preset": self.preset,
                "x264_params": self.x264_params,
            },
            "render_timings_s": timings,
            "adjustments": list(plan.adjustments) + adjustments,
        }
        return VideoOutput(
            video=Path(out),
            frames=job.frames,
            fps=job.fps,
            width=job.width,
            height=job.height,
            model=self.model,
            details=details,
            not_rendered=plan.not_rendered,
        )

    def _canvas(
        self, job: ResolvedRequest, image: Any, margins: Margins
    ) -> tuple[Image.Image, list[str]]:
        expected = (
            job.width + margins.left_px + margins.right_px,
            job.height + margins.top_px + margins.bottom_px,
        )
        if isinstance(image, Image.Image) and image.size == expected:
            return image.convert("RGB"), []
        if not isinstance(image, Image.Image):
            from reelrag.errors import CapabilityError

            raise CapabilityError(
                "the camera generator needs an image", hint="pass --image, --asset or --object"
            )
        fitted = imaging.fit_image(
            image,
            job.width,
            job.height,
            mode="cover",
            margins=(margins.left_px, margins.top_px, margins.right_px, margins.bottom_px),
            windows=self.framing_windows(job),
        )
        return fitted.canvas, [f"image {image.size[0]}x{image.size[1]} fitted by the generator"]


def _framings(plan: MotionPlan, frames: int) -> list[Framing]:
    """The plan's framing at each frame, from the first (t = 0) to the last (t = 1)."""
    steps = max(1, frames - 1)
    return [plan.at(i / steps) for i in range(frames)]


def _margins(framings: list[Framing], w: int, h: int) -> Margins:
    """Room around a ``w`` x ``h`` frame that every framing's corners stay inside."""
    # the outermost sample positions (pixel centres) of the frame
    corners = np.array([[0, 0, w - 1, w - 1], [0, h - 1, 0, h - 1], [1, 1, 1, 1]], float)
    xs, ys = [], []
    for framing in framings:
        mapped = frame_matrix(framing, w, h, (0.0, 0.0)) @ corners
        xs.extend(mapped[0])
        ys.extend(mapped[1])
    # +2 px: bilinear samples never touch the canvas's outermost pixel; even sizes keep
    # the chroma planes aligned with the luma
    grow = [-min(xs), -min(ys), max(xs) - (w - 1), max(ys) - (h - 1)]
    left, top, right, bottom = (_even(math.ceil(g - 1e-6) + 2) if g > 1e-6 else 0 for g in grow)
    return Margins(left, top, right, bottom)


def _even(value: int) -> int:
    return value + (value % 2)


class _Renderer:
    """Warps the I420 canvas into output frames; one instance per clip."""

    def __init__(
        self,
        canvas: Image.Image,
        job: ResolvedRequest,
        offset: tuple[int, int],
        layers: list[Layer],
    ) -> None:
        cw, ch = canvas.size
        flat = rgb_to_yuv420(np.asarray(canvas)).reshape(-1)
        luma, chroma = flat[: cw * ch], flat[cw * ch :].reshape(2, ch // 2, cw // 2)
        # luma at its own size for pure shifts (a Lanczos filter there) and at twice its size
        # for zooms and rolls (:attr:`y2`); chroma at its own size: its softness is invisible
        # and it costs half as much to warp; each with a border for the fast paths
        self.y = PaddedPlane.of(luma.reshape(ch, cw))
        self.u, self.v = (PaddedPlane.of(plane) for plane in chroma)
        self.width, self.height, self.fps = job.width, job.height, job.fps
        self.offset, self.layers = offset, layers

    @functools.cached_property
    def y2(self) -> PaddedPlane:
        """The luma at twice its size (see warp.upsample2), made for the first frame that is
        not a pure shift: a pan never pays for it."""
        pad = PAD_PX
        return PaddedPlane.of(upsample2(self.y.data[pad:-pad, pad:-pad]))

    def prepare(self, framings: list[Framing]) -> None:
        """Make :attr:`y2` now if any frame zooms or rolls, while OpenCV may still use its own
        threads: made on the render thread it held up the first frames by ~5 ms."""
        if any(f.zoom != 1.0 or f.angle_deg != 0.0 for f in framings):
            _ = self.y2  # computed once, kept by cached_property

    def render(self, index: int, framing: Framing, frame: av.VideoFrame) -> None:
        """Draw frame ``index`` straight into ``frame``'s buffers (a yuv420p frame)."""
        y, u, v = yuv420_planes(frame)
        luma = frame_matrix(framing, self.width, self.height, self.offset)
        chroma = _chroma_matrix(luma)
        if is_shift(luma):
            warp_plane(self.y, luma, y)
        else:
            warp_plane(self.y2, luma * 2, y)
        warp_plane(self.u, chroma, u)
        warp_plane(self.v, chroma, v)
        for layer in self.layers:
            layer.draw(y, u, v, index / self.fps)


def _rendered(
    renderer: _Renderer, framings: list[Framing], timings: dict[str, float]
) -> Iterator[av.VideoFrame]:
    """Frames rendered on a worker thread, a few ahead of the encoder.

    A small pool of frames circulates: the consumer must be done with a frame (written it)
    before asking for the next, which hands the previous one back for reuse. Reusing buffers
    avoids first-touch page faults of a fresh 1.4 MB frame (~0.8 ms at 720p).
    """
    ready: queue.Queue[av.VideoFrame | BaseException | None] = queue.Queue()
    free: queue.Queue[av.VideoFrame] = queue.Queue()
    for _ in range(_POOL_FRAMES):
        free.put(yuv420_frame(renderer.width, renderer.height))
    stop = threading.Event()

    def work() -> None:
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            for index, framing in enumerate(framings):
                frame = free.get()
                if stop.is_set():
                    return
                renderer.render(index, framing, frame)
                ready.put(frame)
            ready.put(None)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            ready.put(exc)
        timings["render_thread_s"] = round(time.perf_counter() - started, 4)
        timings["render_cpu_s"] = round(time.thread_time() - cpu, 4)

    worker = threading.Thread(target=work, name="reelrag-camera-render", daemon=True)
    worker.start()
    try:
        while (item := ready.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
            free.put(item)  # written by now (the encoder copies its input)
    finally:
        stop.set()
        free.put(yuv420_frame(2, 2))  # unblock a producer waiting for a free frame
        worker.join()


_cv_lock = threading.Lock()
_cv_users = 0
_cv_saved = 0


@contextlib.contextmanager
def _opencv_single_threaded() -> Iterator[None]:
    """OpenCV's own pool off while clips render: the render thread already runs beside x264's
    threads, and on a busy machine OpenCV's workers only add CPU time (~30% of the warp's).
    OpenCV's setting is process-wide, so nested/concurrent clips count in and out."""
    global _cv_users, _cv_saved
    with _cv_lock:
        if _cv_users == 0:
            _cv_saved = cv2.getNumThreads()
            cv2.setNumThreads(1)
        _cv_users += 1
    try:
        yield
    finally:
        with _cv_lock:
            _cv_users -= 1
            if _cv_users == 0:
                cv2.setNumThreads(_cv_saved)


def _encode(
    renderer: _Renderer,
    framings: list[Framing],
    out: Path,
    job: ResolvedRequest,
    codec: tuple[int, str, str],
    progress: Progress,
) -> dict[str, float]:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    crf, preset, params = codec
    with (
        _opencv_single_threaded(),
        VideoWriter(
            out, job.width, job.height, job.fps, crf=crf, preset=preset, x264_params=params
        ) as writer,
    ):
        for index, frame in enumerate(_rendered(renderer, framings, timings)):
            writer.write_frame(frame)
            if index % max(1, job.fps // 2) == 0:
                progress(index / job.frames, f"frame {index + 1}/{job.frames}")
    progress(1.0, "done")
    timings["encode_wall_s"] = round(time.perf_counter() - started, 4)
    return timings
