"""Does a caption name the object the query asks for? The query's head noun against the
caption's nouns, in the noun taxonomy (:mod:`reelrag.matching.nouns`).

A sentence embedder scores "skyscrapers at night" against "a tall steel tower with floodlights at
dusk" at 0.62, higher than most right answers: tall, lights and night agree, and *tower* sits
next to *skyscraper* in its space. The taxonomy knows what the vectors blur: a tower is not a
kind of skyscraper, nor one a kind of the other. So the query's object, its **head noun** (the
last noun before a preposition: ``beach`` in "beach at sunset", ``sports_car`` in "a red sports
car"; in "a cup of tea" either ``cup`` or ``tea``), is looked up among the caption's nouns
(words, and compounds of two or three words: "space shuttle", "stars and stripes"). The caption
*names* it when one of its nouns is the same thing, a kind of it, or a broader kind
(``Taxonomy.kinship``); otherwise (UNNAMED) a caption must stand out further to be believed
(:mod:`reelrag.matching.decision`), since captions do say things in other words ("lawn" for
"grass", "photographer" for "a man with a camera").

Rules of how people write captions, none of them a fitted number:

- a caption's nouns are read in their usual senses (:meth:`Taxonomy.meanings`): "rocket on the
  launch pad" does not name *fireworks*, though WordNet also files a firework under "rocket";
- a compound the caption names only by its broader kind ("a bicycle wheel" against "the wheel of
  a motorcycle") counts as named only when the caption also says what sets it apart (bicycle).

A caption names something OTHER than what was asked, and the decision then treats it as partial
evidence at most, when it names:

- another colour (:mod:`reelrag.matching.colours`: "red" for "a blue motorbike"), another
  material, sex, country or time of day (:mod:`reelrag.matching.attributes`: "silver" for "a
  plastic spoon", "female" for "a smiling man", "united states" for "the Italian flag", "dusk"
  for "a rocket at noon");
- another individual of a close kind, or only the class of the individual asked for (an
  instance in the taxonomy: the moon for "mars surface", a tower for "the Eiffel tower");
- the opposite of an expression, an age, a fullness, a count, a focus or a way of writing
  ("smiling" for "a frowning woman", "old" for "modern coins", "full" for "empty shelves",
  "rows" for "a single coin", "blurry" for "a clock in sharp focus", "printed" for "a
  handwritten letter"), or another body of the solar system ("moon" for "martian craters");
- the object only in the singular, with no word of how many, when the query asks for two or
  more ("Red motorbike parked in the garage" for "two red motorbikes");
- what the query asks not to see ("a camera and no tripod", "tripod legs without a camera");
- the object only as an owner it does not show ("an officer's cap" for "a police officer");
- another kind by a compound with the same head ("space helmet" for "a football helmet").

A caption that names the object, or no kind of it, but not the physical thing or place the
query puts it in or on, or shows with it (:func:`reelrag.matching.phrases.query_settings`: "a
snake coiled on a rock", "moon over a lake", "a cup of coffee with a croissant", "the milky way
over mountains" against a deep field of galaxies), is PARTLY right, partial evidence at most
too, unless a caption word says it in other words (the caller's ``said`` test: "lawn" for
"grass"). So is a caption that does not show what the query shows the object doing
(:mod:`reelrag.matching.actions`: "white stallion galloping" against a horse's silhouette).

A person the query names only by sex ("a woman in uniform", "astronaut girl") is named by a
caption that says the sex ("Grace Hopper in her navy uniform"); a caption that says the other
sex names something else, as for any attribute.

A query whose head is no noun the taxonomy knows (a name, "matplotlib", "iphone") is not checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from reelrag.matching.actions import missing, query_actions
from reelrag.matching.attributes import (
    AGES,
    BODIES,
    COUNTRIES,
    COUNTS,
    EXPRESSIONS,
    FOCUS,
    FULLNESS,
    MATERIALS,
    NUMBERS,
    SEXES,
    SHADES,
    SIZES,
    TIMES,
    WRITING,
    Attribute,
)
from reelrag.matching.colours import COLOURS
from reelrag.matching.nouns import Relation, close_kind, taxonomy
from reelrag.matching.phrases import (
    caption_nouns,
    individuals,
    possessions,
    query_absences,
    query_objects,
    query_settings,
    words,
)

# People named only by their sex: a caption names one by saying the sex ("Grace Hopper in her
# uniform" shows a woman).
_PEOPLE = frozenset(("woman", "man", "lady", "girl", "boy", "guy", "gentleman", "female", "male"))
_KIN_STEPS = 3  # two individuals are of a close kind when one kind is this near both
# The attribute vocabularies a caption must not contradict, in the order they are checked (the
# first clash names the reason).
ATTRIBUTES: tuple[Attribute, ...] = (COLOURS, MATERIALS, SEXES, COUNTRIES, TIMES, SIZES, SHADES,
                                      EXPRESSIONS, AGES, FULLNESS, COUNTS, BODIES,
                                      FOCUS, WRITING)  # fmt: skip


class Naming(Enum):
    NAMED = "named"  # the caption names the object or a kind of it (or nothing is checked)
    UNNAMED = "unnamed"  # it names no kind of the object
    OTHER = "other"  # it names something else: another colour, individual, owner or kind
    PARTLY = "partly"  # it names the object, not where the query puts it ("on a sofa") or
    # what the query shows with it ("with a croissant")


@dataclass(frozen=True)
class Asked:
    """What a query asks for: its head nouns (either will do: "cup" or "tea" in "a cup of
    tea"), the individuals, colours, materials, sexes, countries and times of day it names, and
    where it puts the object and what it shows with it."""

    objects: tuple[str, ...] = ()
    individuals: tuple[str, ...] = ()
    attributes: tuple[frozenset[tuple[str, ...]], ...] = ()  # the labels named, per ATTRIBUTES
    settings: tuple[tuple[str, str], ...] = ()  # (preposition, noun): ("on", "sofa")
    absent: tuple[str, ...] = ()  # what it asks not to see: "no tripod", "without a camera"
    number: str | None = None  # a number of two or more it asks for: "two red motorbikes"
    actions: frozenset[tuple[str, ...]] = frozenset()  # what it shows the object doing


@dataclass(frozen=True)
class Check:
    """Whether a caption names what the query asks for; ``wanted``: the query's object (or
    individual, or the detail a caption lacks); ``found``: the caption's noun for something else
    (OTHER), or the query's words for the detail (PARTLY: "on sofa", "with croissant")."""

    naming: Naming = Naming.NAMED
    wanted: str | None = None
    found: str | None = None
    absent: bool = False  # OTHER: the caption names what the query asks not to see
    action: bool = False  # PARTLY: the caption shows the object not doing what was asked

    def why(self) -> str | None:
        """The reason for the ``why`` line, or None when the caption names the object."""
        wanted, found = _text(self.wanted), _text(self.found)
        if self.naming is Naming.UNNAMED:
            return f"caption names no {wanted}"
        if self.naming is Naming.OTHER:
            if self.absent:
                return f"caption names {found}, asked without it"
            return f"caption names {found}, not {wanted}"
        if self.naming is Naming.PARTLY and self.action:
            return f"caption shows no {wanted}"
        if self.naming is Naming.PARTLY:
            return f"caption names no {wanted} (asked: {found})"
        return None


NOTHING_ASKED = Asked()  # nothing to check (match_objects off)
NAMED = Check()


def _text(lemma: str | None) -> str:
    return (lemma or "").replace("_", " ")


@lru_cache(maxsize=4_096)
def asked(query: str) -> Asked:
    """The query's objects (:func:`query_objects`), the individuals it names and the labels of
    each of ``ATTRIBUTES``, its settings (:func:`query_settings`), what it asks not to see
    (:func:`query_absences`), a number of two or more it asks for and what it shows the
    object doing (:func:`reelrag.matching.actions.query_actions`)."""
    named = tuple(vocabulary.named(query) for vocabulary in ATTRIBUTES)
    number = next((word for word in words(query) if word in NUMBERS), None)
    return Asked(query_objects(query), individuals(query), named, query_settings(query),
                 query_absences(query), number, query_actions(query))  # fmt: skip


Said = Callable[[str, str], bool]  # (noun, caption): does a caption word say it otherwise?


def check(wanted: Asked, caption: str, said: Said | None = None) -> Check:
    """Whether ``caption`` names what ``wanted`` asks for (see the module notes); ``said``:
    whether a caption word says a detail in other words (none: only the taxonomy decides)."""
    theirs = caption_nouns(caption)
    named = _check_objects(wanted, caption, theirs)
    if named.naming not in (Naming.NAMED, Naming.UNNAMED):
        return named
    for preposition, setting in wanted.settings:
        if not _named(setting, theirs) and not (said and said(setting, caption)):
            return Check(Naming.PARTLY, setting, f"{preposition} {setting}")
    if action := missing(wanted.actions, caption):
        return Check(Naming.PARTLY, action, action, action=True)
    return named


def _check_objects(wanted: Asked, caption: str, theirs: frozenset[str]) -> Check:
    """:func:`check` of everything but the settings; ``theirs``: the caption's nouns."""
    for absent in wanted.absent:
        if _named(absent, theirs):
            return Check(Naming.OTHER, absent, absent, absent=True)
    for individual in wanted.individuals:
        other = _other(individual, individual in wanted.objects, theirs)
        if other:
            return Check(Naming.OTHER, individual, other)
    for labels, vocabulary in zip(wanted.attributes, ATTRIBUTES, strict=False):
        if other := vocabulary.clash(labels, caption):
            return Check(Naming.OTHER, " and ".join(sorted(label[0] for label in labels)), other)
    if wanted.number and not COUNTS.named(caption) and _only_one(wanted.objects, caption):
        return Check(Naming.OTHER, wanted.number, "one")
    for individual in wanted.individuals:  # after the attributes: "the flag of spain" names one
        if not any(_kinship(individual, noun) for noun in theirs):
            return Check(Naming.UNNAMED, individual)
    for mine in wanted.objects:
        if other := _other_kind(mine, theirs):
            return Check(Naming.OTHER, mine, other)
    if wanted.objects and not any(_named(mine, theirs) for mine in wanted.objects):
        if any(mine in _PEOPLE for mine in wanted.objects) and SEXES.named(caption):
            return NAMED  # "her navy uniform" shows a woman; the clash check ran above
        for owner, thing in possessions(caption):
            if any(_kinship(mine, owner) for mine in wanted.objects):
                return Check(Naming.OTHER, wanted.objects[0], f"{owner}'s {thing}")
        return Check(Naming.UNNAMED, wanted.objects[0])
    return NAMED


def _only_one(objects: tuple[str, ...], caption: str) -> bool:
    """Whether ``caption`` names the object (or a kind of it) and only in the singular."""
    nouns = taxonomy()
    kinds = (Relation.SAME, Relation.BROADER, Relation.NARROWER)
    naming = [word for word in words(caption) if (lemma := nouns.lemma(word))
              and any(_kinship(mine, lemma) in kinds for mine in objects)]  # fmt: skip
    return bool(naming) and not any(nouns.plural(word) for word in naming)


def _other_kind(mine: str, theirs: frozenset[str]) -> str | None:
    """A compound of the caption's for another kind of the same thing ("space_helmet" for
    "football_helmet"), when the caption names neither ``mine`` nor a kind of it."""
    kinds = (Relation.SAME, Relation.BROADER)
    if "_" not in mine or any(_kinship(mine, noun) in kinds for noun in theirs):
        return None
    last = mine.rsplit("_", 1)[1]
    return next((n for n in sorted(theirs) if "_" in n and n.rsplit("_", 1)[1] == last), None)


def _named(mine: str, theirs: frozenset[str]) -> bool:
    kinds = {noun: _kinship(mine, noun) for noun in theirs}
    if any(kind in (Relation.SAME, Relation.BROADER) for kind in kinds.values()):
        return True
    if not any(kinds.values()):
        return False
    # Only broader kinds are named: a compound must have what sets it apart named too.
    parts = mine.split("_")
    return len(parts) == 1 or any(_named(part, theirs) for part in _lemmas(parts[:-1]))


def _lemmas(parts: list[str]) -> list[str]:
    nouns = taxonomy()
    return [lemma for part in parts if (lemma := nouns.lemma(part))]


def _other(individual: str, is_head: bool, theirs: frozenset[str]) -> str | None:
    """The caption noun that names something other than ``individual``: another individual
    of a close kind, or (for the query's head) only its class; None if neither."""
    kinds = {noun: _kinship(individual, noun) for noun in theirs}
    if Relation.SAME in kinds.values():
        return None
    nouns = taxonomy()
    mine = [nouns.ancestors(s) for s in nouns.meanings(individual)]
    for noun in sorted(theirs):
        for other in nouns.individuals(noun):
            if close_kind(mine, [nouns.ancestors(other)], _KIN_STEPS):
                return noun
    broader = [noun for noun, kind in kinds.items() if kind is Relation.NARROWER]
    return sorted(broader)[0] if is_head and broader else None


@lru_cache(maxsize=65_536)
def _kinship(mine: str, theirs: str) -> Relation | None:
    return taxonomy().kinship(mine, theirs, usual=True)
