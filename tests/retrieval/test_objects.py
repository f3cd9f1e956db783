"""Does a caption name the query's object? The bundled noun taxonomy (WordNet 3.0's nouns) and
the head-noun check built on it (reelrag.matching.nouns / .objects)."""

from __future__ import annotations

import pytest

from reelrag.matching.nouns import Relation, taxonomy
from reelrag.matching.objects import caption_nouns, query_objects, unnamed


@pytest.mark.parametrize(
    ("word", "lemma"),
    [("skyscrapers", "skyscraper"), ("mice", "mouse"), ("boxes", "box"),
     ("Sports Car", "sports_car"), ("x-ray", "x_ray"), ("glass", "glass"), ("matplotlib", None)],
)  # fmt: skip
def test_lemmas_follow_plural_rules_and_exceptions(word: str, lemma: str | None) -> None:
    assert taxonomy().lemma(word) == lemma


@pytest.mark.parametrize(
    ("query", "caption", "relation"),
    [
        ("cat", "cat", Relation.SAME),
        ("animal", "cat", Relation.BROADER),  # a cat is an animal
        ("kitty", "cat", Relation.NARROWER),  # a kitty may well be the cat shown
        ("timepiece", "wall_clock", Relation.BROADER),
        ("car", "motorbike", Relation.SIBLING),  # both motor vehicles, neither the other
        ("skyscraper", "tower", Relation.SIBLING),
        ("beach", "rocket", Relation.UNRELATED),
    ],
)
def test_relations_in_the_taxonomy(query: str, caption: str, relation: Relation) -> None:
    assert taxonomy().relation(query, caption) is relation


@pytest.mark.parametrize(
    ("query", "objects"),
    [
        ("skyscrapers at night", ("skyscraper",)),
        ("a red sports car", ("sports_car",)),
        ("beach at sunset", ("beach",)),
        ("a cup of coffee", ("cup", "coffee")),
        ("space explorer posing with the flag", ("explorer",)),  # "posing" is the verb
        ("my cat", ("cat",)),
        ("matplotlib", ()),  # no noun the taxonomy knows: nothing to check
    ],
)
def test_query_objects_are_head_nouns(query: str, objects: tuple[str, ...]) -> None:
    assert query_objects(query) == objects


def test_caption_nouns_include_compounds() -> None:
    nouns = caption_nouns("A model of the space shuttle on a stand.")
    assert {"model", "space_shuttle", "shuttle", "stand"} <= nouns


@pytest.mark.parametrize(
    ("query", "caption", "missing"),
    [
        ("skyscrapers at night", "A tall steel tower with floodlights at dusk.", "skyscraper"),
        ("a red sports car", "Red motorbike parked in the garage.", "sports_car"),
        ("beach at sunset", "Rocket on the launch pad at dusk.", "beach"),
        ("kitty", "My ginger tabby cat Chelsea looking to the side.", None),
        ("an animal", "My ginger tabby cat Chelsea looking to the side.", None),
        ("espresso", "Cup of coffee with latte art on a red saucer.", None),
        ("a cup of joe", "Cup of coffee with latte art on a red saucer.", None),
        ("matplotlib", "The matplotlib logo.", None),
    ],
)
def test_unnamed_objects(query: str, caption: str, missing: str | None) -> None:
    assert unnamed(query_objects(query), caption) == missing


def test_a_plural_that_is_a_lemma_of_its_own_still_means_its_singular() -> None:
    # WordNet's "shoes" is only "being in someone's shoes"; a user asking for shoes means shoes.
    assert taxonomy().lemma("shoes") == "shoes"
    assert unnamed(query_objects("red shoes"), "A red running shoe on a mat.") is None
    assert unnamed(query_objects("a shoe"), "Red shoes on the floor.") is None
    assert taxonomy().kinship("glasses", "spectacles") is not None  # its own sense stays
