"""Florence-2 and GIT captions through ``captioner.transformers``' real loading path.

Tiny random models (tests/localmodels_tiny_vlm.py) are saved with ``save_pretrained`` and loaded
by folder: config -> architecture -> model class + AutoProcessor -> batched greedy generate ->
decode. Random weights say nothing, so the checks are plumbing: one string per item, the same
caption for the same image, the architecture recorded as the source, a file-name fallback for an
unreadable item, and Florence-2's ``<DETAILED_CAPTION>`` task expanded by its processor.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelrag.captioning.base import CaptionInput
from reelrag.errors import ConfigError
from reelrag.settings import load_settings

pytest.importorskip("torch", reason="the local extra (torch) is not installed")
pytest.importorskip("transformers", reason="the local extra (transformers) is not installed")


@pytest.fixture(scope="module")
def tiny() -> dict[str, Path]:
    import torch

    from localmodels_tiny_vlm import build_florence2, build_git, cached_tiny

    torch.set_num_threads(1)
    return {
        "florence2": cached_tiny("florence2", build_florence2),
        "git": cached_tiny("git", build_git),
    }


def _items(tmp_path: Path) -> list[CaptionInput]:
    rng = np.random.default_rng(3)
    items = [
        CaptionInput(f"x{i}.jpg", f"x{i}.jpg", str(i) * 64, {}, Image.fromarray(pixels))
        for i, pixels in enumerate(
            rng.integers(0, 255, (24 + i * 8, 40, 3), dtype=np.uint8) for i in range(3)
        )
    ]
    items.insert(
        1, CaptionInput(str(tmp_path / "gone" / "red_shoes.jpg"), "red_shoes.jpg", "f" * 64)
    )
    return items


@pytest.mark.parametrize("architecture", ["florence2", "git"])
def test_captions_batch_through_the_real_loading_path(
    architecture: str, tiny: dict[str, Path], tmp_path: Path
) -> None:
    from reelrag.plugins import registry

    settings = load_settings(
        {"caption_model": str(tiny[architecture]), "caption_batch": 2, "device": "cpu"},
        environ={},
    )
    captioner = registry.create("captioner", "transformers", settings)
    assert captioner.model_type == architecture
    items = _items(tmp_path)
    captions = captioner.caption_batch(items)
    assert len(captions) == len(items)
    good = [captions[0], *captions[2:]]
    assert all(c.text.strip() and c.source == f"transformers:{architecture}" for c in good)
    assert all(c.keywords and all(k in c.text for k in c.keywords) for c in good)
    assert (captions[1].text, captions[1].source) == ("red shoes", "filename")
    # greedy decoding: one image alone, or in another batch, gets the same caption
    assert captioner.caption_batch(items[2:]) == captions[2:]


def test_florence2_runs_the_detailed_caption_task(tiny: dict[str, Path]) -> None:
    from transformers import AutoProcessor

    from localmodels_tiny_vlm import FLORENCE_IMAGE_TOKENS
    from reelrag.captioning.transformers import ARCHITECTURES

    task = ARCHITECTURES["florence2"][1]
    assert task == "<DETAILED_CAPTION>"
    processor = AutoProcessor.from_pretrained(tiny["florence2"], local_files_only=True)
    inputs = processor(images=[Image.new("RGB", (40, 24))], text=[task], return_tensors="pt")
    ids = inputs["input_ids"][0].tolist()
    image_id = processor.tokenizer.image_token_id
    assert ids[:FLORENCE_IMAGE_TOKENS] == [image_id] * FLORENCE_IMAGE_TOKENS
    # the task token was replaced by its prompt: "... shown in the image." -> known words
    words = processor.tokenizer.convert_ids_to_tokens(ids)
    assert "<DETAILED_CAPTION>" not in words and "image" in words and "the" in words


def test_a_model_that_is_not_a_captioner_is_refused(tmp_path: Path) -> None:
    from localmodels_tiny import build_clip
    from reelrag.captioning.transformers import TransformersCaptioner

    folder = build_clip(tmp_path / "clip")
    settings = load_settings({}, environ={})
    with pytest.raises(ConfigError, match="not a captioner") as caught:
        TransformersCaptioner(str(folder), settings=settings)
    assert "Florence-2" in str(caught.value.hint)
