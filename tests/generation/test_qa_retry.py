"""A generative backend's clip that fails the QA check is generated again with a new seed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from skimage import data

from reelrag.pipeline import generate
from reelrag.settings import Settings
from reelrag.types import GenerationRequest


def run(settings: Settings, tmp_path: Path, prompt: str, **options: object) -> dict:
    photo = tmp_path / "cat.png"
    Image.fromarray(data.chelsea()).save(photo)
    request = GenerationRequest(
        prompt=prompt,
        image=str(photo),
        width=256,
        height=144,
        fps=12,
        duration_s=2.0,
        seed=11,
        backend="simulated",
        options=options,
    )
    result = generate(request, settings, out=tmp_path / "clip.mp4", overwrite=True)
    return json.loads(Path(result.manifest).read_text(encoding="utf-8"))


def test_a_failed_clip_is_generated_again_with_new_seeds(
    simulated: Callable[[float], None], settings: Settings, tmp_path: Path
) -> None:
    simulated(0.0)
    # the simulated service always drifts the picture right (the camera moves left)
    manifest = run(settings, tmp_path, "camera moves to the right", qa_retry=2)
    tries = manifest["qa_retries"]
    assert tries[0]["seed"] == 11 and len(tries) == 2
    assert len({t["seed"] for t in tries} | {manifest["seed"]}) == 3
    assert all("wrong direction" in t["qa"] for t in tries)
    assert manifest["qa"]["verdict"] == "fail"  # still failing after the retries: recorded


def test_a_passing_clip_is_not_generated_again(
    simulated: Callable[[float], None], settings: Settings, tmp_path: Path
) -> None:
    simulated(0.0)
    manifest = run(settings, tmp_path, "camera moves to the left", qa_retry=2)
    assert manifest["qa"]["verdict"] == "pass", manifest["qa"]["summary"]
    assert "qa_retries" not in manifest and manifest["seed"] == 11
