"""Video files: H.264 encoding (PyAV, no system ffmpeg), probing, frame reading and posters.

Owns the output format every backend promises: H.264, yuv420p (BT.709, limited range), MP4
with the ``moov`` box first (faststart) so browsers start playing at once, written to a temp
file in the target folder and moved into place with ``os.replace`` -- a reader never sees half
a video, and a failure (disk full included) leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import numpy as np
from PIL import Image

from reelrag.errors import InputError, NotFoundError, ReelragError, from_os_error
from reelrag.storage import atomic_write_bytes
from reelrag.storage.local import temp_beside

log = logging.getLogger(__name__)

__all__ = [
    "VideoInfo",
    "VideoWriter",
    "first_frame",
    "probe",
    "read_frames",
    "rgb_to_yuv420",
    "write_poster",
    "yuv420_frame",
    "yuv420_planes",
]


X264_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
)


@dataclass(frozen=True)
class VideoInfo:
    """What a video file holds, read from the container and by counting packets."""

    codec: str
    pix_fmt: str
    frames: int
    fps: float
    width: int
    height: int
    duration_s: float
    faststart: bool
    size_bytes: int


def disk_error(exc: OSError, path: Path) -> ReelragError:
    """A one-line error for an OS failure while writing ``path`` (see errors.from_os_error)."""
    return from_os_error(exc, path)


class VideoWriter:
    """Encode frames to an H.264 MP4 atomically.

    >>> # with VideoWriter(Path("clip.mp4"), 320, 180, 24) as out: out.write_rgb(frame)
    """

    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        fps: int,
        *,
        crf: int = 20,
        preset: str = "veryfast",
        x264_params: str = "",
    ) -> None:
        if preset not in X264_PRESETS:
            raise InputError(
                f"unknown x264 preset {preset!r}", hint=f"use {', '.join(X264_PRESETS)}"
            )
        if width % 2 or height % 2:
            raise InputError(f"size {width}x{height} must be even for yuv420p")
        self.path, self.width, self.height, self.fps = Path(path), width, height, fps
        self.frames = 0
        self._tmp = self._temp_path()
        try:
            self._open(crf, preset, x264_params)
        except OSError as exc:
            self._tmp.unlink(missing_ok=True)
            raise disk_error(exc, self.path) from exc

    def _temp_path(self) -> Path:
        return temp_beside(self.path, suffix=".mp4")

    def _open(self, crf: int, preset: str, x264_params: str) -> None:
        self._container = av.open(
            str(self._tmp), mode="w", format="mp4", options={"movflags": "+faststart"}
        )
        stream = self._container.add_stream("libx264", rate=self.fps)
        stream.width, stream.height, stream.pix_fmt = self.width, self.height, "yuv420p"
        options: dict[str, object] = {"crf": str(crf), "preset": preset}
        if x264_params:
            options["x264-params"] = x264_params
        stream.options = options
        stream.thread_type = "AUTO"
        ctx = stream.codec_context
        ctx.colorspace, ctx.color_primaries, ctx.color_trc = 1, 1, 1  # BT.709
        ctx.color_range = 1  # limited ("tv") range, what browsers expect
        self._stream = stream

    def write_yuv420(self, planes: np.ndarray) -> None:
        """Write one frame given as an I420 array of shape (height * 3 // 2, width)."""
        frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
        self._encode(frame)

    def write_frame(self, frame: av.VideoFrame) -> None:
        """Write a PyAV frame (converted to yuv420p by the encoder if needed)."""
        self._encode(frame)

    def write_rgb(self, rgb: np.ndarray) -> None:
        """Write one RGB uint8 frame of shape (height, width, 3)."""
        self.write_yuv420(rgb_to_yuv420(rgb))

    def _encode(self, frame: av.VideoFrame) -> None:
        frame.pts = self.frames
        frame.colorspace, frame.color_range = 1, 1
        try:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        except OSError as exc:
            self.abort()
            raise disk_error(exc, self.path) from exc
        self.frames += 1

    def close(self) -> Path:
        """Flush the encoder, finish the file and move it into place."""
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
            self._container.close()
            os.replace(self._tmp, self.path)
        except OSError as exc:
            self.abort()
            raise disk_error(exc, self.path) from exc
        return self.path

    def abort(self) -> None:
        """Drop the partial file."""
        with contextlib.suppress(OSError, av.FFmpegError):  # already broken; the file goes
            self._container.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def yuv420_frame(width: int, height: int) -> av.VideoFrame:
    """A blank yuv420p frame to render into (see :func:`yuv420_planes`) and write, then reuse."""
    return av.VideoFrame(width, height, "yuv420p")


def yuv420_planes(frame: av.VideoFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Writable (Y, U, V) views of a yuv420p frame's own buffers: rendering into them saves
    the per-frame copy of :meth:`VideoWriter.write_yuv420`. Rows may be padded (``line_size``).

    >>> y, u, v = yuv420_planes(yuv420_frame(6, 4)); y.shape, u.shape
    ((4, 6), (2, 3))
    """
    if frame.format.name != "yuv420p":
        raise InputError(f"frame format {frame.format.name} is not yuv420p")
    views = []
    for plane in frame.planes:
        rows = np.frombuffer(memoryview(plane), np.uint8)[: plane.line_size * plane.height]
        views.append(rows.reshape(plane.height, plane.line_size)[:, : plane.width])
    y, u, v = views
    return y, u, v


def rgb_to_yuv420(rgb: np.ndarray) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> I420 (H * 3 // 2, W), BT.709 limited range, as the encoder wants."""
    # wraps the array without a copy (from_ndarray's copy was 60% of the conversion's time)
    frame = av.VideoFrame.from_numpy_buffer(np.ascontiguousarray(rgb), format="rgb24")
    yuv = frame.reformat(format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG")
    planes: np.ndarray = yuv.to_ndarray()
    return planes


def _open_input(path: Path) -> Any:
    if not Path(path).is_file():
        raise NotFoundError(f"no video at {path}")
    try:
        return av.open(str(path))
    except av.FFmpegError as exc:
        raise InputError(f"cannot read {path} as a video: {exc}") from exc


def probe(path: Path) -> VideoInfo:
    """Codec, pixel format, exact frame count (packets counted), fps, size, duration, faststart."""
    with _open_input(path) as container:
        stream = container.streams.video[0]
        codec, pix_fmt = stream.codec_context.name, stream.codec_context.pix_fmt or ""
        fps = float(stream.average_rate or stream.guessed_rate or 0)
        width, height = stream.codec_context.width, stream.codec_context.height
        frames = sum(1 for p in container.demux(stream) if p.size)
    return VideoInfo(
        codec=codec,
        pix_fmt=pix_fmt,
        frames=frames,
        fps=fps,
        width=width,
        height=height,
        duration_s=frames / fps if fps else 0.0,
        faststart=is_faststart(path),
        size_bytes=Path(path).stat().st_size,
    )


def is_faststart(path: Path) -> bool:
    """True when the MP4's ``moov`` box comes before its ``mdat`` box."""
    with open(path, "rb") as handle:
        offset, size = 0, os.fstat(handle.fileno()).st_size
        while offset + 8 <= size:
            handle.seek(offset)
            box_size, kind = struct.unpack(">I4s", handle.read(8))
            if box_size == 1:
                box_size = struct.unpack(">Q", handle.read(8))[0]
            if kind in (b"moov", b"mdat"):
                return kind == b"moov"
            if box_size < 8:
                return False
            offset += box_size
    return False


def read_frames(path: Path, fmt: str = "rgb24") -> Iterator[np.ndarray]:
    """Decode every frame as an array (``rgb24`` (H, W, 3), ``gray`` (H, W) or ``yuv420p``)."""
    with _open_input(path) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format=fmt)


def first_frame(path: Path) -> Image.Image:
    """The first frame as an RGB image."""
    for rgb in read_frames(path):
        return Image.fromarray(rgb)
    raise InputError(f"{path} has no video frames")


def write_poster(video_path: Path, poster_path: Path, quality: int = 88) -> Path | None:
    """Save the first frame as a JPEG beside the video (for galleries); None if undecodable."""
    try:
        image = first_frame(video_path)
    except (InputError, NotFoundError) as exc:
        log.warning("no poster for %s: %s", video_path, exc)
        return None
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    atomic_write_bytes(Path(poster_path), buffer.getvalue())
    return Path(poster_path)
