"""Image vectors beside caption vectors: index contract (LanceDB and OpenSearch), ingest, search.

A deterministic fake multimodal embedder puts texts and images in one 8-d space with CLIP-like
cross-modal cosines (~0.3 for a match, 0 otherwise), so an asset with an EMPTY caption must be
found by its pixels. The tiny randomly initialised CLIP checks the real plumbing (the column is
filled with the embedder's image vectors; a crafted image query finds its asset), not quality.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from reelrag.embeddings.base import Embedder, EmbedderIdentity
from reelrag.errors import IndexMismatchError, InputError
from reelrag.index import scoring
from reelrag.index.base import Index, IndexQuery, IndexRecord
from reelrag.index.lance.index import LanceIndex
from reelrag.library import Library, open_library
from reelrag.plugins import registry
from retrieval_library import make_asset

CONCEPTS = ("shoe", "sea", "tree")
# The dominant channel's index (R, G, B) is the concept's axis in FakeMultimodal.
COLOURS = {"shoe": (210, 20, 20), "sea": (20, 210, 20), "tree": (20, 20, 210)}
TEXT_AXIS, IMAGE_AXIS, DIM = 3, 4, 8
MATCH_COSINE = 0.3  # what CLIP ViT-B/32 gives a caption-quality text -> image match


class FakeMultimodal(Embedder):
    """Concept words -> one axis each; an image -> its dominant colour's concept at cosine 0.3."""

    identity = EmbedderIdentity("fakemm", "test/one-space", DIM, ("text", "image"))

    @classmethod
    def from_settings(cls, settings: Any) -> FakeMultimodal:
        return cls()

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIM), np.float32)
        for row, text in enumerate(texts):
            for term in scoring.terms(text):
                if term in CONCEPTS:
                    out[row, CONCEPTS.index(term)] = 1.0
            out[row, TEXT_AXIS] = 0.1  # never a zero vector
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def embed_images(self, images: Sequence[Any]) -> np.ndarray:
        out = np.zeros((len(images), DIM), np.float32)
        for row, image in enumerate(images):
            mean = np.asarray(image.convert("RGB"), np.float32).mean(axis=(0, 1))
            out[row, int(np.argmax(mean))] = MATCH_COSINE
            out[row, IMAGE_AXIS] = np.sqrt(1 - MATCH_COSINE**2)
        return out


def _axis(i: int, weight: float = 1.0) -> np.ndarray:
    vec = np.zeros(DIM, np.float32)
    vec[i] = weight
    return vec


# -- the index contract, on both backends ----------------------------------------------------


def _lancedb(location: Path, identity: EmbedderIdentity) -> Index:
    return LanceIndex(str(location / "lancedb"), identity)


def _opensearch(location: Path, identity: EmbedderIdentity, url: str) -> Index:
    from opensearchpy import OpenSearch

    from reelrag.index.opensearch.index import OpenSearchIndex

    # osmem refuses k-NN queries: vectors are scored client-side (knn=False).
    return OpenSearchIndex(OpenSearch(hosts=[url]), "images", identity, knn=False)


@pytest.fixture(params=["lancedb", "opensearch"])
def open_index(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Callable[[EmbedderIdentity], Index]:
    if request.param == "lancedb":
        return lambda identity: _lancedb(tmp_path, identity)
    pytest.importorskip("opensearchpy")
    url = request.getfixturevalue("osmem_clone").url
    return lambda identity: _opensearch(tmp_path, identity, url)


def _records() -> list[IndexRecord]:
    """``blank``: no caption, a shoe image; ``shoes``: a shoe caption, no image vector;
    ``sea``: caption and image both about the sea."""
    emb = FakeMultimodal()
    rows = [
        ("blank", "", "shoe"),
        ("shoes", "red shoes on a floor", None),
        ("sea", "the sea", "sea"),
    ]
    out = []
    for i, (name, caption, concept) in enumerate(rows):
        image = None
        if concept is not None:
            image = emb.embed_images([Image.new("RGB", (8, 8), COLOURS[concept])])[0]
        asset = make_asset(i, name, caption, "misc")
        out.append(IndexRecord(asset, emb.embed_texts([caption])[0], caption, image))
    return out


def _names(hits: Sequence[Any]) -> list[str]:
    return [Path(h.asset.source).stem for h in hits]


def test_image_query_alone_finds_the_nearest_image_vector(open_index: Callable[..., Index]) -> None:
    index = open_index(FakeMultimodal.identity)
    index.upsert(_records())
    assert index.info().image_vectors is True
    query = IndexQuery("", None, limit=5, mode="vector", image_vector=_axis(IMAGE_AXIS))
    hits = index.search(query)
    # "shoes" has no image vector: an image-only query never returns it
    assert _names(hits) and "shoes" not in _names(hits)
    crafted = FakeMultimodal().embed_texts(["sea"])[0]  # a text query, by pixels alone
    hits = index.search(IndexQuery("", None, limit=2, mode="vector", image_vector=crafted))
    cosine = float(crafted @ _records()[2].image_vector)  # type: ignore[operator]
    expected = scoring.image_calibration(FakeMultimodal.identity)(cosine)
    assert _names(hits) == ["sea", "blank"] and hits[0].image_score == pytest.approx(expected)
    assert hits[0].vector_score == hits[0].image_score and hits[1].image_score == 0.0
    assert hits[0].why.startswith(f"image {expected:.2f}") and hits[0].text_score == 0.0


def test_empty_caption_is_found_by_its_image_vector(open_index: Callable[..., Index]) -> None:
    index = open_index(FakeMultimodal.identity)
    index.upsert(_records())
    vector = FakeMultimodal().embed_texts(["shoe"])[0]
    hits = index.search(IndexQuery("shoe", vector, limit=3, image_vector=vector))
    by_name = {Path(h.asset.source).stem: h for h in hits}
    blank = by_name["blank"]
    cal = scoring.image_calibration(FakeMultimodal.identity)
    cosine = float(vector @ _records()[0].image_vector)  # type: ignore[operator]
    assert blank.image_score == pytest.approx(cal(cosine), abs=1e-5)
    assert blank.score >= 0.45 and blank.text_score == 0.0  # no word of it in the caption
    assert blank.why.startswith("caption 0.") and "image " in blank.why
    # the captioned shoes match by caption and text; the sea is not a shoe
    assert by_name["shoes"].score > by_name["sea"].score
    assert by_name["sea"].score < 0.45


def test_modalities_are_part_of_the_identity(open_index: Callable[..., Index]) -> None:
    index = open_index(FakeMultimodal.identity)
    index.upsert(_records())
    text_only = EmbedderIdentity("fakemm", "test/one-space", DIM)
    with pytest.raises(IndexMismatchError, match="embeds text"):
        open_index(text_only)


def test_text_only_index_refuses_image_vectors(open_index: Callable[..., Index]) -> None:
    index = open_index(EmbedderIdentity("fakemm-text", "test/one-space", DIM))
    records = _records()
    with pytest.raises(InputError, match="caption vectors only"):
        index.upsert(records)
    index.upsert([IndexRecord(r.asset, r.vector, r.text) for r in records])
    assert index.info().image_vectors is False
    with pytest.raises(InputError, match="no image vectors"):
        index.search(IndexQuery("shoe", records[1].vector, image_vector=records[1].vector))
    hits = index.search(IndexQuery("shoe", records[1].vector, limit=1))
    assert hits[0].image_score is None and hits[0].why.startswith("vector ")


def test_wrong_length_image_vector_is_refused(open_index: Callable[..., Index]) -> None:
    index = open_index(FakeMultimodal.identity)
    record = _records()[0]
    with pytest.raises(InputError, match="dimensions"):
        index.upsert([IndexRecord(record.asset, record.vector, "", np.ones(3, np.float32))])


# -- ingest and search through the library ----------------------------------------------------


def _photos(folder: Path) -> Path:
    """Three photos whose names and metadata say nothing about what they show."""
    folder.mkdir()
    for i, colour in enumerate(COLOURS.values()):
        Image.new("RGB", (48, 32), colour).save(folder / f"IMG_{i:04d}.png")
    return folder


@pytest.fixture
def fake_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry._targets, "embedder.fakemm", FakeMultimodal)


def test_ingest_fills_image_vectors_and_search_finds_uncaptioned_photos(
    tmp_path: Path, fake_registered: None
) -> None:
    lib = open_library(tmp_path / "ws", embedder="fakemm")
    report = lib.ingest(_photos(tmp_path / "photos"))
    assert report.added == 3 and not report.failed
    results = lib.search("red shoes", limit=3)
    assert [Path(h.asset.source).name for h in results] == ["IMG_0000.png"]
    hit = results[0]
    assert hit.image_score is not None and hit.image_score >= 0.45 and hit.text_score == 0.0
    # the same photos with the text-only MiniLM embedder: nothing says "shoes"
    text_lib = open_library(tmp_path / "ws-text")
    text_lib.ingest(tmp_path / "photos")
    plain = text_lib.search("red shoes", limit=3, min_score=0.0)
    assert text_lib.search("red shoes", limit=3).no_match
    assert plain.hits and all(h.image_score is None for h in plain)
    # search explains the match decision (issue 17): no image evidence without image vectors
    assert all(h.why.startswith("match ") and " image " not in h.why for h in plain)


# -- the tiny CLIP, for the real image tower ----------------------------------------------------


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch", reason="the local extra (torch) is not installed")
    pytest.importorskip("transformers", reason="the local extra (transformers) is not installed")
    import torch

    from localmodels_tiny import build_clip

    torch.set_num_threads(1)
    return build_clip(tmp_path_factory.mktemp("tiny-clip") / "clip")


def _image_vectors(lib: Library) -> dict[str, np.ndarray | None]:
    table = lib.index._table.to_lance().to_table(columns=["source", "image_vector"])  # type: ignore[attr-defined]
    rows = table.to_pylist()
    return {
        Path(r["source"]).name: None if r["image_vector"] is None else np.array(r["image_vector"])
        for r in rows
    }


def test_tiny_clip_ingest_fills_the_column_and_an_image_query_finds_its_asset(
    tmp_path: Path, tiny_clip: Path
) -> None:
    lib = open_library(tmp_path / "ws", embedder="clip", clip_model=str(tiny_clip))
    photos = _photos(tmp_path / "photos")
    lib.ingest(photos)
    stored = _image_vectors(lib)
    assert sorted(stored) == ["IMG_0000.png", "IMG_0001.png", "IMG_0002.png"]
    for name, vector in stored.items():
        expected = lib.embedder.embed_images([Image.open(photos / name)])[0]
        assert vector is not None
        np.testing.assert_allclose(vector, expected, atol=1e-4)
    target = "IMG_0001.png"
    query = stored[target] + 0.01 * np.random.default_rng(0).standard_normal(16)
    hits = lib.index.search(IndexQuery("", None, limit=3, mode="vector", image_vector=query))
    assert Path(hits[0].asset.source).name == target
    results = lib.search("red shoes", limit=3, min_score=0.0)  # random weights: plumbing only
    assert len(results) == 3 and all(h.image_score is not None for h in results)


def test_cross_modal_calibration_is_chosen_by_model_family() -> None:
    def band(name: str, model: str) -> scoring.Calibration:
        return scoring.image_calibration(EmbedderIdentity(name, model, 8, ("text", "image")))

    assert band("clip", "google/siglip-base-patch16-224") == scoring.Calibration(0.0, 0.2)
    assert band("clip", "openai/clip-vit-base-patch32") == scoring.Calibration(0.15, 0.33)
    assert band("titan", "amazon.titan-embed-image-v1").low == 0.1
    assert band("other", "x") == scoring.DEFAULT_CROSS_MODAL
    cal = scoring.Calibration(0.15, 0.33)
    assert (cal(0.1), cal(0.33), cal(0.9)) == (0.0, 1.0, 1.0) and 0 < cal(0.24) < 1
