"""The numpy MiniLM agrees with sentence-transformers and behaves like the model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from reelrag.embeddings.minilm import (
    MAX_TOKENS,
    MiniLMEmbedder,
    _length_batches,
    bundled_model_path,
    erf,
)
from reelrag.errors import ConfigError

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.json"


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def test_matches_sentence_transformers_reference(embedder: MiniLMEmbedder) -> None:
    data = json.loads(REFERENCE.read_text(encoding="utf-8"))
    reference = np.asarray(data["vectors"], dtype=np.float32)
    ours = embedder.embed_texts(data["sentences"])
    cosines = (ours * reference).sum(axis=1) / np.linalg.norm(reference, axis=1)
    worst = int(np.argmin(cosines))
    assert cosines[worst] >= 0.9999, f"sentence {data['sentences'][worst]!r}: cos {cosines[worst]}"


def test_reference_covers_long_unicode_and_empty(embedder: MiniLMEmbedder) -> None:
    sentences = json.loads(REFERENCE.read_text(encoding="utf-8"))["sentences"]
    lengths = [len(ids) for ids in embedder.encoder.tokenize(sentences)]
    assert "" in sentences
    assert max(lengths) == MAX_TOKENS  # at least one text was truncated
    assert any(not s.isascii() for s in sentences)


def test_long_text_is_truncated_to_256_tokens(embedder: MiniLMEmbedder) -> None:
    words = [f"word{i}" for i in range(600)]
    full = " ".join(words)
    ids = embedder.encoder.tokenize([full])[0]
    assert len(ids) == MAX_TOKENS
    # Text past the cut-off does not change the vector.
    changed = embedder.embed_texts([full + " completely different ending about volcanoes", full])
    np.testing.assert_allclose(changed[0], changed[1], atol=1e-6)


def test_identity() -> None:
    identity = MiniLMEmbedder().identity
    assert (identity.name, identity.model, identity.dim) == (
        "minilm",
        "sentence-transformers/all-MiniLM-L6-v2",
        384,
    )


def test_query_cache_returns_independent_copies(embedder: MiniLMEmbedder) -> None:
    first = embedder.embed_texts(["cached query"])
    first[0, :] = 0.0  # a caller scribbling on its result must not poison the cache
    second = embedder.embed_texts(["cached query"])
    assert np.linalg.norm(second) == pytest.approx(1.0, abs=1e-5)


def test_rejects_a_bare_string(embedder: MiniLMEmbedder) -> None:
    with pytest.raises(TypeError):
        embedder.embed_texts("not a list")  # type: ignore[arg-type]


def test_loads_from_a_copied_folder_via_minilm_path(tmp_path: Path) -> None:
    folder = tmp_path / "minilm"
    shutil.copytree(bundled_model_path(), folder)
    from reelrag.settings import Settings

    emb = MiniLMEmbedder.from_settings(Settings(minilm_path=str(folder)))
    assert emb.model_path == folder
    assert emb.embed_texts(["hello"]).shape == (1, 384)


def test_missing_files_in_minilm_path_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"lacks .*model\.safetensors") as info:
        MiniLMEmbedder(tmp_path)
    assert info.value.hint


def test_batches_group_by_length_and_cover_every_index() -> None:
    ids = [[0] * n for n in (5, 300, 7, 1, 256, 6, 9) * 40]
    batches = _length_batches(ids)
    assert sorted(i for b in batches for i in b) == list(range(len(ids)))
    for batch in batches:
        lengths = [len(ids[i]) for i in batch]
        assert lengths == sorted(lengths)
        assert len(batch) * max(lengths) <= 8192 or len(batch) == 1
        assert max(lengths) <= 1.5 * min(lengths) + 8


def test_erf_matches_known_values() -> None:
    x = np.array([-3.0, -1.0, 0.0, 0.5, 1.0, 2.0], dtype=np.float32)
    expected = np.array([-0.99997791, -0.84270079, 0.0, 0.52049988, 0.84270079, 0.99532227])
    np.testing.assert_allclose(erf(x), expected, atol=5e-7)
    assert erf(x).dtype == np.float32
