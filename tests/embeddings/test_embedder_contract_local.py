"""The embedder contract's structural checks for the local CLIP and SigLIP towers.

Tiny randomly initialised models (tests/localmodels_tiny.py), loaded through the real
``embedder.clip`` path: shape, dtype, unit length, determinism, batching and identity for both
the text and the image side. Semantic quality needs real weights and is not checked here.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from reelrag.embeddings.base import Embedder
from reelrag.errors import InputError
from reelrag.plugins import registry
from reelrag.settings import load_settings

TEXTS = ["red shoes", "a cat on a sofa", "", "sky " * 40]  # empty and over-long included


@pytest.fixture(scope="module", params=["clip", "siglip"])
def embedder(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    pytest.importorskip("torch", reason="the local extra (torch) is not installed")
    pytest.importorskip("transformers", reason="the local extra (transformers) is not installed")
    import torch

    import localmodels_tiny

    torch.set_num_threads(1)
    build = getattr(localmodels_tiny, f"build_{request.param}")
    folder = build(tmp_path_factory.mktemp(request.param) / request.param)
    settings = load_settings({"clip_model": str(folder), "ingest_batch": 2}, environ={})
    return registry.create("embedder", "clip", settings)  # type: ignore[no-any-return]


def _images() -> list[Image.Image]:
    rng = np.random.default_rng(3)
    sizes = [(40, 24), (24, 40), (33, 33)]
    return [Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)) for w, h in sizes]


def _check(vectors: np.ndarray, rows: int, dim: int) -> None:
    assert vectors.shape == (rows, dim) and vectors.dtype == np.float32
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_identity_describes_the_vectors(embedder: Embedder) -> None:
    identity = embedder.identity
    assert identity.name == "clip" and identity.modalities == ("text", "image")
    assert identity.key() == f"{identity.name}:{identity.model}:{identity.dim}"
    assert embedder.embed_texts(["x"]).shape[1] == identity.dim
    assert embedder.embed_images(_images()[:1]).shape[1] == identity.dim


def test_text_vectors_are_unit_float32_and_deterministic(embedder: Embedder) -> None:
    first = embedder.embed_texts(TEXTS)
    _check(first, len(TEXTS), embedder.identity.dim)
    np.testing.assert_array_equal(first, embedder.embed_texts(TEXTS))
    one_by_one = np.vstack([embedder.embed_texts([t]) for t in TEXTS[:2]])
    np.testing.assert_allclose(one_by_one, first[:2], atol=1e-5)  # batching changes nothing
    assert embedder.embed_texts([]).shape == (0, embedder.identity.dim)


def test_image_vectors_are_unit_float32_and_deterministic(embedder: Embedder) -> None:
    images = _images()
    first = embedder.embed_images(images)
    _check(first, len(images), embedder.identity.dim)
    np.testing.assert_array_equal(first, embedder.embed_images(images))
    grey = [im.convert("L") for im in images[:1]]  # any mode is converted to RGB
    _check(embedder.embed_images(grey), 1, embedder.identity.dim)
    assert embedder.embed_images([]).shape == (0, embedder.identity.dim)


def test_non_images_are_refused_with_a_hint(embedder: Embedder) -> None:
    with pytest.raises(InputError, match="not an image"):
        embedder.embed_images([b"bytes"])


def test_identity_is_known_before_weights_load(embedder: Embedder) -> None:
    # A second embedder on the same folder has the same identity (read from the config alone).
    twin = type(embedder)(embedder.identity.model, settings=embedder.settings)  # type: ignore[call-arg,attr-defined]
    assert twin.identity == embedder.identity
