"""Attribute words besides colour (:mod:`reelrag.matching.colours`): what a thing is made of
and a person's sex. "a plastic spoon" is not "a small silver spoon", "a smiling man" is not "a
smiling woman", though a sentence embedder scores each pair as a near match.

Each vocabulary maps a word to its labels, the most specific first: "steel" is steel and metal,
"metal" only metal. A query word and a caption word agree when one's labels hold the other's
(metal agrees with steel; steel and silver do not). When a query names attributes of a kind and
the caption names some of that kind, none agreeing, the caption describes something else
(:mod:`reelrag.matching.objects`). A caption that names none says nothing either way.

The lists are closed and short on purpose. Words that are a material only now and then ("glass",
"paper", "stone", "brick", "canvas": a drinking glass, squared paper, small stones) are left out,
as are words whose sex is a habit of speech rather than a statement ("cameraman", "chairman").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class Vocabulary:
    """Words of one kind of attribute and their labels, the most specific first."""

    kinds: dict[str, tuple[str, ...]]

    def named(self, text: str) -> frozenset[tuple[str, ...]]:
        """The label tuples of the words ``text`` names.

        >>> sorted(MATERIALS.named("A wooden box with steel hinges"))
        [('steel', 'metal'), ('wood',)]
        """
        found = _WORD.findall(text.lower())
        return frozenset(self.kinds[w] for w in found if w in self.kinds)

    def clash(self, wanted: frozenset[tuple[str, ...]], caption: str) -> str | None:
        """What the caption names instead (as text) when it names attributes of this kind and
        none agrees with ``wanted``; None when one agrees, it names none, or none is wanted."""
        theirs = self.named(caption)
        if not wanted or not theirs or any(_agree(a, b) for a in wanted for b in theirs):
            return None
        return " and ".join(sorted(labels[0] for labels in theirs))


def _agree(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return set(a) <= set(b) or set(b) <= set(a)


def _table(groups: dict[tuple[str, ...], str]) -> dict[str, tuple[str, ...]]:
    return {word: labels for labels, words in groups.items() for word in words.split()}


MATERIALS = Vocabulary(
    _table(
        {
            ("wood",): "wood wooden timber",
            ("metal",): "metal metallic",
            ("steel", "metal"): "steel",
            ("iron", "metal"): "iron",
            ("silver", "metal"): "silver",
            ("gold", "metal"): "gold golden",
            ("copper", "metal"): "copper",
            ("brass", "metal"): "brass",
            ("bronze", "metal"): "bronze",
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
    )
)
SEXES = Vocabulary(
    _table(
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
