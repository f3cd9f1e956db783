"""Colour words, read as the basic colour they name: "a blue motorbike" is not the red one.

A sentence embedder scores "a blue motorbike" against "Red motorbike parked in the garage" as
a near match: the object agrees and colours sit close together in its space. When a query names
a colour and the caption names colours, none of them that one, the caption describes something
else (:mod:`reelrag.matching.objects`). A caption that names no colour says nothing either way.

Shades are folded into the basic colour terms people sort them under ("crimson" is red, "ginger"
hair or fur is orange). Words that are colours only now and then ("coffee", "navy", "olive",
"cream", "rose", "jet", "lemon") are left out: in "a coffee cup", "a navy uniform" or "a fighter
jet" they name a thing, not a colour.
"""

from __future__ import annotations

import re
from functools import lru_cache

_SHADES = {
    "red": "crimson scarlet maroon burgundy vermilion",
    "orange": "ginger",
    "yellow": "golden gold blond blonde",
    "green": "emerald",
    "blue": "azure cobalt cyan turquoise teal sapphire",
    "purple": "violet lilac lavender mauve magenta",
    "pink": "",
    "brown": "chestnut tan beige bronze auburn",
    "black": "ebony",
    "white": "ivory",
    "grey": "gray silver silvery",
}
BASIC: dict[str, str] = {
    word: basic for basic, shades in _SHADES.items() for word in (basic, *shades.split())
}
_WORD = re.compile(r"[a-z]+")


@lru_cache(maxsize=16_384)
def colours(text: str) -> frozenset[str]:
    """The basic colours ``text`` names.

    >>> sorted(colours("A crimson and GREY scarf"))
    ['grey', 'red']
    """
    return frozenset(BASIC[w] for w in _WORD.findall(text.lower()) if w in BASIC)


def clash(wanted: frozenset[str], caption: str) -> str | None:
    """The caption's colours (as text) when it names colours and none of ``wanted``; None
    when it names one of them, names none, or nothing is wanted."""
    theirs = colours(caption)
    if not wanted or not theirs or wanted & theirs:
        return None
    return " and ".join(sorted(theirs))
