"""The opt-in word-by-word check (``match_every_word``, reelrag.matching.support): a caption
must support each word of a multi-word query, so a near neighbour that matches one word
("a red sports car" -> "Red motorbike ...") is refused while synonyms still pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reelrag.embeddings.base import Embedder
from reelrag.errors import NoMatchError
from reelrag.library import Library
from reelrag.matching.support import Probe, content_terms, probe, says_otherwise, without
from reelrag.retrieval import best_matches
from retrieval_library import captioned_library

CAPTIONS = {
    "garage/motorbike.jpg": "Red motorbike parked in the garage.",
    "pets/chelsea.jpg": "My ginger tabby cat Chelsea looking to the side.",
    "food/coffee.jpg": "Cup of coffee with latte art on a red saucer.",
}


def _library(root: Path, **overrides: object) -> Library:
    return captioned_library(root, CAPTIONS, **overrides)


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Library:
    # the word check alone: the learned rule (match_learned) has its own tests (test_acceptance)
    root = tmp_path_factory.mktemp("strict")
    return _library(root, match_every_word=True, match_objects=False, match_learned=False)


@pytest.fixture(scope="module")
def embedder(strict: Library) -> Embedder:
    return strict.embedder


def _probe(embedder: Embedder, query: str) -> Probe:
    vector = np.asarray(embedder.embed_texts([query])[0], dtype=np.float32)
    found = probe(embedder, query, vector / np.linalg.norm(vector))
    assert found is not None
    return found


def _caption(embedder: Embedder, text: str) -> tuple[np.ndarray, list[str]]:
    return np.asarray(embedder.embed_texts([text])[0]), content_terms(text)


def test_content_terms_drop_function_words() -> None:
    assert content_terms("a cell under the microscope") == ["cell", "microscope"]
    assert content_terms("US flag on a pole") == ["flag", "pole"]
    assert without("a red sports car", "car") == "a red sports"


def test_one_word_queries_are_not_probed(embedder: Embedder) -> None:
    vector = np.asarray(embedder.embed_texts(["kitty"])[0], dtype=np.float32)
    assert probe(embedder, "kitty", vector) is None


def test_a_missing_object_is_unsupported(embedder: Embedder) -> None:
    words = _probe(embedder, "a red sports car")
    # car ~ motorbike is close enough on its own; "sports" is what the motorbike lacks
    lacking = words.unsupported(*_caption(embedder, CAPTIONS["garage/motorbike.jpg"]))
    assert lacking == ("sport",)
    assert words.unsupported(*_caption(embedder, "A red sports car parked on the street.")) == ()


def test_a_synonym_is_supported(embedder: Embedder) -> None:
    words = _probe(embedder, "orange tabby")  # orange ~ ginger: a close caption word
    assert words.unsupported(*_caption(embedder, CAPTIONS["pets/chelsea.jpg"])) == ()


def test_the_opt_in_refuses_a_near_neighbour(strict: Library, tmp_path: Path) -> None:
    results = strict.search("a red sports car")
    assert results.no_match
    assert results.nearest is not None and "caption lacks sport" in results.nearest.why
    with pytest.raises(NoMatchError, match="no good match"):
        best_matches(strict, "a red sports car", strict.settings)
    # With both checks off it is accepted: the word check alone is what refuses it here.
    loose = _library(tmp_path, match_objects=False, match_learned=False)
    assert not loose.settings.match_every_word
    best = best_matches(loose, "a red sports car", loose.settings)[0]
    assert best.asset.source.endswith("motorbike.jpg") and "lacks" not in best.why


def test_the_opt_in_keeps_right_matches(strict: Library) -> None:
    for query, expected in [("orange tabby", "chelsea.jpg"), ("red motorcycle", "motorbike.jpg")]:
        best = best_matches(strict, query, strict.settings)[0]
        assert best.asset.source.endswith(expected), best.why


def test_says_otherwise_finds_a_caption_word_close_to_a_noun(embedder: Embedder) -> None:
    said = says_otherwise(embedder)
    assert said("lawn", "The legs of a metal tripod standing on the grass.")  # lawn ~ grass
    assert not said("sofa", CAPTIONS["pets/chelsea.jpg"])
    assert not said("sofa", "")
