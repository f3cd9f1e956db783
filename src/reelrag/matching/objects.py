"""Does a caption name the object the query asks for? The query's head noun against the
caption's nouns, in the noun taxonomy (:mod:`reelrag.matching.nouns`).

A sentence embedder scores "skyscrapers at night" against "a tall steel tower with floodlights at
dusk" at 0.62, higher than most right answers: tall, lights and night agree, and *tower* sits
next to *skyscraper* in its space. The taxonomy knows what the vectors blur: a tower is not a
kind of skyscraper, nor one a kind of the other. So the query's object, its **head noun** (the
last noun before a preposition: ``beach`` in "beach at sunset", ``sports_car`` in "a red sports
car"; in "cup of joe" either ``cup`` or ``joe``), is looked up among the caption's nouns (single
words and two- or three-word compounds, "space shuttle"). The caption *names* it when one of its
nouns is the same thing, a kind of it, or a broader kind (``Taxonomy.kinship``); otherwise a caption
must stand out further to be believed (:mod:`reelrag.matching.decision`), since captions do say
things in other words ("lawn" for "grass", "photographer" for "a man with a camera").

A query whose head is no noun the taxonomy knows (a name, "matplotlib", "iphone") is not checked.
"""

from __future__ import annotations

import re
from functools import lru_cache

from reelrag.index.scoring import STOP_WORDS
from reelrag.matching.nouns import Taxonomy, taxonomy

_PREPOSITIONS = (
    "about above against along among around at behind below beneath beside between by during "
    "for from in inside into near of off on onto over through under with within without"
)
PREPOSITIONS = frozenset(_PREPOSITIONS.split(" "))
_DETERMINERS = frozenset(("my", "our", "your", "her", "his", "their", "its", "some"))
_WORD = re.compile(r"[\w'-]+", re.UNICODE)
_LONGEST = 3  # compounds of up to three words: "hot air balloon"


def words(text: str) -> list[str]:
    """Lower-case words, possessive ``'s`` dropped.

    >>> words("An officer's white cap")
    ['an', 'officer', 'white', 'cap']
    """
    return [w.lower().removesuffix("'s").strip("'-") for w in _WORD.findall(text)]


def query_objects(query: str) -> tuple[str, ...]:
    """The noun lemmas the query asks for: the head of its first phrase, and in "X of Y" also
    Y's head; ``()`` when there is none the taxonomy knows.

    >>> query_objects("skyscrapers at night")
    ('skyscraper',)
    >>> query_objects("a cup of joe")
    ('cup', 'joe')
    """
    nouns = taxonomy()
    phrases: list[list[str]] = [[]]
    joints: list[str] = []
    for word in words(query):
        if word in PREPOSITIONS:
            joints.append(word)
            phrases.append([])
        else:
            phrases[-1].append(word)
    heads = [_head(nouns, phrases[0])]
    if joints[:1] == ["of"]:
        heads.append(_head(nouns, phrases[1]))
    return tuple(h for h in heads if h)


def _head(nouns: Taxonomy, phrase: list[str]) -> str | None:
    """The rightmost noun of ``phrase`` (the longest compound ending there); a trailing ``-ing``
    word after a noun is a verb ("explorer posing")."""
    kept = [w for w in phrase if w not in STOP_WORDS and w not in _DETERMINERS]
    for end in range(len(kept), 0, -1):
        if kept[end - 1].endswith("ing") and end > 1 and nouns.lemma(kept[end - 2]):
            continue
        for size in range(min(_LONGEST, end), 0, -1):
            lemma = nouns.lemma("_".join(kept[end - size : end]))
            if lemma:
                return lemma
    return None


@lru_cache(maxsize=16_384)
def caption_nouns(caption: str) -> frozenset[str]:
    """Every noun lemma in ``caption``: its words and two- or three-word compounds."""
    nouns = taxonomy()
    kept = [w for w in words(caption) if w not in STOP_WORDS]
    found = set()
    for start in range(len(kept)):
        for size in range(1, _LONGEST + 1):
            if start + size <= len(kept):
                lemma = nouns.lemma("_".join(kept[start : start + size]))
                if lemma:
                    found.add(lemma)
    return frozenset(found)


def unnamed(objects: tuple[str, ...], caption: str) -> str | None:
    """The query's object when ``caption`` names none of ``objects`` (nor a kind of them);
    ``None`` when it does, or when there is nothing to check."""
    if not objects:
        return None
    theirs = caption_nouns(caption)
    if any(_names(mine, noun) for mine in objects for noun in theirs):
        return None
    return objects[0]


@lru_cache(maxsize=65_536)
def _names(mine: str, theirs: str) -> bool:
    return taxonomy().kinship(mine, theirs) is not None
