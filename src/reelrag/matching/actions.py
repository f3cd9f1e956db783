"""What a query shows its object doing: "a white stallion galloping", "space shuttle taking
off", "cells dividing under the microscope". A photo of a horse silhouette, of a shuttle model
on a stand, of one glowing cell shows none of it, and a sentence embedder still scores each pair
as a near match (galloping sits next to horse, floating next to space).

A caption shows an action when it names one of the same group ("sprinting" for "galloping":
both are running; "racing" for "sleeping" is no match), or, for filming, the thing that does
it ("a man with a camera" is filming). A caption that shows none of the query's actions
describes the object at rest, so the query asks for a detail it lacks
(:mod:`reelrag.matching.objects`).

The list is closed and short on purpose: actions that change what a picture shows, and
hanging, which captions say ("a model hanging from the ceiling" is not "a model on a stand").
Poses a still photo takes are left out (standing, sitting, lying, looking, posing, waiting,
resting; smiling is an expression, :data:`reelrag.matching.attributes.EXPRESSIONS`), as are
words that are as often something else: "flying" (a flag "flying from a pole" hangs there),
"waving" (flags again), "moving" ("moving boxes"), "turning" ("turning its head"), "drawing",
"painting", "writing" (a picture or a text). An ``-ing`` word inside a compound the taxonomy
knows names a thing, not an action: "a swimming pool", "a sailing ship", "an ironing board".
"""

from __future__ import annotations

from reelrag.matching.attributes import Vocabulary, table
from reelrag.matching.phrases import spans, words

# The groups of actions, by the word that names each; "_" joins the words of a phrase.
_GROUPS: dict[tuple[str, ...], str] = {
    ("running",): "running galloping sprinting jogging trotting racing",
    ("jumping",): "jumping leaping hopping",
    ("walking",): "walking hiking strolling marching",
    ("climbing",): "climbing",
    ("swimming",): "swimming diving snorkelling snorkeling surfing",
    ("skiing",): "skiing skating skateboarding snowboarding",
    ("dancing",): "dancing",
    ("riding",): "riding cycling driving",
    ("sailing",): "sailing rowing paddling kayaking canoeing",
    ("floating",): "floating hovering drifting",
    ("falling",): "falling crashing sinking tumbling",
    ("taking off",): "taking_off lifting_off blasting_off launching",
    ("landing",): "landing",
    ("exploding",): "exploding erupting burning melting",
    ("crawling",): "crawling slithering",
    ("eating",): "eating grazing feeding drinking",
    ("sleeping",): "sleeping napping dozing",
    ("cooking",): "cooking baking stirring",
    ("reading",): "reading",
    ("typing",): "typing",
    ("talking",): "talking chatting singing",
    ("playing",): "playing",
    ("saluting",): "saluting",
    ("throwing",): "catching throwing kicking",
    ("fighting",): "fighting hunting",
    ("dividing",): "dividing",
    ("filming",): "filming photographing",
    ("sewing",): "knitting sewing ironing",
    ("washing",): "washing cleaning",
    ("gardening",): "planting gardening watering digging",
    ("cutting",): "cutting chopping shaving",
    ("meditating",): "meditating praying",
    ("hanging",): "hanging dangling",
}
# Each word is labelled (word, group): the check compares groups, the reason says the word.
ACTIONS = Vocabulary({word: (word, labels[0]) for word, labels in table(_GROUPS).items()})
# Things a caption names that show an action: a man with a camera is filming.
_SHOWN_BY = Vocabulary(
    {word: (word, "filming") for word in ("camera", "cameras", "camcorder", "cameraman")}
)


def query_actions(query: str) -> frozenset[tuple[str, ...]]:
    """The action groups ``query`` names, less ``-ing`` words inside a compound noun.

    >>> sorted(query_actions("white stallion galloping across a field"))
    [('galloping', 'running')]
    >>> query_actions("a swimming pool"), query_actions("moving boxes on shelves")
    (frozenset(), frozenset())
    """
    said = words(query)
    inside = {part for lemma in spans(said) if "_" in lemma for part in lemma.split("_")}
    plain = ["_" if w in inside and w.endswith("ing") else w for w in said]
    return ACTIONS.named(" ".join(plain))


def shown(caption: str) -> frozenset[tuple[str, ...]]:
    """The action groups ``caption`` shows, by their words or the things that do them."""
    return ACTIONS.named(caption) | _SHOWN_BY.named(caption)


def missing(wanted: frozenset[tuple[str, ...]], caption: str) -> str | None:
    """The query's word for the first of ``wanted`` whose group ``caption`` does not show; None
    when it shows them all or none is wanted."""
    if not wanted:
        return None
    theirs = {labels[-1] for labels in shown(caption)}
    return next((labels[0] for labels in sorted(wanted) if labels[-1] not in theirs), None)
