"""Text-to-speech for voice-over lines: the seam and the offline backend (espeak-ng).

A voice backend turns one line of text into mono float samples and their rate. ``espeak-ng``
is called as a program (``apt-get install espeak-ng``); Amazon Polly lives in
:mod:`reelrag.reel.polly` (the ``aws`` extra). Backends are registered as ``voice.<name>``.
"""

from __future__ import annotations

import abc
import io
import shutil
import subprocess
import wave

import numpy as np

from reelrag.errors import BackendError, InputError, MissingDependencyError
from reelrag.settings import Settings

__all__ = ["EspeakVoice", "VoiceBackend", "pcm16_to_float"]

MAX_LINE_CHARS = 1500


class VoiceBackend(abc.ABC):
    """Speaks one line: ``synthesize(text) -> (mono float32 samples, sample rate)``."""

    name: str = ""
    model: str = ""

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: Settings) -> VoiceBackend: ...

    @abc.abstractmethod
    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        """The spoken line as mono float32 samples in [-1, 1] and their sample rate."""

    @staticmethod
    def check_text(text: str) -> str:
        line = " ".join(text.split())
        if not line:
            raise InputError("a voice-over line is empty")
        if len(line) > MAX_LINE_CHARS:
            raise InputError(f"a voice-over line has {len(line)} characters (max {MAX_LINE_CHARS})")
        return line


def pcm16_to_float(data: bytes) -> np.ndarray:
    """Little-endian signed 16-bit PCM -> float32 in [-1, 1)."""
    samples: np.ndarray = np.frombuffer(data, "<i2").astype(np.float32) / 32768.0
    return samples


class EspeakVoice(VoiceBackend):
    """espeak-ng, offline: robotic but dependable, and free of any network."""

    name = "espeak"

    def __init__(self, voice: str = "en", words_per_minute: int = 160) -> None:
        self.voice, self.words_per_minute = voice, words_per_minute
        self.model = f"espeak-ng:{voice}"

    @classmethod
    def from_settings(cls, settings: Settings) -> EspeakVoice:
        return cls(voice=settings.espeak_voice or "en")

    @staticmethod
    def binary() -> str | None:
        return shutil.which("espeak-ng")

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        line = self.check_text(text)
        exe = self.binary()
        if exe is None:
            raise MissingDependencyError(
                "the espeak voice needs the espeak-ng program",
                hint="apt-get install espeak-ng, or give voiceover_file / voice: polly",
            )
        command = [exe, "-v", self.voice, "-s", str(self.words_per_minute), "--stdout", line]
        try:
            done = subprocess.run(command, capture_output=True, timeout=60, check=True)
        except subprocess.CalledProcessError as exc:
            message = exc.stderr.decode(errors="replace").strip().splitlines()[:1]
            raise BackendError(f"espeak-ng failed: {' '.join(message) or exc}") from exc
        except subprocess.TimeoutExpired as exc:
            raise BackendError("espeak-ng took over 60 s for one line") from exc
        with wave.open(io.BytesIO(done.stdout)) as wav:
            rate, frames = wav.getframerate(), wav.readframes(wav.getnframes())
        return pcm16_to_float(frames), rate
