"""Local CLIP/SigLIP embeddings, transformers captions, the model cache and the loading rules.

The models are tiny random ones saved with ``save_pretrained`` (tests/localmodels_tiny.py) and
loaded through the backends' real loading path; vectors and captions are checked for shape,
norm, determinism and batching, not for meaning (random weights have none).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from reelrag.errors import MissingDependencyError
from reelrag.localmodels import loading
from reelrag.localmodels.cache import ModelCache
from reelrag.settings import Settings, load_settings


def test_import_reelrag_and_local_backends_stays_light() -> None:
    code = (
        "import sys, reelrag, reelrag.plugins, reelrag.localmodels, "
        "reelrag.generation.diffusers.generator, reelrag.embeddings.clip, "
        "reelrag.captioning.transformers; "
        "print(sorted(m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_extra_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "diffusers", None)  # what an absent package looks like
    with pytest.raises(MissingDependencyError) as caught:
        loading.require("diffusers")
    assert "reelrag[local]" in str(caught.value.hint)


def test_model_source_prefers_models_dir_and_refuses_downloads_offline(tmp_path: Path) -> None:
    (tmp_path / "org--name").mkdir()
    settings = load_settings({"models_dir": str(tmp_path), "local_files_only": True}, environ={})
    found = loading.model_source("org/name", settings)
    assert found.local and found.location == str(tmp_path / "org--name")
    with pytest.raises(MissingDependencyError, match="downloads are off") as caught:
        loading.model_source("org/other", settings)
    assert str(tmp_path / "org/other") in str(caught.value.hint)
    with pytest.raises(MissingDependencyError, match="does not exist"):
        loading.model_source(str(tmp_path / "nope" / "model"), settings)


class _Big:
    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log
        log.append(f"load {name}")


def test_cache_keeps_one_model_swaps_on_another_and_frees_when_idle() -> None:
    cache, log = ModelCache(), []
    with cache.use("s", "a", lambda prev: _Big("a", log), idle_s=0.2) as first:
        assert not first.reused
    with cache.use("s", "a", lambda prev: _Big("a", log), idle_s=0.2) as again:
        assert again.reused and again.value is first.value
    seen: list[Any] = []
    with cache.use("s", "b", lambda prev: seen.append(prev) or _Big("b", log), idle_s=0.2):
        pass
    assert seen == [first.value] and cache.loaded("s") == "b"  # the loader saw the old model
    deadline = time.monotonic() + 5
    while cache.loaded("s") is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cache.loaded("s") is None and log == ["load a", "load b"]
    assert cache.stats("s") == {"loads": 2, "hits": 1}


# -- backends on tiny models ------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pytest.importorskip("torch", reason="the local extra (torch) is not installed")
    pytest.importorskip("transformers", reason="the local extra (transformers) is not installed")
    import torch

    from localmodels_tiny import build_blip, build_clip, build_siglip

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("tiny-local-models")
    return {
        "clip": build_clip(root / "clip"),
        "siglip": build_siglip(root / "siglip"),
        "blip": build_blip(root / "blip"),
    }


def _images() -> list[Image.Image]:
    rng = np.random.default_rng(1)
    return [
        Image.fromarray(rng.integers(0, 255, (24 + i * 8, 40, 3), dtype=np.uint8)) for i in range(3)
    ]


@pytest.mark.parametrize(("name", "dim"), [("clip", 16), ("siglip", 32)])
def test_clip_embedder_text_and_images_in_one_space(
    name: str, dim: int, tiny: dict[str, Path]
) -> None:
    from reelrag.plugins import registry

    settings = load_settings({"clip_model": str(tiny[name]), "ingest_batch": 2}, environ={})
    embedder = registry.create("embedder", "clip", settings)
    assert embedder.identity.dim == dim and embedder.identity.modalities == ("text", "image")
    texts = embedder.embed_texts(["red shoes", "a cat on a sofa", "sky"])
    images = embedder.embed_images(_images())
    for vectors in (texts, images):
        assert vectors.shape == (3, dim) and vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # batching (2 per pass) and order do not change a vector
    single = np.vstack([embedder.embed_images([im]) for im in _images()])
    np.testing.assert_allclose(single, images, atol=1e-5)
    assert embedder.embed_texts([]).shape == (0, dim)


def test_transformers_captioner_batches_and_survives_a_bad_item(
    tiny: dict[str, Path], tmp_path: Path
) -> None:
    from reelrag.captioning.base import CaptionInput
    from reelrag.plugins import registry

    settings: Settings = load_settings(
        {"caption_model": str(tiny["blip"]), "caption_batch": 2}, environ={}
    )
    captioner = registry.create("captioner", "transformers", settings)
    assert captioner.needs_pixels
    items = [
        CaptionInput(f"x{i}.jpg", f"x{i}.jpg", str(i) * 64, {}, im)
        for i, im in enumerate(_images())
    ]
    items.append(CaptionInput(str(tmp_path / "gone" / "blue_car.jpg"), "blue_car.jpg", "f" * 64))
    captions = captioner.caption_batch(items)
    assert len(captions) == 4
    assert all(c.text and c.source == "transformers:blip" for c in captions[:3])
    assert (captions[3].text, captions[3].source) == ("blue car", "filename")
    again = captioner.caption_batch(items[:1])
    assert again[0] == captions[0]  # greedy decoding: the same image, the same caption
