"""Every embedder backend honours one contract: shape, dtype, unit norm, determinism, meaning."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from reelrag.embeddings.base import Embedder
from reelrag.plugins import registry
from reelrag.settings import Settings


def _minilm(runtime: str) -> Callable[[Path], Embedder]:
    def make(cache: Path) -> Embedder:
        if runtime == "onnx":
            pytest.importorskip("onnxruntime")
        settings = Settings(minilm_runtime=runtime, cache_dir=str(cache))
        return registry.create("embedder", "minilm", settings)

    return make


# Each entry builds one real embedder; cloud embedders join with stubbed clients.
FACTORIES: dict[str, Callable[[Path], Embedder]] = {
    "minilm-numpy": _minilm("numpy"),
    "minilm-onnx": _minilm("onnx"),
}


@pytest.fixture(scope="module", params=sorted(FACTORIES))
def embedder(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    return FACTORIES[request.param](tmp_path_factory.mktemp("cache"))


def test_shape_dtype_and_unit_norm(embedder: Embedder) -> None:
    texts = ["a cat on a sofa", "red shoes", "", "x" * 50]
    vectors = embedder.embed_texts(texts)
    assert vectors.shape == (len(texts), embedder.identity.dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_batch_gives_empty_matrix(embedder: Embedder) -> None:
    assert embedder.embed_texts([]).shape == (0, embedder.identity.dim)


def test_deterministic_and_order_independent(embedder: Embedder) -> None:
    texts = ["mountains at dawn", "a bowl of soup", "city traffic at night"]
    first = embedder.embed_texts(texts)
    again = embedder.embed_texts(list(reversed(texts)))[::-1]
    single = np.vstack([embedder.embed_texts([t]) for t in texts])
    np.testing.assert_allclose(first, again, atol=1e-5)
    np.testing.assert_allclose(first, single, atol=1e-5)


def test_related_texts_are_closer_than_unrelated(embedder: Embedder) -> None:
    cat, kitten, stocks = embedder.embed_texts(
        ["a cat sleeping", "a kitten taking a nap", "quarterly stock market report"]
    )
    assert float(cat @ kitten) > float(cat @ stocks) + 0.2


def test_identity_is_complete(embedder: Embedder) -> None:
    identity = embedder.identity
    assert identity.name and identity.model and identity.dim > 0
    assert identity.key() == f"{identity.name}:{identity.model}:{identity.dim}"
