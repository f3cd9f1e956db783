"""Reading queries and captions for the object check (:mod:`reelrag.matching.objects`): words,
the nouns they name in the taxonomy (:mod:`reelrag.matching.nouns`), a query's head nouns and
the individuals it names, a caption's nouns and the owners it names without showing them.
Words about the picture rather than what it shows ("texture", "close up", "portrait",
"silhouette") are a query's head only when no other noun precedes them: "grass texture" asks
for grass, "a deer silhouette" for a deer.

A noun may be one word or a compound of up to three ("space shuttle", "hot air balloon", "stars
and stripes": a stop word may sit inside, never at either end). A query's **head noun** is the
last noun of its first phrase (before a preposition), its **settings** the physical things or
places a locative preposition puts it in or on ("on a sofa") or "with" puts beside it ("with a
croissant"); an ``-ing`` word after a noun is a verb ("explorer posing with the flag", "horse
riding") unless it ends the query and names a thing ("a red brick building"). An **owner** is
a possessive the caption does not show: a living owner of a made object ("an officer's cap"),
not of a part ("a cat's eye") nor of a picture ("grandma's photo").
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

from reelrag.index.scoring import STOP_WORDS
from reelrag.matching.attributes import MATERIALS, SHADES, SIZES, Attribute
from reelrag.matching.colours import COLOURS, colours
from reelrag.matching.nouns import Taxonomy, taxonomy

_PREPOSITIONS = (
    "about above across against along amid among amongst around at behind below beneath beside "
    "between beyond by during for from in inside into near of off on onto outside over through "
    "to toward towards under underneath upon with within without"
)
PREPOSITIONS = frozenset(_PREPOSITIONS.split(" "))
# The prepositions that say where a thing is: "on a sofa", "in a field", "under the microscope".
_LOCATIVE = (
    "above against amid among amongst at behind below beneath beside by in inside into near on "
    "onto outside over under underneath upon within"
)
LOCATIVE = frozenset(_LOCATIVE.split(" "))
_SETTING = LOCATIVE | {"with"}  # "with" puts a thing beside the object: "with a croissant"
# Words that say what a person or thing has, read as "with": "a bearded man" is a man with a
# beard.
_HAVING = {
    "bearded": "beard", "moustached": "moustache", "mustached": "mustache",
    "bespectacled": "spectacles", "tattooed": "tattoo", "masked": "mask", "hooded": "hood",
    "helmeted": "helmet", "uniformed": "uniform", "winged": "wing", "horned": "horn",
}  # fmt: skip
# Verbs that show a thing with the object, read as "with": "a cat wearing a hat".
_WITH_VERBS = frozenset(("wearing", "holding", "carrying"))
_DETERMINERS = frozenset(("my", "our", "your", "her", "his", "their", "its", "some"))
_PRONOUNS = frozenset(("i", "me", "we", "us", "you", "he", "him", "she", "they", "them"))
# Words about the picture, not the thing it shows: "grass texture" asks for grass, "a deer
# silhouette" for a deer ("photo", "picture" and "image" are stop words already).
_PICTURE = (
    "backdrop background close closeup crop headshot macro pattern pic portrait scan shape shot "
    "silhouette snapshot texture view"
)
PICTURE_WORDS = frozenset(_PICTURE.split(" "))
# Words for a position on or around a thing, not a thing: "on top", "in front of the flag".
_POSITIONS = "back bottom center centre corner edge end front inside middle outside side top"
POSITIONS = frozenset(_POSITIONS.split(" "))
# Words that describe a thing rather than name part of it: never the first half of a compound.
DESCRIBING: tuple[Attribute, ...] = (COLOURS, MATERIALS, SHADES, SIZES)
_WORD = re.compile(r"[\w'-]+", re.UNICODE)
_ARTICLES = frozenset(("a", "an", "the"))
_JOINS = PREPOSITIONS | {"and", "or", "but"}
_LONGEST = 3  # compounds of up to three words: "hot air balloon"


def words(text: str) -> list[str]:
    """Lower-case words, possessive ``'s`` dropped.

    >>> words("An officer's white cap")
    ['an', 'officer', 'white', 'cap']
    """
    return [word for word, _ in _tokens(text)]


def query_objects(query: str) -> tuple[str, ...]:
    """The noun lemmas the query asks for: the head of its first phrase, and in "X of Y" also
    Y's head, or only Y's when X is a word about the picture or a position ("a silhouette of a
    donkey", "the back of the eye"); ``()`` when there is none the taxonomy knows.

    >>> query_objects("skyscrapers at night")
    ('skyscraper',)
    >>> query_objects("a cup of tea"), query_objects("black silhouette of a donkey")
    (('cup', 'tea'), ('donkey',))
    """
    joints, heads = _phrase_heads(query)
    found = heads[:2] if joints[:1] == ["of"] else heads[:1]
    if len(found) == 2 and found[1] and found[0] in PICTURE_WORDS | POSITIONS:
        found = found[1:]
    return tuple(h for h in found if h)


def query_settings(query: str) -> tuple[tuple[str, str], ...]:
    """Where the query places its object and what it shows with it: (preposition, noun lemma)
    for each later phrase that a locative preposition or "with" opens and whose head is a
    physical thing or place, not a time ("at night"), a state ("on display"), a colour ("in
    black and white") nor a way of doing ("by hand"); and ("with", noun) for a word that says
    what the object has ("bearded").

    >>> query_settings("ginger cat asleep on a sofa at night")
    (('on', 'sofa'),)
    >>> query_settings("a cup of coffee with a croissant")
    (('with', 'croissant'),)
    >>> query_settings("astronaut in front of the flag"), query_settings("foam on top")
    ((('in', 'flag'),), ())
    >>> query_settings("a bearded man")
    (('with', 'beard'),)
    """
    joints, heads = _phrase_heads(query)
    found = []
    for i, joint in enumerate(joints):
        head = _placed(joints, heads, i)
        if head and _is_setting(joint, head):
            found.append((joint, head))
    found += [("with", _HAVING[word]) for word in words(query) if word in _HAVING]
    return tuple(found)


def _is_setting(joint: str, head: str) -> bool:
    """Whether ``joint`` puts the object in, on or with ``head``: a physical thing that is no
    colour, and no body part after "by" ("written by hand" says how)."""
    if joint not in _SETTING or colours(head) or not _thing(head):
        return False
    return not (joint == "by" and _first_is(head, "body_part"))


def _negates(said: list[str], i: int) -> bool:
    """Whether ``said[i]`` says what is not there: "without", or "no" after a word other than
    an article ("and no tripod", "the flag, no people"; not "no smoking sign", "a no entry
    sign", which name a sign)."""
    if said[i] == "without":
        return True
    return said[i] == "no" and i > 0 and said[i - 1] not in _ARTICLES


def query_absences(query: str) -> tuple[str, ...]:
    """The things the query asks NOT to see: the head noun after "without" or "no" (see
    :func:`_negates`), up to the next preposition or conjunction.

    >>> query_absences("man with a camera and no tripod"), query_absences("tripod without a camera")
    (('tripod',), ('camera',))
    """
    nouns = taxonomy()
    found: list[str] = []
    said = words(query)
    for i in range(len(said)):
        if not _negates(said, i):
            continue
        phrase = list(itertools.takewhile(lambda w: w not in _JOINS, said[i + 1 :]))
        if head := _head(nouns, phrase):
            found.append(head)
    return tuple(found)


def _placed(joints: list[str], heads: list[str | None], i: int) -> str | None:
    """The head of the phrase that ``joints[i]`` opens, read past a word for a position: "in
    front of the flag" puts the object by the flag, "at the back of the eye" in the eye; "on
    top" alone puts it nowhere."""
    head = heads[i + 1]
    if head not in POSITIONS:
        return head
    return heads[i + 2] if joints[i + 1 : i + 2] == ["of"] else None


def _phrase_heads(query: str) -> tuple[list[str], list[str | None]]:
    """The prepositions that join the query's phrases, and each phrase's head noun (words
    after "no" are left out up to the next conjunction: they name what is not there; "full of",
    "wearing", "holding" and "carrying" join as "with": "shelves full of jars", "a cat wearing a
    hat" show jars and a hat with the object)."""
    nouns = taxonomy()
    phrases: list[list[str]] = [[]]
    joints: list[str] = []
    negated = False  # "no tripod" names no object of the query
    said = words(query)
    for i, word in enumerate(said):
        if word in PREPOSITIONS or word in _WITH_VERBS:
            full = word == "of" and phrases[-1][-1:] == ["full"]  # "shelves full of jars"
            if full:
                phrases[-1].pop()
            joints.append("with" if full or word in _WITH_VERBS else word)
            phrases.append([])
        elif _negates(said, i) or (negated and word not in _JOINS):
            negated = True
        else:
            negated = False
            phrases[-1].append(word)
    last = len(phrases) - 1
    return joints, [_head(nouns, p, i == last, PICTURE_WORDS) for i, p in enumerate(phrases)]


def _head(
    nouns: Taxonomy, phrase: list[str], last: bool = True, about: frozenset[str] = frozenset()
) -> str | None:
    """The rightmost noun of ``phrase`` (the longest compound ending there); an ``-ing`` word
    after a noun is a verb ("explorer posing with the flag"), unless it ends the ``last``
    phrase and names a thing ("a red brick building", "present in blue wrapping"; not "horse
    riding", "old glory waving": a horse, a flag); a noun in ``about`` is passed over for a
    noun before it ("grass texture"; not a colour or other describing word: "black
    silhouette"), and is the head only when there is none."""
    kept = [w for w in phrase if w not in STOP_WORDS and w not in _DETERMINERS]
    fallback = None
    for end in range(len(kept), 0, -1):
        word = kept[end - 1]
        if word.endswith("ing") and end > 1 and nouns.lemma(kept[end - 2]):
            ends = last and end == len(kept)
            if not ends or not _thing(nouns.lemma(word)):  # a verb, not the object
                continue
        lemma = _ending_at(nouns, kept, end)
        if lemma and lemma not in about and not (fallback and _describes(lemma)):
            return lemma
        fallback = fallback or lemma
    return fallback


def compound(nouns: Taxonomy, parts: list[str]) -> str | None:
    """The noun lemma ``parts`` spell, open or closed: "space suit" is WordNet's "spacesuit",
    "flag pole" its "flagpole", "lawnmower" its "lawn_mower". A first word that says a colour,
    material, shade or size stays apart ("black cap" is no blackcap, the bird; "a green house"
    no greenhouse).

    >>> compound(taxonomy(), ["space", "suits"]), compound(taxonomy(), ["black", "cap"])
    ('spacesuit', None)
    >>> compound(taxonomy(), ["lawnmower"])
    'lawn_mower'
    """
    found = nouns.lemma("_".join(parts))
    if found:
        return found
    if len(parts) == 1:
        return _opened(nouns, parts[0])
    return None if _describes(parts[0]) else nouns.lemma("".join(parts))


def _opened(nouns: Taxonomy, word: str) -> str | None:
    """The open compound that ``word`` closes up ("lawnmower": WordNet's "lawn_mower"), when
    both halves are nouns of three letters or more and the first describes nothing."""
    for cut in range(3, len(word) - 2):
        first, rest = word[:cut], word[cut:]
        if _describes(first) or not (nouns.lemma(first) and nouns.lemma(rest)):
            continue
        if found := nouns.lemma(f"{first}_{rest}"):
            return found
    return None


@lru_cache(maxsize=16_384)
def _describes(word: str) -> bool:
    return any(vocabulary.named(word) for vocabulary in DESCRIBING)


def _ending_at(nouns: Taxonomy, kept: list[str], end: int) -> str | None:
    """The longest noun (up to ``_LONGEST`` words) that ends at ``kept[end - 1]``."""
    for size in range(min(_LONGEST, end), 0, -1):
        if lemma := compound(nouns, kept[end - size : end]):
            return lemma
    return None


def individuals(query: str) -> tuple[str, ...]:
    """The nouns of ``query`` that name one individual ("eiffel_tower", "mars"), longest first,
    none inside another ("eiffel" in "eiffel_tower")."""
    nouns = taxonomy()
    said = [w for w in words(query) if w not in _PRONOUNS]
    found: list[str] = []
    for lemma in spans(said):
        if nouns.is_instance(lemma) and not any(_inside(lemma, f) for f in found):
            found.append(lemma)
    return tuple(found)


def _inside(short: str, long: str) -> bool:
    return f"_{short}_" in f"_{long}_"


def spans(said: list[str]) -> list[str]:
    """The noun lemmas in ``said``: single words that are no stop words, and compounds of up to
    three words that neither start nor end with one ("stars_and_stripes"), longest first. A
    compound of colours names the colours, not WordNet's "black and white" (written matter)."""
    nouns = taxonomy()
    found = []
    for size in range(_LONGEST, 0, -1):
        for start in range(len(said) - size + 1):
            span = said[start : start + size]
            if span[0] in STOP_WORDS or span[-1] in STOP_WORDS or _all_colours(span):
                continue
            lemma = compound(nouns, span)
            if lemma and lemma not in found:
                found.append(lemma)
    return found


def _all_colours(span: list[str]) -> bool:
    return len(span) > 1 and all(colours(w) for w in span if w not in STOP_WORDS)


@lru_cache(maxsize=16_384)
def caption_nouns(caption: str) -> frozenset[str]:
    """The noun lemmas ``caption`` names: its words and compounds of up to three words, less
    owners it does not show ("officer" in "an officer's cap", :func:`possessions`)."""
    said = _tokens(caption)
    every = spans([word for word, _ in said])
    owners = {owner for owner, _ in possessions(caption)}
    if not owners:
        return frozenset(every)
    # the nouns said other than as an owner: owners blanked out by a stop word
    plain = set(spans(["of" if owner else word for word, owner in said]))
    return frozenset(n for n in every if n not in owners or n in plain)


@lru_cache(maxsize=16_384)
def possessions(caption: str) -> tuple[tuple[str, str], ...]:
    """(owner, thing) pairs, where ``caption`` names a living owner only through a thing it owns
    that does not show it: a made object ("an officer's cap", "the dog's bowl"), not a part of
    it ("a cat's eye") nor a picture of it ("grandma's photo")."""
    said = _tokens(caption)
    plain = [word for word, _ in said]
    found: dict[str, str] = {}
    for i, (_, owner) in enumerate(said):
        if owner:
            who, thing = _owner_and_thing(plain, i)
            if who and thing and _alive(who) and _made(thing):
                found.setdefault(who, thing)
    return tuple(found.items())


def _tokens(text: str) -> list[tuple[str, bool]]:
    """:func:`words`, each with whether it was possessive ("officer's", "officers'")."""
    raw = [w.lower() for w in _WORD.findall(text)]
    return [(w.removesuffix("'s").strip("'-"), w.endswith(("'s", "s'"))) for w in raw]


def _owner_and_thing(said: list[str], i: int) -> tuple[str | None, str | None]:
    """The owner ending at word ``i`` and the head of the phrase after it."""
    nouns = taxonomy()
    after = []
    for word in said[i + 1 :]:
        if word in PREPOSITIONS:
            break
        after.append(word)
    return _head(nouns, said[max(0, i - 2) : i + 1]), _head(nouns, after)


def _thing(lemma: str | None) -> bool:
    return lemma is not None and _first_is(lemma, "physical_entity")


def _alive(lemma: str) -> bool:
    return _first_is(lemma, "organism")


def _made(lemma: str) -> bool:
    return _first_is(lemma, "artifact") and not _first_is(lemma, "creation")


@lru_cache(maxsize=8_192)
def _first_is(lemma: str, kind: str) -> bool:
    """Whether the most usual sense of ``lemma`` is a kind of ``kind``."""
    nouns = taxonomy()
    kinds = set(nouns.meanings(kind))
    first = nouns.meanings(lemma, usual=True)[:1]
    return any(k in nouns.ancestors(s) for s in first for k in kinds)
