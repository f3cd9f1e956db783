"""The learned acceptance rule (reelrag.matching.acceptance): a logistic model over each
captioned hit's hand-built evidence and word support, on by default for MiniLM."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from reelrag.embeddings.base import Embedder
from reelrag.index.base import IndexQuery
from reelrag.library import Library
from reelrag.matching.acceptance import (
    FEATURES,
    MINILM_ACCEPTANCE,
    Acceptance,
    acceptance_for,
    features,
)
from reelrag.matching.decision import Evidence, match_model
from reelrag.matching.objects import Check, Naming
from reelrag.matching.support import SUPPORTED, Support, content_terms, probe
from reelrag.types import SearchRequest
from retrieval_library import captioned_library

CAPTIONS = {
    "garage/motorbike.jpg": "Red motorbike parked in the garage.",
    "pets/chelsea.jpg": "My ginger tabby cat Chelsea looking to the side.",
    "food/coffee.jpg": "Cup of coffee with latte art on a red saucer.",
    "science/brain.jpg": "MRI scan of a human brain, seen from above.",
}


def _library(root: Path, **overrides: object) -> Library:
    return captioned_library(root, CAPTIONS, **overrides)


@pytest.fixture(scope="module")
def learned(tmp_path_factory: pytest.TempPathFactory) -> Library:
    return _library(tmp_path_factory.mktemp("learned"))


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> Library:
    return _library(tmp_path_factory.mktemp("hand"), match_learned=False)


def _evidence(confidence: float, cosine: float | None, naming: Naming) -> Evidence:
    return Evidence(confidence, cosine, 3.0, 0.0, 0.0, (), naming=Check(naming))


def test_confidence_is_the_logistic_of_the_weighted_features() -> None:
    model = Acceptance(weights=(1.0, 2.0), bias=-1.0)
    assert model.confidence([0.5, 0.25]) == pytest.approx(0.5)
    assert model.confidence([1.0, 1.0]) == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert model.confidence([1e9, 0.0]) == pytest.approx(1.0)  # no overflow
    assert model.confidence([-1e9, 0.0]) == pytest.approx(0.0)


def test_features_follow_the_declared_order() -> None:
    support = Support(("joe",), drop=-0.12, gap=0.2)
    values = features(_evidence(0.8, 0.41, Naming.PARTLY), support)
    assert dict(zip(FEATURES, values, strict=True)) == {
        "confidence": 0.8, "cosine": 0.41, "other": 0.0, "partly": 1.0, "unnamed": 0.0,
        "gap": 0.2, "drop": -0.12,
    }  # fmt: skip
    assert features(_evidence(0.1, None, Naming.OTHER))[1:3] == [0.0, 1.0]
    assert len(MINILM_ACCEPTANCE.weights) == len(FEATURES)


def test_the_fitted_model_weighs_each_signal_the_right_way() -> None:
    base = features(_evidence(0.7, 0.5, Naming.NAMED))
    at = MINILM_ACCEPTANCE.confidence
    assert at(features(_evidence(0.9, 0.5, Naming.NAMED))) > at(base)
    assert at(features(_evidence(0.7, 0.5, Naming.OTHER))) < at(base)
    lacking = features(_evidence(0.7, 0.5, Naming.NAMED), Support(("knee",), -0.1, 0.0))
    assert at(lacking) < at(base)


def test_only_minilm_has_a_fitted_model() -> None:
    assert acceptance_for(match_model("minilm", "all-MiniLM-L6-v2")) is MINILM_ACCEPTANCE
    for name, model in [("clip", "openai/clip-vit-base-patch32"), ("titan", "amazon.titan")]:
        assert acceptance_for(match_model(name, model)) is None


def test_support_measures_the_words_a_caption_lacks(learned: Library) -> None:
    embedder: Embedder = learned.embedder
    query = "a red sports car"
    vector = np.asarray(embedder.embed_texts([query])[0], dtype=np.float32)
    words = probe(embedder, query, vector / np.linalg.norm(vector))
    assert words is not None

    def support(caption: str) -> Support:
        return words.support(np.asarray(embedder.embed_texts([caption])[0]), content_terms(caption))

    near = support(CAPTIONS["garage/motorbike.jpg"])
    assert "sport" in near.lacking and near.drop < 0 and near.gap > 0
    assert (
        words.unsupported(
            np.asarray(embedder.embed_texts([CAPTIONS["garage/motorbike.jpg"]])[0]),
            content_terms(CAPTIONS["garage/motorbike.jpg"]),
        )
        == near.lacking
    )
    same = support("A red sports car parked on the street.")
    assert same.lacking == () and same.gap == 0.0 and same.drop == 0.0
    assert words.support(np.zeros(vector.shape), ["car"]) == SUPPORTED


def test_a_near_neighbour_the_hand_rule_accepts_is_refused(learned: Library, hand: Library) -> None:
    query = "knee mri scan"
    accepted = hand.search(SearchRequest(query=query, limit=1))
    assert accepted and accepted[0].asset.source.endswith("brain.jpg"), accepted
    refused = learned.search(SearchRequest(query=query, limit=1))
    assert refused.no_match and refused.nearest is not None
    assert refused.nearest.asset.source.endswith("brain.jpg")
    assert "caption lacks knee" in refused.nearest.why


@pytest.mark.parametrize(
    ("query", "expected"),
    [("kitty", "chelsea.jpg"), ("a ginger cat", "chelsea.jpg"), ("red motorcycle", "motorbike.jpg"),
     ("brain scan", "brain.jpg"), ("latte", "coffee.jpg")],
)  # fmt: skip
def test_paraphrases_are_still_accepted(learned: Library, query: str, expected: str) -> None:
    found = learned.search(SearchRequest(query=query, limit=1))
    assert found and found[0].asset.source.endswith(expected), found.nearest


def test_the_opt_in_word_check_still_caps_a_lacking_word(tmp_path: Path) -> None:
    strict = _library(tmp_path, match_every_word=True)
    found = strict.search(SearchRequest(query="knee mri scan", limit=1))
    assert found.no_match and found.nearest is not None and found.nearest.score <= 0.25


def test_a_query_far_from_every_caption_is_not_probed(
    learned: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reelrag.matching.decide as decide

    probed: list[str] = []
    real = decide.probe
    monkeypatch.setattr(decide, "probe", lambda e, q, v: probed.append(q) or real(e, q, v))
    assert learned.search(SearchRequest(query="snowy mountain lake", limit=1)).no_match
    assert probed == []  # every candidate below PROBE_FLOOR: refused whatever the words say
    assert learned.search(SearchRequest(query="knee mri scan", limit=1)).no_match
    assert probed == ["knee mri scan"]
    # the fit's rows probe every multi-word query (benchmarks/fit_acceptance.py)
    query = "snowy mountain lake"
    vector = learned.embedder.embed_queries([query])[0]
    hits = learned.index.search(IndexQuery(query, vector, 10))
    weighed = decide.weigh_all(hits, query, vector, learned.index, learned.embedder,
                               learned.settings, probe_floor=0.0)  # fmt: skip
    assert probed == ["knee mri scan", query] and len(weighed) == len(hits)


def test_the_probe_embeds_the_query_terms_with_its_shortened_forms(learned: Library) -> None:
    embedder = learned.embedder
    calls: list[list[str]] = []

    class Counting:
        identity = embedder.identity

        def embed_texts(self, texts: list[str]) -> np.ndarray:
            calls.append(list(texts))
            return embedder.embed_texts(texts)

    vector = np.asarray(embedder.embed_texts(["quartz wristwatch strap"])[0], dtype=np.float32)
    words = probe(Counting(), "quartz wristwatch strap", vector / np.linalg.norm(vector))  # type: ignore[arg-type]
    assert words is not None and len(calls) == 1
    assert calls[0][3:] == ["quartz", "wristwatch", "strap"]
    own = words.words.closest(["quartz"], ["quartz"])
    assert own == [pytest.approx(1.0, abs=1e-5)] and len(calls) == 1  # kept, not re-embedded
