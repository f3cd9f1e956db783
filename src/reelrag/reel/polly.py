"""Amazon Polly voice-over (the ``aws`` extra): ``SynthesizeSpeech`` as 16 kHz PCM."""

from __future__ import annotations

from typing import Any

import numpy as np

from reelrag.reel.voice import VoiceBackend, pcm16_to_float
from reelrag.settings import Settings

__all__ = ["PollyVoice"]

RATE = 16_000


class PollyVoice(VoiceBackend):
    """Polly's neural voices; ``client`` is a boto3 ``polly`` client (a Stubber in tests)."""

    name = "polly"

    def __init__(self, client: Any, voice_id: str = "Joanna", engine: str = "neural") -> None:
        self.client, self.voice_id, self.engine = client, voice_id, engine
        self.model = f"polly:{engine}:{voice_id}"

    @classmethod
    def from_settings(cls, settings: Settings) -> PollyVoice:
        from reelrag.aws.clients import make_client

        return cls(make_client("polly", settings), voice_id=settings.polly_voice)

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        from reelrag.aws.clients import aws_errors

        line = self.check_text(text)
        with aws_errors("polly:SynthesizeSpeech"):
            response = self.client.synthesize_speech(
                Text=line,
                OutputFormat="pcm",
                SampleRate=str(RATE),
                VoiceId=self.voice_id,
                Engine=self.engine,
            )
            data = response["AudioStream"].read()
        return pcm16_to_float(data), RATE
