"""A reel's voice-over lines, music bed and subtitle cues, placed on its timeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from reelrag.errors import InputError
from reelrag.plugins import registry
from reelrag.reel.audio import RATE, Mix, decode_audio, mix_reel, mono_to_stereo
from reelrag.reel.storyboard import Storyboard
from reelrag.reel.subtitles import Cue, cues_for
from reelrag.reel.timeline import Timeline
from reelrag.settings import Settings

__all__ = ["Soundtrack", "soundtrack"]

LEAD_IN_S = 0.3  # a line starts this long after its shot (and after a dip's fade-in)


@dataclass(frozen=True)
class Soundtrack:
    """The mix, the subtitle cues and where each sound came from (for manifests)."""

    mix: Mix
    cues: list[Cue]
    voice_files: list[str]
    voice_backend: str | None
    voice_model: str | None


def soundtrack(board: Storyboard, timeline: Timeline, settings: Settings) -> Soundtrack:
    """Speak or load each voice-over, place it, mix it over the music bed; cue the subtitles."""
    voices: list[tuple[int, np.ndarray]] = []
    cues: list[Cue] = []
    files: list[str] = []
    tts: Any = None
    for p in timeline.placements:
        shot = p.shot
        if not (shot.voiceover or shot.voiceover_file):
            continue
        if shot.voiceover_file:
            path = board.resolve(shot.voiceover_file) or ""
            line, files = decode_audio(path), [*files, path]
        else:
            tts = tts or registry.create("voice", board.voice or settings.reel_voice, settings)
            mono, rate = tts.synthesize(shot.voiceover or "")
            line = mono_to_stereo(mono, rate)
        start_s = (p.start + p.fade_in) / timeline.fps + LEAD_IN_S
        length_s = line.shape[1] / RATE
        room_s = p.end / timeline.fps - start_s
        if length_s > room_s + 0.05:
            raise InputError(
                f"shot {shot.index}'s voice-over lasts {length_s:.1f} s but the shot leaves "
                f"{room_s:.1f} s for it",
                hint="shorten the line or lengthen the shot's duration",
            )
        voices.append((round(start_s * RATE), line))
        if shot.voiceover:
            cues += cues_for(shot.voiceover, start_s, length_s)
    music = decode_audio(board.resolve(board.music) or "") if board.music else None
    target = board.music_lufs if board.music_lufs is not None else settings.reel_loudness_lufs
    n = timeline.frames * RATE // timeline.fps
    mix = mix_reel(n, music=music, voices=voices, target_lufs=target, duck_db=settings.reel_duck_db)
    return Soundtrack(mix, cues, files, getattr(tts, "name", None), getattr(tts, "model", None))
