"""The match decision on real photos (the development set's scikit-image/matplotlib photos):
synonyms accepted, absent objects refused, file/folder names never deciding alone."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

pytest.importorskip("skimage", reason="the development set's photos ship in scikit-image")

from reelrag.errors import NoMatchError
from reelrag.evaluation import evaluate
from reelrag.evaluation.devset import SPLITS, devset_queries, no_answer_kinds, write_devset
from reelrag.library import Library, open_library
from reelrag.matching.cohort import Background
from reelrag.matching.decision import MINILM, UNNAMED_SHIFT, WEAK, weigh
from reelrag.matching.objects import Asked, asked
from reelrag.matching.support import PARTIAL
from reelrag.retrieval import best_matches
from reelrag.types import Asset, SearchHit, SearchRequest


@pytest.fixture(scope="module")
def captioned(tmp_path_factory: pytest.TempPathFactory) -> Library:
    root = tmp_path_factory.mktemp("devset")
    write_devset(root / "photos")
    library = open_library(root / "ws")
    library.ingest([str(root / "photos")], recursive=True)
    return library


@pytest.fixture(scope="module")
def camera_roll(tmp_path_factory: pytest.TempPathFactory) -> Library:
    """Uncaptioned photos as a phone leaves them: DCIM/100APPLE/IMG_01xx.jpg, camera/IMG_…"""
    root = tmp_path_factory.mktemp("roll")
    write_devset(root / "photos", captions=False)
    camera = root / "photos" / "camera"
    camera.mkdir()
    for i, photo in enumerate(sorted((root / "photos" / "people").glob("*.jpg"))):
        with Image.open(photo) as image:  # other bytes: another asset
            image.save(camera / f"IMG_{i:04d}.jpg", quality=70)
    library = open_library(root / "ws")
    library.ingest([str(root / "photos")], recursive=True)
    return library


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kitty", "pets/chelsea.jpg"),
        ("a ginger cat", "pets/chelsea.jpg"),
        ("spaceship launch", "trips/florida/rocket.jpg"),
        ("timepiece", "DCIM/100APPLE/IMG_0115.jpg"),
    ],
)
def test_synonyms_are_accepted(captioned: Library, query: str, expected: str) -> None:
    best = best_matches(captioned, query, captioned.settings)[0]
    assert best.asset.source.endswith(expected), best.why
    assert best.score >= captioned.settings.min_score and "stands out" in best.why


def test_cup_of_joe_ranks_first_but_the_learned_rule_refuses_it(captioned: Library) -> None:
    """The trade the learned acceptance rule makes (docs/retrieval.md): "joe" is a word the
    coffee caption lacks, as "knee" is for a brain scan; the photo still ranks first."""
    results = captioned.search(SearchRequest(query="cup of joe", limit=1))
    assert results.no_match and results.nearest is not None
    assert results.nearest.asset.source.endswith("food/coffee.jpg")
    assert "caption lacks joe" in results.nearest.why


@pytest.mark.parametrize("query", ["red shoes", "apple", "iphone", "a soccer match", "pizza"])
def test_absent_objects_are_refused(captioned: Library, query: str) -> None:
    with pytest.raises(NoMatchError, match="no good match"):
        best_matches(captioned, query, captioned.settings)


@pytest.mark.parametrize(
    ("query", "object_"), [("a red sports car", "sports car"), ("waterfall", "waterfall")]
)
def test_near_neighbours_naming_another_object_are_refused(
    captioned: Library, query: str, object_: str
) -> None:
    # "Red motorbike parked in the garage." stands out for "a red sports car" (+3.7) and was
    # accepted before the caption had to name the query's object (or a kind of it).
    results = captioned.search(query)
    assert results.no_match, [(h.asset.source, h.why) for h in results]
    assert f"caption names no {object_}" in results.rejected[0].why


@pytest.mark.parametrize(
    ("query", "why", "kept", "photo"),
    [  # "My ginger tabby cat Chelsea looking to the side." stands out +4.4 and names the cat,
       # but no sofa; "tripod on the lawn" is kept: the caption's "grass" says the lawn otherwise.
     ("ginger cat asleep on a sofa", "caption names no sofa (asked: on sofa)",
      "tripod on the lawn", "IMG_0112.jpg"),
       # "Cup of coffee with latte art on a red saucer." names the cup of coffee, no croissant.
     ("cup of coffee with a croissant", "caption names no croissant (asked: with croissant)",
      "coffee with latte art", "coffee.jpg"),
       # the caption's and file's "Grace Hopper" cannot outvote the caption's lack of a computer
     ("Grace Hopper at a computer", "caption names no computer (asked: at computer)",
      "Grace Hopper", "grace-hopper.jpg")],
)  # fmt: skip
def test_a_photo_without_where_or_what_with_the_query_puts_the_object_is_refused(
    captioned: Library, query: str, why: str, kept: str, photo: str
) -> None:
    results = captioned.search(query)
    assert results.no_match, [(h.asset.source, h.why) for h in results]
    assert why in results.rejected[0].why
    best = best_matches(captioned, kept, captioned.settings)[0]
    assert best.asset.source.endswith(photo) and "asked:" not in best.why
    assert best.score >= captioned.settings.min_score


def test_camera_roll_names_never_decide(camera_roll: Library) -> None:
    # "apple" is the phone's folder name (100APPLE) and "camera" an Android folder: no words.
    for query in ("apple", "photographer", "iphone", "camera"):
        results = camera_roll.search(query)
        assert results.no_match, [(h.asset.source, h.why) for h in results]
        assert results.rejected and all(h.score < WEAK + 1e-9 for h in results.rejected)
    assert camera_roll.coverage().captioned == 0
    warning = camera_roll.coverage_warning()
    assert warning is not None and "only file and folder names" in warning


def test_file_names_alone_stay_below_the_default_threshold(camera_roll: Library) -> None:
    # people/astronaut.jpg has no caption: its own name matches the query fully, yet is weak.
    results = camera_roll.search("astronaut", min_score=0.0)
    named = [h for h in results if h.asset.source.endswith("people/astronaut.jpg")]
    assert named and named[0].score == pytest.approx(WEAK)
    assert all(h.score <= WEAK < camera_roll.settings.min_score for h in results)
    assert "file/folder names 0.40 (astronaut)" in named[0].why


def test_weigh_combines_evidence_as_documented() -> None:
    asset = Asset("a", "/p/DCIM/100APPLE/IMG_1.jpg", 1, 1, "jpeg", caption="A red apple",
                  caption_source="sidecar")  # fmt: skip
    back = Background(mean=0.2, spread=0.1)
    hit = SearchHit(asset, score=0.0)
    strong = weigh(hit, 0.6, back, ["red", "apple"], MINILM, 0.5)
    caption = 1 / (1 + math.exp(-MINILM.slope * (4.0 - MINILM.centre)))  # standout +4
    assert strong.text == 1.0 and strong.standout == pytest.approx(4.0)
    assert strong.confidence == pytest.approx(1 - (1 - caption) * (1 - 0.5))
    faint = weigh(hit, 0.15, back, ["pear"], MINILM, 0.5)  # below the cosine floor
    assert faint.confidence == 0.0
    unnamed = asset.replace(caption="", caption_source="filename")
    path_only = weigh(SearchHit(unnamed, 0.0), 0.9, back, ["red"], MINILM, 0.5)
    assert path_only.confidence == pytest.approx(WEAK)
    other = weigh(hit, 0.6, back, ["pear"], MINILM, 0.5, asked=Asked(("pear",)))  # names no pear
    shifted = 1 / (1 + math.exp(-MINILM.slope * (4.0 - MINILM.centre - UNNAMED_SHIFT)))
    assert other.confidence == pytest.approx(shifted) and "caption names no pear" in other.why(None)
    green = weigh(hit, 0.6, back, ["green", "apple"], MINILM, 0.5, asked=asked("a green apple"))
    # the caption names another colour: the match is PARTIAL at most, whatever its keywords say
    assert green.text > 0 and green.confidence <= PARTIAL
    assert "caption names red, not green" in green.why(None)
    pixels = weigh(hit.replace(image_score=0.8), 0.6, back, ["green", "apple"], MINILM, 0.5,
                   asked=asked("a green apple"))  # fmt: skip
    assert pixels.confidence == pytest.approx(0.8)  # only the image can outweigh the caption


def test_tuned_splits_keep_their_figures(captioned: Library) -> None:
    """A regression guard on splits the decision was fitted on (benchmarks/bench_retrieval.py
    prints every split): the dev half, whose answerable queries lean on synonyms, and test27,
    written blind with near neighbours. The learned rule gives 0.878 / 1.000 and 0.960 /
    0.925 there; each floor allows one query's slip."""
    dev = evaluate(captioned, devset_queries("dev"), threshold=captioned.settings.min_score)
    assert dev.answerable == 41 and dev.no_answer == 14
    assert dev.recall_at_1_accepted >= 0.85 and dev.refusal >= 0.92
    late = evaluate(captioned, devset_queries("test27"), threshold=captioned.settings.min_score)
    assert late.recall_at_1_accepted >= 0.94 and late.refusal >= 0.9


def test_devset_splits_are_disjoint_and_complete() -> None:
    splits = [devset_queries(name) for name in SPLITS if name != "all"]
    texts = [{q.query.lower() for q in split} for split in splits]
    assert all(a.isdisjoint(b) for i, a in enumerate(texts) for b in texts[i + 1 :])
    assert sum(map(len, splits)) == len(devset_queries("all")) == 3203
    assert all(sum(not q.answerable for q in split) >= 10 for split in splits)


def test_no_answer_kinds_label_every_no_answer_query_of_their_splits() -> None:
    kinds = no_answer_kinds()
    splits = [f"test{n}" for n in range(9, 33)]  # the splits with labelled kinds
    for split in splits:
        none = {q.query for q in devset_queries(split) if not q.answerable}
        labelled = {query: kind for (where, query), kind in kinds.items() if where == split}
        assert set(labelled) == none
        assert sorted(Counter(labelled.values()).items()) == [("far", 13), ("near", 27)]


def test_refusal_explains_itself(captioned: Library, tmp_path: Path) -> None:
    results = captioned.search("red shoes")
    assert results.no_match and 1 <= len(results.rejected) <= 3
    data = results.to_dict()
    assert data["rejected"][0]["why"].startswith("match ")
