"""The reel's sound: a music bed and voice-over lines mixed to a loudness target.

Audio files are decoded and resampled with PyAV (48 kHz stereo float). Loudness is the
integrated loudness of ITU-R BS.1770-4 / EBU R128 as measured by pyloudnorm. The music bed is
looped or cut to the reel's length, levelled to the target, and ducked (lowered by ``duck_db``
with short ramps) wherever a voice speaks; voices are levelled to the target too; the mix is
then levelled to the target and peak-limited below -1 dBFS, and measured again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np

from reelrag.errors import InputError, MissingDependencyError

log = logging.getLogger(__name__)

__all__ = ["RATE", "Mix", "decode_audio", "loudness_lufs", "mix_reel"]

RATE = 48_000
PEAK = 10 ** (-1.0 / 20)  # -1 dBFS
RAMP_S = 0.25  # duck attack/release


@dataclass(frozen=True)
class Mix:
    """The mixed stereo signal (2, n) and what was measured."""

    samples: np.ndarray
    lufs: float | None  # None when silent
    peak_dbfs: float | None
    music_gain_db: float | None
    voice_lines: int

    def report(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 2)

        return {
            "integrated_lufs": r(self.lufs),
            "peak_dbfs": r(self.peak_dbfs),
            "music_gain_db": r(self.music_gain_db),
            "voice_lines": self.voice_lines,
        }


def decode_audio(path: Path | str, rate: int = RATE) -> np.ndarray:
    """Any audio file PyAV reads -> float32 (2, n) at ``rate`` Hz."""
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError) as exc:
        raise InputError(
            f"cannot read audio {path}: {exc}", hint="use WAV, MP3, AAC or FLAC"
        ) from exc
    with container:
        if not container.streams.audio:
            raise InputError(f"{path} has no audio stream")
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=rate)
        chunks = [
            out.to_ndarray()
            for frame in container.decode(audio=0)
            for out in resampler.resample(frame)
        ]
        chunks += [out.to_ndarray() for out in resampler.resample(None)]
    if not chunks:
        raise InputError(f"{path} holds no audio samples")
    return np.concatenate(chunks, axis=1).astype(np.float32)


def mono_to_stereo(mono: np.ndarray, rate: int) -> np.ndarray:
    """A mono float signal at ``rate`` -> (2, n) at :data:`RATE` (resampled by PyAV)."""
    frame = av.AudioFrame.from_ndarray(
        mono.astype(np.float32)[None, :], format="fltp", layout="mono"
    )
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=RATE)
    parts = [f.to_ndarray() for f in resampler.resample(frame)]
    parts += [f.to_ndarray() for f in resampler.resample(None)]
    return np.concatenate(parts, axis=1).astype(np.float32)


def loudness_lufs(samples: np.ndarray, rate: int = RATE) -> float | None:
    """Integrated loudness (LUFS) of (channels, n) samples; None for silence or < 0.4 s."""
    try:
        import pyloudnorm
    except ImportError as exc:  # pinned in the base install; a broken env says so
        raise MissingDependencyError(
            "loudness needs pyloudnorm", hint="pip install pyloudnorm"
        ) from exc
    if samples.shape[1] < int(0.4 * rate) + 1:
        return None
    value = float(pyloudnorm.Meter(rate).integrated_loudness(samples.T.astype(np.float64)))
    return value if np.isfinite(value) else None


def _gain_to(samples: np.ndarray, target: float) -> tuple[np.ndarray, float | None]:
    level = loudness_lufs(samples)
    if level is None:
        return samples, None
    gain_db = target - level
    return samples * np.float32(10 ** (gain_db / 20)), gain_db


def fit_length(samples: np.ndarray, n: int) -> np.ndarray:
    """Loop or cut (2, m) samples to exactly n, with a 50 ms fade at each loop seam and the end."""
    if samples.shape[1] >= n:
        out = samples[:, :n].copy()
    else:
        reps = -(-n // samples.shape[1])
        out = np.tile(samples, (1, reps))[:, :n].copy()
    fade = min(n, int(0.05 * RATE))
    out[:, n - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return out


def duck_envelope(n: int, spans: list[tuple[int, int]], duck_db: float) -> np.ndarray:
    """Gain per sample: 1, lowered by ``duck_db`` over each (start, end) span, with ramps."""
    from scipy.ndimage import maximum_filter1d, uniform_filter1d

    mask = np.zeros(n, np.float32)
    for start, end in spans:
        mask[max(0, start) : min(n, end)] = 1.0
    ramp = max(1, int(RAMP_S * RATE))
    # widen each span by the ramp first, so the music is already down when the voice starts
    widened = maximum_filter1d(mask, size=2 * ramp + 1)
    smooth = uniform_filter1d(widened, size=ramp, mode="constant")
    floor = 10 ** (-abs(duck_db) / 20)
    gain: np.ndarray = 1.0 - (1.0 - floor) * np.clip(smooth, 0.0, 1.0)
    return gain.astype(np.float32)


def limit(samples: np.ndarray) -> np.ndarray:
    """Keep peaks under -1 dBFS: gain reduction held over 5 ms and released over 50 ms."""
    peak = np.abs(samples).max(axis=0)
    need = np.minimum(1.0, PEAK / np.maximum(peak, 1e-9))
    if need.min() >= 1.0:
        return samples
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    held = minimum_filter1d(need, size=int(0.005 * RATE) * 2 + 1)
    gain = np.minimum(held, uniform_filter1d(held, size=int(0.05 * RATE)))
    return np.clip(samples * gain.astype(np.float32), -PEAK, PEAK)


def mix_reel(
    n: int,
    *,
    music: np.ndarray | None,
    voices: list[tuple[int, np.ndarray]],
    target_lufs: float,
    duck_db: float,
) -> Mix:
    """Mix ``n`` stereo samples: the bed (looped, levelled, ducked) and each (start, voice)."""
    mixed = np.zeros((2, n), np.float32)
    music_gain = None
    if music is not None:
        bed, music_gain = _gain_to(fit_length(music, n), target_lufs)
        spans = [(start, start + v.shape[1]) for start, v in voices]
        mixed += bed * duck_envelope(n, spans, duck_db)
    for start, voice in voices:
        levelled, _ = _gain_to(voice, target_lufs)
        end = min(n, start + levelled.shape[1])
        mixed[:, start:end] += levelled[:, : end - start]
    if not music_gain and not voices:
        return Mix(mixed, None, None, music_gain, 0)
    for _ in range(3):  # level, limit, measure; the limiter may lower it a little
        mixed, _ = _gain_to(mixed, target_lufs)
        mixed = limit(mixed)
        level = loudness_lufs(mixed)
        if level is None or abs(level - target_lufs) < 0.3:
            break
    peak = float(np.abs(mixed).max())
    return Mix(mixed, loudness_lufs(mixed), 20 * np.log10(max(peak, 1e-9)), music_gain, len(voices))
