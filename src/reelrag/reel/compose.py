"""Composition: shot clips -> one reel per aspect ratio, in a single pass over the frames.

Each shot clip is decoded once (PyAV) and drawn into every requested output: reframed to the
output's shape along its subject's crop track (:mod:`reelrag.reel.reframe`), blended with its
neighbour during a crossfade / slide, faded during a dip to black, overlaid with titles, lower
thirds and subtitles (:mod:`reelrag.reel.text`), then encoded with the mixed audio
(:class:`reelrag.reel.mux.ReelWriter`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from reelrag.reel.mux import ReelWriter
from reelrag.reel.reframe import CropTrack, crop_track
from reelrag.reel.subtitles import Cue
from reelrag.reel.text import Overlay, font, render_block, wrap
from reelrag.reel.timeline import Placement, Timeline, safe_area
from reelrag.reel.yuv import dim, planes

log = logging.getLogger(__name__)

__all__ = ["Output", "compose", "overlays_for"]

SALIENCY_PX = 128  # width of the copies the crop tracks are computed on
# The crop window moves by fractions of a pixel: a linear warp blurs each such shift (a 9:16
# window kept a quarter of the 16:9 output's Laplacian variance); cubic keeps most of it at a
# quarter of Lanczos's cost (11.5 against 46.5 ms for a 720x1280 window of a 2276x1280 frame).
_WARP = cv2.INTER_CUBIC


@dataclass(frozen=True)
class Output:
    """One file to write: its aspect ratio, size and path."""

    aspect: str
    width: int
    height: int
    path: Path


class ClipReader:
    """Frames of one shot clip in order, as I420 arrays (the clips' own format, so no colour
    conversion), at the reel's ``fps``: a clip at another rate (a model that renders 16 fps) has
    its frames repeated or dropped; the last frame is held past the end."""

    def __init__(self, path: Path, fps: int) -> None:
        self._container = av.open(str(path))
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        self._rate = rate_ratio(stream, fps)
        self._frames = self._container.decode(video=0)
        self._at = -1
        self._last: np.ndarray | None = None

    def frame(self, local: int) -> np.ndarray:
        """The clip's frame shown at reel frame ``local`` (calls go forward in time)."""
        wanted = shown_frame(local, self._rate)
        while self._at < wanted:
            try:
                self._last = next(self._frames).to_ndarray(format="yuv420p")
            except StopIteration:
                break
            self._at += 1
        if self._last is None:
            raise ValueError("the clip has no frames")
        return self._last

    def close(self) -> None:
        self._container.close()


def tracks_for(path: Path, outputs: list[Output], fps: int, frames: int) -> dict[str, CropTrack]:
    """Crop tracks of one clip for each output whose shape differs from the clip's."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        src = (stream.codec_context.width, stream.codec_context.height)
        narrow = [o for o in outputs if abs(o.width / o.height - src[0] / src[1]) > 0.01]
        if not narrow:
            return {}
        stream.thread_type = "AUTO"
        size = (SALIENCY_PX, max(8, round(SALIENCY_PX * src[1] / src[0])))
        small = [
            f.to_ndarray(format="rgb24", width=size[0], height=size[1])
            for f in container.decode(stream)
        ]
        rate = rate_ratio(stream, fps)
    if rate != 1.0 and small:  # the saliency of the frame each reel frame shows
        small = [small[min(len(small) - 1, shown_frame(i, rate))] for i in range(frames)]
    count = max(frames, len(small))
    return {o.aspect: crop_track(iter(small), src, (o.width, o.height), fps, count) for o in narrow}


def rate_ratio(stream: av.video.stream.VideoStream, fps: int) -> float:
    """A clip's frame rate over the reel's ``fps`` (1 when the file does not say)."""
    rate = stream.average_rate or stream.guessed_rate
    return float(rate) / fps if rate else 1.0


def shown_frame(local: int, ratio: float) -> int:
    """The clip frame shown at reel frame ``local`` (frames repeated or dropped by ``ratio``)."""
    return int(local * ratio + 1e-6)


def reframe(
    i420: np.ndarray, track: CropTrack | None, local: int, size: tuple[int, int]
) -> np.ndarray:
    """The output-sized I420 picture of one clip frame (its crop window, scaled), a new array."""
    out = np.empty((size[1] * 3 // 2, size[0]), np.uint8)
    src, dst = planes(i420), planes(out)
    if track is None:
        for a, b in zip(src, dst, strict=True):
            if a.shape == b.shape:
                b[:] = a
            else:
                shrink = a.shape[1] > b.shape[1]
                cv2.resize(
                    a,
                    b.shape[::-1],
                    dst=b,
                    interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR,
                )
        return out
    x0, y0, x1, _ = track.box(local)
    scale = size[0] / (x1 - x0)
    for k, (a, b) in enumerate(zip(src, dst, strict=True)):
        div = 1 if k == 0 else 2  # chroma planes: half the coordinates
        box = (x0 / div, y0 / div, b.shape[1] / scale, b.shape[0] / scale)
        if scale < 1.0:
            _area_window(a, box, b)
            continue
        # pixel centres: output pixel j shows the window at (j + 0.5) / scale - 0.5
        tx, ty = scale * (0.5 - box[0]) - 0.5, scale * (0.5 - box[1]) - 0.5
        matrix = np.array([[scale, 0, tx], [0, scale, ty]], np.float32)
        cv2.warpAffine(a, matrix, b.shape[::-1], dst=b, flags=_WARP, borderMode=cv2.BORDER_REFLECT)
    return out


def _area_window(
    plane: np.ndarray, box: tuple[float, float, float, float], out: np.ndarray
) -> None:
    """Average the window ``box`` (left, top, width, height) of ``plane`` down into ``out``, the
    window placed on whole pixels of the plane: each is smaller than a pixel of ``out``, so the
    glide stays smooth, and no interpolation softens the picture (a warp at a fraction of a
    pixel did: the 1:1 output of a reel with a 9:16 one lost a fifth of its detail)."""
    h, w = plane.shape
    width, height = min(w, round(box[2])), min(h, round(box[3]))
    left = min(max(0, round(box[0])), w - width)
    top = min(max(0, round(box[1])), h - height)
    window = plane[top : top + height, left : left + width]
    cv2.resize(window, out.shape[::-1], dst=out, interpolation=cv2.INTER_AREA)


def blend(a: np.ndarray, b: np.ndarray, mix: float, kind: str) -> np.ndarray:
    """Two shots (I420) during a transition: a crossfade or a push slide (the new one from the
    right, by an even number of pixels so the chroma planes move with the luma)."""
    if kind != "slide":
        return cv2.addWeighted(a, 1.0 - mix, b, mix, 0.0)
    out = np.empty_like(a)
    luma_shift = 2 * round(a.shape[1] * mix / 2)
    for k, (pa, pb, po) in enumerate(zip(planes(a), planes(b), planes(out), strict=True)):
        width = pa.shape[1]
        shift = min(width, luma_shift if k == 0 else luma_shift // 2)
        po[:, : width - shift] = pa[:, shift:]
        po[:, width - shift :] = pb[:, :shift]
    return out


def overlays_for(
    placements: list[Placement],
    cues: list[Cue],
    out: Output,
    fps: int,
    *,
    burn_subtitles: bool = True,
    subtitle_px: int = 0,
) -> list[Overlay]:
    """Titles, lower thirds and subtitles of one output, inside its safe area."""
    x0, y0, x1, y1 = safe_area(out.aspect, out.width, out.height)
    short = min(out.width, out.height)
    title_px, lower_px = round(short * 0.075), round(short * 0.048)
    sub_px = subtitle_px or round(short * 0.045)
    fade = max(1, round(0.3 * fps))
    made: list[Overlay] = []
    for p in placements:
        start, end = p.start + fade // 2, p.end - fade // 2
        if p.shot.title:
            block = render_block(wrap(p.shot.title, font(title_px), x1 - x0), title_px, box=False)
            x = (out.width - block.shape[1]) // 2
            y = y0 + round((y1 - y0) * 0.08)
            made.append(Overlay(block, x, y, start, end, fade, "title", p.shot.title))
        if p.shot.lower_third:
            lines = wrap(p.shot.lower_third, font(lower_px), round((x1 - x0) * 0.8))
            block = render_block(lines, lower_px, align="left")
            y = y1 - block.shape[0] - round(sub_px * 4.2)
            made.append(
                Overlay(block, x0, y, start + fade, end, fade, "lower_third", p.shot.lower_third)
            )
    if burn_subtitles:
        for cue in cues:
            block = render_block(cue.text.split("\n"), sub_px)
            x, y = (out.width - block.shape[1]) // 2, y1 - block.shape[0]
            first, last = round(cue.start_s * fps), round(cue.end_s * fps)
            made.append(Overlay(block, x, y, first, last, 2, "subtitle", cue.text))
    return made


def compose(
    timeline: Timeline,
    clips: list[Path],
    outputs: list[Output],
    samples: np.ndarray,
    overlays: dict[str, list[Overlay]],
    *,
    crf: int = 20,
    preset: str = "veryfast",
    x264_params: str = "",
    report: Callable[[float, str], None] = lambda f, m: None,
) -> dict[str, dict[str, float]]:
    """Write every output; returns each output's mean kept saliency per reframed shot."""
    fps = timeline.fps
    tracks = [
        tracks_for(path, outputs, fps, p.frames)
        for path, p in zip(clips, timeline.placements, strict=True)
    ]
    writers = [
        ReelWriter(
            o.path, o.width, o.height, fps, samples, crf=crf, preset=preset, x264_params=x264_params
        )
        for o in outputs
    ]
    try:
        for index, pictures in _frames(timeline, clips, tracks, outputs):
            for out, writer, picture in zip(outputs, writers, pictures, strict=True):
                view = planes(picture)
                for overlay in overlays.get(out.aspect, []):
                    overlay.blend(view, index)
                writer.write_yuv420(picture)
            if index % fps == 0:
                report(index / timeline.frames, f"frame {index}/{timeline.frames}")
        for writer in writers:
            writer.close()
    except BaseException:
        for writer in writers:
            writer.abort()
        raise
    return {o.aspect: _kept(tracks, o.aspect) for o in outputs}


def _kept(tracks: list[dict[str, CropTrack]], aspect: str) -> dict[str, float]:
    return {
        f"shot_{k + 1}": round(t[aspect].kept_saliency, 3)
        for k, t in enumerate(tracks)
        if aspect in t
    }


def _frames(
    timeline: Timeline, clips: list[Path], tracks: list[dict[str, CropTrack]], outputs: list[Output]
) -> Iterator[tuple[int, list[np.ndarray]]]:
    readers: dict[int, ClipReader] = {}
    try:
        for index in range(timeline.frames):
            f = timeline.frame(index)
            for k in [k for k in readers if k < f.shot]:  # shots that are over
                readers.pop(k).close()
            current = _reader(readers, clips, f.shot, timeline.fps).frame(f.local)
            incoming = None
            if f.next_local is not None:
                incoming = _reader(readers, clips, f.shot + 1, timeline.fps).frame(f.next_local)
            pictures = []
            for out in outputs:
                size = (out.width, out.height)
                picture = reframe(current, tracks[f.shot].get(out.aspect), f.local, size)
                if incoming is not None and f.next_local is not None:
                    other = reframe(
                        incoming, tracks[f.shot + 1].get(out.aspect), f.next_local, size
                    )
                    picture = blend(picture, other, f.mix, f.kind)
                elif f.brightness < 1.0:
                    picture = dim(picture, f.brightness)
                pictures.append(picture)
            yield index, pictures
    finally:
        for reader in readers.values():
            reader.close()


def _reader(readers: dict[int, ClipReader], clips: list[Path], k: int, fps: int) -> ClipReader:
    if k not in readers:
        readers[k] = ClipReader(clips[k], fps)
    return readers[k]
