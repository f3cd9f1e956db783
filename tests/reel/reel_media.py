"""Real media for reel tests: photos with an off-centre subject, a music file, cut detection."""

from __future__ import annotations

import itertools
import wave
from pathlib import Path

import numpy as np
from PIL import Image

RATE = 48_000


def subject_photo(path: Path, *, x_frac: float = 0.82, size: tuple[int, int] = (960, 540)) -> Path:
    """A smooth gradient with one busy red-and-yellow checkered disc at ``x_frac`` of the width:
    the only salient thing, far enough off-centre that a centre 9:16 crop would miss it."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([40 + 40 * xx / w, 70 + 30 * yy / h, 110 + 20 * xx / w], axis=-1)
    cx, cy, r = x_frac * w, 0.5 * h, 0.16 * h
    disc = (xx - cx) ** 2 + (yy - cy) ** 2 < r**2
    checker = ((xx // 9 + yy // 9) % 2).astype(bool)
    base[disc & checker] = (230, 30, 30)
    base[disc & ~checker] = (250, 220, 40)
    Image.fromarray(base.astype(np.uint8)).save(path, quality=95)
    return path


def red_share(rgb: np.ndarray) -> float:
    """Share of pixels in the subject's warm colours (the background is blue)."""
    r, b = rgb[..., 0].astype(int), rgb[..., 2].astype(int)
    return float(((r > 150) & (b < 90)).mean())


def music_wav(path: Path, seconds: float, *, level_dbfs: float = -30.0, seed: int = 1) -> Path:
    """A stereo 48 kHz 16-bit WAV: a chord with a slow swell and a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6, 440.0))
    swell = 0.6 + 0.4 * np.sin(2 * np.pi * 0.25 * t)
    mono = chord * swell + 0.2 * rng.standard_normal(t.size)
    mono *= 10 ** (level_dbfs / 20) / np.sqrt(np.mean(mono**2))
    stereo = np.stack([mono, 0.9 * mono], axis=1)
    pcm = (np.clip(stereo, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())
    return path


def cut_frames(frames: list[np.ndarray], ratio: float = 6.0) -> list[int]:
    """Frames that start a new shot: their mean absolute difference from the previous frame is
    far above the clip's typical frame-to-frame difference (a camera move's) and an isolated
    spike (a fade changes every frame a little; a cut changes one frame a lot)."""
    grey = [f.astype(np.float32).mean(axis=2) for f in frames]
    diffs = np.array([np.abs(b - a).mean() for a, b in itertools.pairwise(grey)])
    typical = float(np.median(diffs)) + 0.5
    padded = np.pad(diffs, 1)
    around = np.maximum(padded[:-2], padded[2:])
    spikes = (diffs > ratio * typical) & (diffs > 12) & (diffs > 2.5 * around)
    return [int(i) + 1 for i in np.flatnonzero(spikes)]
