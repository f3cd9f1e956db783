"""The reel's sound on real signals: BS.1770 levelling, ducking, limiting, voices and TTS."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import boto3
import numpy as np
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from reel_media import music_wav

from reelrag.errors import InputError
from reelrag.plugins import registry
from reelrag.reel.audio import RATE, decode_audio, duck_envelope, loudness_lufs, mix_reel
from reelrag.reel.polly import PollyVoice
from reelrag.reel.voice import EspeakVoice


def test_music_is_levelled_and_ducked_under_the_voice(tmp_path: Path) -> None:
    music = decode_audio(music_wav(tmp_path / "m.wav", 2.0, level_dbfs=-35.0))
    voice = decode_audio(music_wav(tmp_path / "v.wav", 1.0, level_dbfs=-25.0, seed=3))
    n = 5 * RATE
    alone = mix_reel(n, music=music, voices=[], target_lufs=-18.0, duck_db=12.0)
    assert loudness_lufs(alone.samples) == pytest.approx(-18.0, abs=0.3)
    mixed = mix_reel(n, music=music, voices=[(2 * RATE, voice)], target_lufs=-18.0, duck_db=12.0)
    assert mixed.lufs == pytest.approx(-18.0, abs=0.5) and mixed.voice_lines == 1
    assert np.abs(mixed.samples).max() <= 10 ** (-1 / 20) + 1e-6


def test_duck_envelope_ramps_down_by_the_set_amount() -> None:
    gain = duck_envelope(4 * RATE, [(RATE, 2 * RATE)], 12.0)
    assert gain[0] == pytest.approx(1.0) and gain[-1] == pytest.approx(1.0)
    assert gain[int(1.5 * RATE)] == pytest.approx(10 ** (-12 / 20), rel=1e-3)
    assert np.all(np.abs(np.diff(gain)) < 1e-3)  # ramps, no clicks


def test_silence_is_not_levelled() -> None:
    mix = mix_reel(RATE, music=None, voices=[], target_lufs=-16.0, duck_db=12.0)
    assert mix.lufs is None and not mix.samples.any()


def test_unreadable_audio_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio")
    with pytest.raises(InputError, match="cannot read audio"):
        decode_audio(bad)


def test_polly_voice_through_the_stubber() -> None:
    client = boto3.client(
        "polly", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    tone = (np.sin(np.arange(16000) / 5) * 8000).astype("<i2").tobytes()
    voice = PollyVoice(client, voice_id="Matthew")
    with Stubber(client) as stub:
        stub.add_response(
            "synthesize_speech",
            {"AudioStream": StreamingBody(io.BytesIO(tone), len(tone)), "ContentType": "audio/pcm"},
            {
                "Text": "Hello there.",
                "OutputFormat": "pcm",
                "SampleRate": "16000",
                "VoiceId": "Matthew",
                "Engine": "neural",
            },
        )
        samples, rate = voice.synthesize("  Hello   there. ")
        stub.assert_no_pending_responses()
    assert rate == 16000 and samples.shape == (16000,) and 0.2 < np.abs(samples).max() < 0.3
    assert registry.get("voice", "polly") is PollyVoice


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_espeak_speaks_a_line() -> None:
    samples, rate = EspeakVoice().synthesize("Welcome to the beach.")
    assert rate > 8000 and 0.5 < samples.size / rate < 4.0 and np.abs(samples).max() > 0.05
    with pytest.raises(InputError, match="empty"):
        EspeakVoice().synthesize("   ")
