"""Both MiniLM runtimes (numpy, onnxruntime) agree with sentence-transformers and each other."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from reelrag.embeddings.minilm import MiniLMEmbedder, bundled_model_path
from reelrag.embeddings.minilm.encoder import MAX_TOKENS, _length_batches, erf
from reelrag.errors import ConfigError

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.json"
RUNTIMES = ("numpy", "onnx")


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="module", params=RUNTIMES)
def embedder(request: pytest.FixtureRequest, cache_dir: Path) -> MiniLMEmbedder:
    if request.param == "onnx":
        pytest.importorskip("onnxruntime")
    return MiniLMEmbedder(runtime=request.param, cache_dir=str(cache_dir))


@pytest.fixture(scope="module")
def both(cache_dir: Path) -> tuple[MiniLMEmbedder, MiniLMEmbedder]:
    pytest.importorskip("onnxruntime")
    return MiniLMEmbedder(runtime="numpy"), MiniLMEmbedder(runtime="onnx", cache_dir=str(cache_dir))


def _reference() -> tuple[list[str], np.ndarray]:
    data = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return data["sentences"], np.asarray(data["vectors"], dtype=np.float32)


def test_matches_sentence_transformers_reference(embedder: MiniLMEmbedder) -> None:
    sentences, reference = _reference()
    ours = embedder.embed_texts(sentences)
    cosines = (ours * reference).sum(axis=1) / np.linalg.norm(reference, axis=1)
    worst = int(np.argmin(cosines))
    assert cosines[worst] >= 0.99999, f"sentence {sentences[worst]!r}: cos {cosines[worst]}"


def test_runtimes_give_the_same_vectors(both: tuple[MiniLMEmbedder, MiniLMEmbedder]) -> None:
    numpy_emb, onnx_emb = both
    sentences, _ = _reference()
    assert numpy_emb.identity == onnx_emb.identity
    np.testing.assert_allclose(
        numpy_emb.embed_texts(sentences), onnx_emb.embed_texts(sentences), atol=2e-6
    )


def test_an_index_built_with_one_runtime_serves_the_other(
    both: tuple[MiniLMEmbedder, MiniLMEmbedder], tmp_path: Path
) -> None:
    from reelrag.index.base import IndexQuery
    from reelrag.index.lance.index import LanceIndex
    from retrieval_library import make_records

    numpy_emb, onnx_emb = both
    index = LanceIndex(str(tmp_path / "lancedb"), numpy_emb.identity)
    index.upsert(make_records(numpy_emb))
    reopened = LanceIndex(str(tmp_path / "lancedb"), onnx_emb.identity)  # identity accepted
    for text in ("a dog running in flowers", "snowy mountains", "city at night"):
        hits = [
            reopened.search(IndexQuery(text, emb.embed_texts([text])[0], mode="vector"))
            for emb in both
        ]
        assert [h.asset.id for h in hits[0]] == [h.asset.id for h in hits[1]]
        assert [h.score for h in hits[0]] == pytest.approx([h.score for h in hits[1]], abs=1e-5)


def test_empty_string_embeds_alike(both: tuple[MiniLMEmbedder, MiniLMEmbedder]) -> None:
    vectors = [emb.embed_texts(["", "a"]) for emb in both]
    np.testing.assert_allclose(vectors[0], vectors[1], atol=2e-6)
    np.testing.assert_allclose(np.linalg.norm(vectors[1], axis=1), 1.0, atol=1e-5)


def test_onnx_model_is_built_once_into_the_cache(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from reelrag.embeddings.minilm import onnx_runtime as minilm_onnx

    folder = bundled_model_path()
    first = minilm_onnx.load_or_build(folder, tmp_path)
    assert isinstance(first, str) and Path(first).parent == tmp_path
    stamp = Path(first).stat().st_mtime_ns
    assert minilm_onnx.load_or_build(folder, tmp_path) == first
    assert Path(first).stat().st_mtime_ns == stamp  # reused, not rebuilt
    assert [p.name for p in tmp_path.iterdir()] == [Path(first).name]  # no temp files left


def test_unwritable_cache_builds_in_memory(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from reelrag.embeddings.minilm import onnx_runtime as minilm_onnx

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    model = minilm_onnx.load_or_build(bundled_model_path(), blocker / "cache")
    assert isinstance(model, bytes) and len(model) > 80_000_000
    assert blocker.read_text() == "a file where the cache folder should be"


def test_onnx_queries_run_on_one_thread_with_the_same_vectors(cache_dir: Path) -> None:
    pytest.importorskip("onnxruntime")
    from reelrag.embeddings.minilm.onnx_runtime import (
        QUERY_BATCH,
        QUERY_THREADS,
        OnnxMiniLMEncoder,
        default_threads,
    )

    auto = OnnxMiniLMEncoder(bundled_model_path(), cache_dir, threads=0)
    texts = ["red shoes on a beach", "a cat", "snow mountain lake at night 4127", ""]
    queries = np.stack([auto.encode([text])[0] for text in texts])
    probe = auto.encode(texts)  # a query's word-by-word probe is a small batch
    assert list(auto._sessions) == [QUERY_THREADS]  # a process that only searches holds one
    pinned = OnnxMiniLMEncoder(bundled_model_path(), cache_dir, threads=2)
    assert np.array_equal(queries, np.stack([pinned.encode([text])[0] for text in texts]))
    assert list(pinned._sessions) == [2]  # an explicit count applies to queries too
    assert np.array_equal(probe, pinned.encode(texts))  # thread counts agree
    batch = [f"photo {i} of a red car" for i in range(QUERY_BATCH + 1)]
    assert np.array_equal(auto.encode(batch), pinned.encode(batch))
    assert sorted(auto._sessions) == sorted({QUERY_THREADS, default_threads()})


def test_unknown_runtime_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="minilm_runtime 'torch'") as info:
        MiniLMEmbedder(runtime="torch")
    assert info.value.hint


def test_settings_pick_runtime_threads_and_cache(tmp_path: Path) -> None:
    from reelrag.settings import Settings, load_settings

    xdg = load_settings(environ={"XDG_CACHE_HOME": str(tmp_path)})
    assert (xdg.cache_dir, xdg.sources["cache_dir"]) == (
        str(tmp_path / "reelrag"),
        "env:XDG_CACHE_HOME",
    )
    explicit = load_settings({"cache_dir": "/elsewhere"}, environ={"XDG_CACHE_HOME": str(tmp_path)})
    assert explicit.cache_dir == "/elsewhere"
    emb = MiniLMEmbedder.from_settings(Settings(minilm_runtime="numpy", cache_dir=str(tmp_path)))
    assert emb.runtime == "numpy"
    assert not list(tmp_path.iterdir())  # the numpy runtime builds nothing


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


def test_identity(embedder: MiniLMEmbedder) -> None:
    identity = embedder.identity
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
        embedder.embed_texts("not a list")


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


def test_auto_runtime_prefers_onnx_when_installed() -> None:
    from reelrag.embeddings.minilm.onnx_runtime import onnxruntime_available

    expected = "onnx" if onnxruntime_available() else "numpy"
    assert MiniLMEmbedder(runtime="auto").runtime == expected


def test_erf_matches_known_values() -> None:
    x = np.array([-3.0, -1.0, 0.0, 0.5, 1.0, 2.0], dtype=np.float32)
    expected = np.array([-0.99997791, -0.84270079, 0.0, 0.52049988, 0.84270079, 0.99532227])
    np.testing.assert_allclose(erf(x), expected, atol=5e-7)
    assert erf(x).dtype == np.float32
