"""The reel's file: H.264 video and AAC audio in one MP4, faststart, written atomically.

Extends :class:`reelrag.media.video.VideoWriter` (same x264 settings, BT.709, temp file and
``os.replace``) with a stereo AAC stream fed in step with the video, so the two interleave.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from reelrag.media.video import VideoWriter
from reelrag.reel.audio import RATE

__all__ = ["ReelWriter"]

AAC_FRAME = 1024
AAC_BITRATE = 192_000


class ReelWriter(VideoWriter):
    """``write_yuv420`` / ``write_rgb`` frames; the audio ``samples`` (2, n) at 48 kHz are muxed
    alongside."""

    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        fps: int,
        samples: np.ndarray,
        *,
        crf: int = 20,
        preset: str = "veryfast",
        x264_params: str = "",
    ) -> None:
        self._samples = np.ascontiguousarray(samples, dtype=np.float32)
        self._audio_at = 0
        super().__init__(path, width, height, fps, crf=crf, preset=preset, x264_params=x264_params)

    def _open(self, crf: int, preset: str, x264_params: str) -> None:
        super()._open(crf, preset, x264_params)
        audio = self._container.add_stream("aac", rate=RATE)
        audio.layout = "stereo"
        audio.bit_rate = AAC_BITRATE
        self._audio = audio

    def write_yuv420(self, planes: np.ndarray) -> None:
        super().write_yuv420(planes)
        self._audio_until(self.frames * RATE // self.fps)

    def _audio_until(self, sample: int) -> None:
        end = min(sample, self._samples.shape[1])
        while self._audio_at < end:
            stop = min(self._audio_at + AAC_FRAME, self._samples.shape[1])
            if stop - self._audio_at < AAC_FRAME and stop < end:
                break
            chunk = self._samples[:, self._audio_at : stop]
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(chunk), format="fltp", layout="stereo"
            )
            frame.sample_rate, frame.pts = RATE, self._audio_at
            for packet in self._audio.encode(frame):
                self._container.mux(packet)
            self._audio_at = stop

    def close(self) -> Path:
        try:
            self._audio_until(self._samples.shape[1])
            for packet in self._audio.encode(None):
                self._container.mux(packet)
        except (OSError, av.FFmpegError):
            self.abort()
            raise
        return super().close()
