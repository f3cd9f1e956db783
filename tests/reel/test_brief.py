"""`reelrag reel --brief`: a Converse model (botocore Stubber) proposes shots over the library's
candidates; each is re-checked against the match rule before the YAML is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import ANY, Stubber

from reelrag.errors import BackendError, InputError
from reelrag.library import Library
from reelrag.reel import load_storyboard
from reelrag.reel.brief import storyboard_from_brief
from reelrag.settings import Settings


@pytest.fixture
def library(settings: Settings, sample_photos: Path) -> Any:
    lib = Library(settings)
    lib.ingest([str(sample_photos)], recursive=True)
    yield lib
    lib.close()


def _client() -> Any:
    return boto3.client(
        "bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )


def _answer(text: str) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 10, "outputTokens": 10, "totalTokens": 20},
        "metrics": {"latencyMs": 5},
    }


def _asset(library: Any, word: str) -> str:
    return next(a.id for a in library.assets() if word in a.caption.lower())


def test_only_shots_that_pass_the_match_rule_are_kept(
    library: Any, settings: Settings, tmp_path: Path
) -> None:
    cat, coffee = _asset(library, "cat"), _asset(library, "coffee")
    proposal = {
        "title": "Office life",
        "shots": [
            {
                "asset": cat[:12],
                "object": "a ginger cat",
                "action": "camera zooms in",
                "duration": 4,
                "title": "Meet the cat",
                "voiceover": "This is our cat.",
                "transition": "crossfade",
            },
            {"asset": coffee[:12], "object": "red running shoes", "action": "pan", "duration": 3},
            {"asset": "ffffffffffff", "object": "a beach", "action": "pan", "duration": 3},
            {"asset": cat[:12], "object": "a ginger cat", "action": "pan", "duration": 3},
            {
                "asset": coffee[:12],
                "object": "a cup of coffee",
                "action": "camera pans left",
                "duration": 20,
                "transition": "wipe",
            },
        ],
    }
    client = _client()
    with Stubber(client) as stub:
        expected = {
            "modelId": settings.bedrock_caption_model,
            "messages": ANY,
            "inferenceConfig": ANY,
        }
        stub.add_response(
            "converse", _answer("```json\n" + json.dumps(proposal) + "\n```"), expected
        )
        result = storyboard_from_brief(
            "a short film about our office", settings, library=library, client=client
        )
        stub.assert_no_pending_responses()
    shots = result.storyboard["shots"]
    assert [s["asset"] for s in shots] == [cat[:16], coffee[:16]]
    assert shots[1]["duration"] == 8.0 and shots[1]["transition"] == "cut"
    reasons = " | ".join(result.dropped)
    assert "shot 2: 'red running shoes' does not retrieve photo" in reasons
    assert "shot 3: photo 'ffffffffffff' is not one of the candidates" in reasons
    assert "shot 4: photo" in reasons and "used twice" in reasons
    path = tmp_path / "board.yaml"
    path.write_text(result.yaml())
    assert "# shot 1: a ginger cat" in path.read_text()
    board = load_storyboard(path)
    assert board.shots[0].voiceover == "This is our cat." and board.shots[0].asset_id == cat[:16]
    assert yaml.safe_load(path.read_text())["title"] == "Office life"


def test_prose_or_empty_answers_are_errors(library: Any, settings: Settings) -> None:
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("converse", _answer("I cannot help with that."))
        with pytest.raises(BackendError, match="not JSON"):
            storyboard_from_brief("an ad", settings, library=library, client=client)
        stub.add_response("converse", _answer('{"title": "", "shots": []}'))
        with pytest.raises(InputError, match="no proposed shot passed"):
            storyboard_from_brief("an ad", settings, library=library, client=client)
    with pytest.raises(InputError, match="the brief is empty"):
        storyboard_from_brief("  ", settings, library=library, client=client)
