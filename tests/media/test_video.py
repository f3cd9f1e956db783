"""Encoding, probing, faststart, atomic writes and one-line disk errors."""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
import pytest

from reelrag.errors import InputError, NotFoundError, ReelragError
from reelrag.media.measure import frame_shifts, jitter_px2
from reelrag.media.video import (
    VideoWriter,
    disk_error,
    first_frame,
    is_faststart,
    probe,
    read_frames,
    write_poster,
    yuv420_frame,
    yuv420_planes,
)


def gradient(width: int, height: int, shift: int = 0) -> np.ndarray:
    x = (np.arange(width)[None, :] + shift) % 256
    y = np.arange(height)[:, None]
    return np.dstack(
        [
            np.broadcast_to(x, (height, width)),
            np.broadcast_to(y, (height, width)),
            np.full((height, width), 90),
        ]
    ).astype(np.uint8)


def test_writes_h264_yuv420p_faststart_with_exact_frames(tmp_path: Path) -> None:
    out = tmp_path / "clip.mp4"
    with VideoWriter(out, 96, 64, 12, crf=18, preset="ultrafast") as writer:
        for i in range(18):
            writer.write_rgb(gradient(96, 64, i))
    info = probe(out)
    assert (info.codec, info.pix_fmt, info.frames) == ("h264", "yuv420p", 18)
    assert (info.width, info.height, info.fps) == (96, 64, 12.0)
    assert info.duration_s == pytest.approx(1.5)
    assert info.faststart and is_faststart(out)
    assert len(list(read_frames(out))) == 18
    assert not list(tmp_path.glob(".tmp-*"))


def test_first_frame_round_trips_colour(tmp_path: Path) -> None:
    out = tmp_path / "clip.mp4"
    frame = gradient(128, 96)
    with VideoWriter(out, 128, 96, 24, crf=10) as writer:
        writer.write_rgb(frame)
    decoded = np.asarray(first_frame(out)).astype(int)
    assert np.abs(decoded - frame).mean() < 3
    poster = write_poster(out, tmp_path / "clip.jpg")
    assert poster is not None and poster.read_bytes()[:2] == b"\xff\xd8"


def test_failure_leaves_no_partial_file(tmp_path: Path) -> None:
    out = tmp_path / "clip.mp4"
    with pytest.raises(RuntimeError), VideoWriter(out, 64, 64, 24) as writer:
        writer.write_rgb(gradient(64, 64))
        raise RuntimeError("render failed")
    assert list(tmp_path.iterdir()) == []


def test_existing_file_is_replaced_atomically(tmp_path: Path) -> None:
    out = tmp_path / "clip.mp4"
    out.write_bytes(b"old")
    with VideoWriter(out, 64, 64, 24) as writer:
        writer.write_rgb(gradient(64, 64))
        assert out.read_bytes() == b"old"  # readers see the old file until the end
    assert probe(out).frames == 1


def test_disk_full_is_a_one_line_error(tmp_path: Path) -> None:
    error = disk_error(OSError(errno.ENOSPC, "No space left on device"), tmp_path / "x.mp4")
    assert isinstance(error, ReelragError) and "no space left" in str(error)
    assert "\n" not in str(error) and error.hint


def test_bad_arguments_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        VideoWriter(tmp_path / "a.mp4", 63, 64, 24)
    with pytest.raises(InputError):
        VideoWriter(tmp_path / "a.mp4", 64, 64, 24, preset="warp")
    with pytest.raises(NotFoundError):
        probe(tmp_path / "missing.mp4")
    (tmp_path / "junk.mp4").write_bytes(b"not a video")
    with pytest.raises(InputError):
        probe(tmp_path / "junk.mp4")
    assert not list(tmp_path.glob(".tmp-*"))


def test_jitter_metric_separates_smooth_from_snapped_motion() -> None:
    base = gradient(160, 120).mean(axis=2)
    rng = np.random.default_rng(1)
    texture = base + rng.normal(0, 20, base.shape)
    smooth, snapped = [], []
    for i in range(20):
        offset = i * 0.37
        xs = np.arange(160) + offset
        cols = [np.interp(xs, np.arange(160), row, period=160) for row in texture]
        smooth.append(np.array(cols, dtype=np.float32))
        snapped.append(np.roll(texture, round(offset), axis=1).astype(np.float32))
    assert jitter_px2(snapped) > 5 * jitter_px2(smooth)


@pytest.mark.parametrize(("dx", "dy"), [(0.1, 0.0), (0.43, -0.27), (1.5, 0.62), (-3.31, 2.7)])
def test_shift_estimate_is_sub_pixel_exact(dx: float, dy: float) -> None:
    """A band-limited picture moved by an exact sub-pixel shift (in the Fourier domain) is
    measured to within 0.01 px: no pull toward whole pixels (OpenCV's phaseCorrelate is off
    by tenths of a pixel here)."""
    rng = np.random.default_rng(4)
    spectrum = np.fft.fft2(rng.normal(0, 1, (180, 320)))
    fy, fx = np.meshgrid(np.fft.fftfreq(180), np.fft.fftfreq(320), indexing="ij")
    spectrum *= np.exp(-(fx**2 + fy**2) / (2 * 0.08**2))  # smooth, like a photo
    moved = spectrum * np.exp(-2j * np.pi * (fx * dx + fy * dy))
    frames = [np.real(np.fft.ifft2(s)) for s in (spectrum, moved)]
    frames = [(f - f.min()) / np.ptp(f) * 255 for f in frames]
    ((mx, my),) = frame_shifts(frames)
    assert mx == pytest.approx(dx, abs=0.01) and my == pytest.approx(dy, abs=0.01)


def test_rendering_into_frame_planes_reaches_the_file(tmp_path: Path) -> None:
    # 100 px wide: FFmpeg pads the rows (line_size > width); views must hide the padding
    frame = yuv420_frame(100, 64)
    y, u, v = yuv420_planes(frame)
    assert (y.shape, u.shape, v.shape) == ((64, 100), (32, 50), (32, 50))
    y[:] = np.arange(100, dtype=np.uint8)[None, :] + 60
    u[:], v[:] = 128, 128
    assert np.array_equal(frame.to_ndarray()[:64], y)
    out = tmp_path / "planes.mp4"
    with VideoWriter(out, 100, 64, 24, crf=1) as writer:
        writer.write_frame(frame)
        y[:] = 200  # reusing the frame after writing it does not change what was written
        writer.write_frame(frame)
    first, second = (planes[:64] for planes in read_frames(out, "yuv420p"))  # Y as coded
    assert np.abs(first.astype(int) - (np.arange(100) + 60)[None, :]).max() <= 2
    assert np.abs(second.astype(int) - 200).max() <= 2
