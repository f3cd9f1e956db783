"""Colour words, read as the basic colour they name: "a blue motorbike" is not the red one.

A sentence embedder scores "a blue motorbike" against "Red motorbike parked in the garage" as
a near match: the object agrees and colours sit close together in its space. When a query names
a colour and the caption names colours, none of them that one, the caption describes something
else (:mod:`reelrag.matching.objects`). A caption that names no colour says nothing either way.

Shades are folded into the basic colour terms people sort them under ("crimson" is red, "ginger"
hair or fur is orange). Words that are colours only now and then ("coffee", "navy", "olive",
"cream", "rose", "jet", "lemon") are left out: in "a coffee cup", "a navy uniform" or "a fighter
jet" they name a thing, not a colour. The check is the same as for materials, sexes and
countries (:class:`reelrag.matching.attributes.Vocabulary`), each colour its own label, with
one more rule: a caption that names as many colours as the query, two or more, must name each
of them ("red and black checkerboard" is not the "black and white chessboard"); one that names
fewer may leave some unsaid ("ginger cat with green eyes" against "my ginger tabby cat").
"""

from __future__ import annotations

from functools import lru_cache

from reelrag.matching.attributes import Vocabulary

_SHADES = {
    "red": "crimson scarlet maroon burgundy vermilion",
    "orange": "ginger",
    "yellow": "golden gold blond blonde",
    "green": "emerald",
    "blue": "azure cobalt cyan turquoise teal sapphire",
    "purple": "violet lilac lavender mauve magenta",
    "pink": "",
    "brown": "chestnut tan beige bronze copper auburn khaki hazel",
    "black": "ebony",
    "white": "ivory",
    "grey": "gray silver silvery",
}
COLOURS = Vocabulary(
    {word: (basic,) for basic, shades in _SHADES.items() for word in (basic, *shades.split())},
    every=True,
)


@lru_cache(maxsize=16_384)
def colours(text: str) -> frozenset[str]:
    """The basic colours ``text`` names.

    >>> sorted(colours("A crimson and GREY scarf"))
    ['grey', 'red']
    """
    return frozenset(labels[0] for labels in COLOURS.named(text))
