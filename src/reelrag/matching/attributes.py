"""Attribute words besides colour (:mod:`reelrag.matching.colours`): what a thing is made of,
a person's sex, a country and the time of day. "a plastic spoon" is not "a small silver spoon",
"a smiling man" is not "a smiling woman", "the Italian flag" is not "the stars and stripes",
"a rocket at noon" is not "a rocket at dusk", "a white jacket" is not "a dark jacket", "a
frowning woman" is not "a smiling woman", "empty shelves" are not "shelves full of boxes",
though a sentence embedder scores each pair as a near match.

Each vocabulary maps a word or a phrase of up to three words to its labels (the longest phrase
at each place wins, and a phrase with no labels hides its words: "new york" says no age), the
most specific first: "steel" is steel and metal, "metal" only metal. A query word and a
caption word agree when one's labels hold the other's (metal agrees with steel; steel and
copper do not; silver, gold and bronze say only metal, as they are as often the colour of a
metal: the colour check tells them apart). When a query names attributes of a kind and the
caption names some of that kind, none agreeing, the caption describes something else
(:mod:`reelrag.matching.objects`). A caption that names none says nothing either way.

The lists are closed and short on purpose. Words that are a material only now and then ("glass",
"paper", "stone", "brick", "canvas": a drinking glass, squared paper, small stones) are left out,
as are words whose sex is a habit of speech rather than a statement ("cameraman", "chairman"),
and country words that are often something else ("turkey", "polish", "china", "chile"; "us"
only in capitals: "US flag"; their other forms, "turkish", "chinese", "chilean", count).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Protocol

_WORD = re.compile(r"[a-z]+")
_CAPITALS = re.compile(r"\b[A-Z]{2,}\b")


class Attribute(Protocol):
    """An attribute vocabulary: what a text names, and what a caption names instead."""

    def named(self, text: str) -> frozenset[tuple[str, ...]]: ...

    def clash(self, wanted: frozenset[tuple[str, ...]], caption: str) -> str | None: ...


@dataclass(frozen=True)
class Vocabulary:
    """Words of one kind of attribute and their labels, the most specific first."""

    kinds: dict[str, tuple[str, ...]]
    capitals: dict[str, tuple[str, ...]] = field(default_factory=dict)  # only as written
    every: bool = False  # a caption naming as many as the query must agree with each of them

    def named(self, text: str) -> frozenset[tuple[str, ...]]:
        """The label tuples of the words and phrases ``text`` names.

        >>> sorted(MATERIALS.named("A wooden box with steel hinges"))
        [('steel', 'metal'), ('wood',)]
        >>> sorted(COUNTRIES.named("The stars and stripes next to a US flag"))
        [('united states',)]
        """
        found = set(self._longest(_words(text)))
        if self.capitals:
            found |= {self.capitals[w] for w in _CAPITALS.findall(text) if w in self.capitals}
        return frozenset(labels for labels in found if labels)

    def _longest(self, words: tuple[str, ...]) -> list[tuple[str, ...]]:
        """The labels of the longest phrase at each place, left to right; a phrase with no
        labels ("new york" for an age) hides the words inside it."""
        found, i = [], 0
        while i < len(words):
            if words[i] not in self._starts:
                i += 1
                continue
            for size in (3, 2, 1):
                if (labels := self.kinds.get(" ".join(words[i : i + size]))) is not None:
                    found.append(labels)
                    i += size
                    break
            else:
                i += 1
        return found

    @cached_property
    def _starts(self) -> frozenset[str]:
        """The first words of the phrases: a phrase can begin only at one of them."""
        return frozenset(phrase.split(" ", 1)[0] for phrase in self.kinds)

    def clash(self, wanted: frozenset[tuple[str, ...]], caption: str) -> str | None:
        """What the caption names instead (as text) when it names attributes of this kind and
        none agrees with ``wanted``; None when one agrees, it names none, or none is wanted.
        With ``every``, a caption that names at least as many as the query, two or more, must
        agree with each ("red and black" is not "black and white")."""
        theirs = self.named(caption)
        if not wanted or not theirs:
            return None
        agreeing = [any(_agree(a, b) for b in theirs) for a in wanted]
        full = self.every and len(theirs) >= len(wanted) >= 2
        if all(agreeing) or (any(agreeing) and not full):
            return None
        return " and ".join(sorted(labels[0] for labels in theirs))


@lru_cache(maxsize=16_384)
def _words(text: str) -> tuple[str, ...]:
    """The lower-case words of ``text`` (every vocabulary reads a caption's words)."""
    return tuple(_WORD.findall(text.lower()))


def _agree(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return set(a) <= set(b) or set(b) <= set(a)


def table(groups: dict[tuple[str, ...], str]) -> dict[str, tuple[str, ...]]:
    """Labels by word or phrase (``_`` joins the words of a phrase)."""
    return {
        word.replace("_", " "): labels for labels, words in groups.items() for word in words.split()
    }


MATERIALS = Vocabulary(
    table(
        {
            ("wood",): "wood wooden timber",
            ("steel", "metal"): "steel",
            ("iron", "metal"): "iron",
            # colours of metal as much as metals ("a silver spoon" may be steel): they say metal,
            # and the colour check tells silver from gold
            ("metal",): "metal metallic silver silvery gold golden bronze",
            ("copper", "metal"): "copper",
            ("brass", "metal"): "brass",
            ("aluminium", "metal"): "aluminium aluminum",
            ("plastic",): "plastic",
            ("leather",): "leather",
            ("wool",): "wool woollen woolen",
            ("cotton",): "cotton",
            ("rubber",): "rubber",
            ("ceramic",): "ceramic porcelain",
            ("marble",): "marble",
            ("concrete",): "concrete",
            ("cardboard",): "cardboard",
            ("wicker",): "wicker",
        }
    ),
    every=True,
)
SEXES = Vocabulary(
    table(
        {
            ("female",): "woman women female girl girls lady ladies she her hers herself mother "
            "mum mom wife daughter sister queen actress spacewoman businesswoman grandma "
            "grandmother aunt bride",
            ("male",): "man men male boy boys guy guys gentleman gentlemen he him his himself "
            "father dad husband son brother king actor spaceman businessman grandpa "
            "grandfather uncle groom",
        }
    )
)
COUNTRIES = Vocabulary(
    table(
        {
            ("united states",): "american america usa united_states stars_and_stripes "
            "old_glory star_spangled",
            ("united kingdom",): "british britain uk united_kingdom union_jack great_britain",
            ("england", "united kingdom"): "english england",
            ("scotland", "united kingdom"): "scottish scotland",
            ("wales", "united kingdom"): "welsh wales",
            ("canada",): "canadian canada",
            ("france",): "french france",
            ("germany",): "german germany",
            ("italy",): "italian italy",
            ("spain",): "spanish spain",
            ("portugal",): "portuguese portugal",
            ("ireland",): "irish ireland",
            ("netherlands",): "dutch netherlands holland",
            ("belgium",): "belgian belgium",
            ("switzerland",): "swiss switzerland",
            ("austria",): "austrian austria",
            ("sweden",): "swedish sweden",
            ("norway",): "norwegian norway",
            ("denmark",): "danish denmark",
            ("iceland",): "icelandic iceland",
            ("poland",): "poland",
            ("czechia",): "czech czechia",
            ("hungary",): "hungarian hungary",
            ("romania",): "romanian romania",
            ("turkey",): "turkish",
            ("finland",): "finnish finland",
            ("greece",): "greek greece",
            ("russia",): "russian russia",
            ("ukraine",): "ukrainian ukraine",
            ("japan",): "japanese japan",
            ("korea",): "korean korea",
            ("china",): "chinese",
            ("vietnam",): "vietnamese vietnam",
            ("thailand",): "thai thailand",
            ("indonesia",): "indonesian indonesia",
            ("philippines",): "filipino philippine philippines",
            ("pakistan",): "pakistani pakistan",
            ("iran",): "iranian iran",
            ("saudi arabia",): "saudi saudi_arabia",
            ("india",): "india",
            ("mexico",): "mexican mexico",
            ("brazil",): "brazilian brazil",
            ("argentina",): "argentinian argentine argentina",
            ("australia",): "australian australia",
            ("new zealand",): "new_zealand",
            ("south africa",): "south_african south_africa",
            ("egypt",): "egyptian egypt",
            ("morocco",): "moroccan morocco",
            ("nigeria",): "nigerian nigeria",
            ("kenya",): "kenyan kenya",
            ("chile",): "chilean",
            ("colombia",): "colombian colombia",
            ("peru",): "peruvian peru",
            ("cuba",): "cuban cuba",
            ("israel",): "israeli israel",
        }
    ),
    capitals={"US": ("united states",), "USA": ("united states",), "UK": ("united kingdom",)},
)
# The light of a time of day. Dusk is twilight and evening, so "at sunset", "at twilight", "in
# the evening" and "at nightfall" all find "at dusk"; "at night", "at noon" and "in broad
# daylight" do not. "day" alone is left out ("a day at the beach", "birthday").
TIMES = Vocabulary(
    table(
        {
            ("dawn", "twilight", "morning"): "dawn sunrise daybreak first_light",
            ("dusk", "twilight", "evening"): "dusk sunset sundown nightfall gloaming",
            ("twilight",): "twilight",
            ("evening",): "evening",
            ("night",): "night nighttime midnight after_dark",
            ("morning", "daytime"): "morning",
            ("noon", "daytime"): "noon midday",
            ("afternoon", "daytime"): "afternoon",
            ("daytime",): "daytime daylight",
        }
    )
)


@dataclass(frozen=True)
class Opposites:
    """Words of one measure and their opposites. A caption that names the opposite of a size
    the query asks for, and not that size, describes something else ("long hair" against "short
    brown hair", "a big spoon" against "a small silver spoon"); sizes of other measures say
    nothing ("big lamps" on "a tall steel tower")."""

    words: Vocabulary
    pairs: frozenset[frozenset[str]]

    def named(self, text: str) -> frozenset[tuple[str, ...]]:
        return self.words.named(text)

    def clash(self, wanted: frozenset[tuple[str, ...]], caption: str) -> str | None:
        if not wanted:
            return None
        mine = {labels[0] for labels in wanted}
        theirs = {labels[0] for labels in self.words.named(caption)}
        if mine & theirs:
            return None
        opposed = sorted(t for t in theirs if any(frozenset((m, t)) in self.pairs for m in mine))
        return " and ".join(opposed) or None


def opposites(first: tuple[str, str], second: tuple[str, str], nothing: str = "") -> Opposites:
    """One measure's two opposite labels, each with its words (``_`` joins a phrase's words);
    ``nothing``: phrases that hide the words inside them ("new york" says no age)."""
    (one, its), (other, theirs) = first, second
    words = table({(one,): its, (other,): theirs, (): nothing})
    return Opposites(Vocabulary(words), frozenset((frozenset((one, other)),)))


SIZES = Opposites(
    Vocabulary(
        table(
            {
                ("small",): "small little tiny mini miniature",
                ("large",): "large big huge giant enormous",
                ("long",): "long",
                ("short",): "short",
                ("tall",): "tall",
            }
        )
    ),
    frozenset(
        frozenset(pair) for pair in (("small", "large"), ("long", "short"), ("tall", "short"))
    ),
)
# How light or dark a thing is: "a white jacket" is not "a dark jacket". White and black count
# too, so a caption that names both ("a white and black cap") suits either; "light" is left out
# (it is as often the light of a lamp or of dusk).
SHADES = opposites(("dark", "dark black"), ("light", "white pale pastel"))
# A face's expression: "a frowning woman" is not "a smiling woman".
EXPRESSIONS = opposites(
    ("smiling", "smiling smile smiles smiley grinning grin laughing happy cheerful beaming"),
    ("serious", "frowning frown crying tearful sad serious stern angry scowling unsmiling grumpy "
     "upset"),
)  # fmt: skip
# Whether the picture is sharp: "a clock in sharp focus" is not "a wall clock, blurry".
FOCUS = opposites(
    ("sharp", "sharp focused in_focus"),
    ("blurred", "blurry blurred blur out_of_focus unfocused shaky fuzzy"),
)
# Whether a text was written by hand: "a handwritten letter" is not "a scanned page of printed
# text", "typed equations" not "handwritten maths equations".
WRITING = opposites(
    (
        "handwritten",
        "handwritten handwriting hand_written written_by_hand scribbled pencilled penciled",
    ),
    ("printed", "printed typed typewritten typeset printout"),
)
# How old a thing is: "modern coins" are not "old coins"; names with "new" or "old" in them say
# no age.
AGES = opposites(
    ("old", "old ancient vintage antique historic historical aged"),
    ("new", "new modern contemporary brand_new"),
    nothing="new_york new_zealand new_jersey new_mexico new_delhi new_orleans new_england "
    "new_year new_years old_glory",
)
# Whether a container holds anything: "empty shelves" are not "shelves full of boxes".
FULLNESS = opposites(("empty", "empty"), ("full", "full filled packed stacked crammed"))
# Numbers of two or more: a caption that names the object only in the singular shows one. "A
# pair of" is left out: a pair of jeans or glasses is one thing.
_NUMBERS = "two three four five six seven eight nine ten twelve dozen"
NUMBERS = frozenset(_NUMBERS.split(" "))
# One thing or many: "a single coin" is not "rows of coins", "a coin hoard" not "one coin".
COUNTS = opposites(
    ("one", "one single lone solitary"),
    ("many", "rows thousands hundreds dozens many several pile heap hoard crowd herd flock "
     + _NUMBERS),
)  # fmt: skip
# The bodies of the solar system by their names and adjectives: "martian craters" are not
# "craters on the surface of the moon".
BODIES = Vocabulary(
    table(
        {
            ("moon",): "moon lunar",
            ("sun",): "sun solar",
            ("earth",): "earth terrestrial",
            ("mercury",): "mercury",
            ("venus",): "venus venusian",
            ("mars",): "mars martian",
            ("jupiter",): "jupiter jovian",
            ("saturn",): "saturn saturnian",
            ("uranus",): "uranus",
            ("neptune",): "neptune",
            ("pluto",): "pluto",
        }
    )
)
