"""How two nouns relate in a noun taxonomy (WordNet 3.0's nouns, bundled and read offline).

A caption *supports* a query's object when one of its nouns names the same thing (``kitty`` and
``pussycat``), a kind of it (the caption says ``cat``, the query asks for an ``animal``), or a
broader kind (the query asks for an ``espresso``, the caption says ``coffee``: the photo may
well show one). Two nouns that are neither, only *siblings* under a close common kind (``car``
and ``motorbike`` are both motor vehicles; ``skyscraper`` and ``tower`` both structures), name
different things: a photo of one is not a photo of the other, however close their vectors.

A caption's words are read in their *usual* senses: those seen in WordNet's sense-tagged texts
(a caption's "rocket" is a rocket engine or a space rocket, not the firework that WordNet also
files under the word). A query's words keep every sense, since users do reach for rare ones
("cup of joe"). Some nouns name one individual, an *instance* (the Eiffel Tower, Mars, Grace
Hopper), rather than a kind of thing.

The data is ``reelrag/data/nouns/nouns.tsv.gz``, built by ``scripts/build_nouns.py`` from
Princeton WordNet 3.0 (its licence beside it): one line per synset with its hypernyms' line
numbers (marked ``i`` for an instance), one per lemma with its synsets and how many of them are
tagged, then the irregular plurals.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from functools import cached_property, lru_cache
from importlib import resources

# Suffix rules for plurals (WordNet's "morphy" for nouns), tried in order.
_SUFFIXES = (("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"),
             ("men", "man"), ("ies", "y"), ("s", ""))  # fmt: skip


class Relation(Enum):
    SAME = "same"  # one sense in common
    BROADER = "broader"  # the query noun is a kind above the caption's (animal / cat)
    NARROWER = "narrower"  # the query noun is a kind of the caption's (espresso / coffee)
    SIBLING = "sibling"  # different kinds under a close common kind (car / motorbike)
    UNRELATED = "unrelated"


@dataclass(frozen=True)
class Taxonomy:
    senses: dict[str, tuple[int, ...]]  # lemma -> synset numbers, most frequent first
    parents: tuple[tuple[int, ...], ...]  # synset number -> hypernyms
    plurals: dict[str, str]  # irregular inflected form -> lemma
    tagged: dict[str, int]  # lemma -> how many of its first senses are in common use (0: unknown)
    instances: frozenset[int]  # synsets that name one individual

    def lemma(self, word: str) -> str | None:
        """The noun lemma of ``word`` (``"skyscrapers"`` -> ``"skyscraper"``), if it is one."""
        return self._lemmas(word)

    @cached_property
    def _lemmas(self) -> Callable[[str], str | None]:
        """:meth:`_lemma`, remembered per word (a search asks for the same words many times)."""
        return lru_cache(maxsize=65_536)(self._lemma)

    def _lemma(self, word: str) -> str | None:
        word = word.lower().replace(" ", "_").replace("-", "_")
        if word in self.plurals:
            return self.plurals[word]
        if word in self.senses:
            return word
        return next((base for base in _singulars(word) if base in self.senses), None)

    def plural(self, word: str) -> bool:
        """Whether ``word`` is a plural of a noun ("shoes", "legs", "mice"; not "glass")."""
        word = word.lower()
        return word in self.plurals or any(base in self.senses for base in _singulars(word))

    def meanings(self, lemma: str, usual: bool = False) -> tuple[int, ...]:
        """The synsets ``lemma`` can name: its own and, for a plural that is a lemma of its own
        ("shoes": being in someone's shoes; "glasses": spectacles), its singular's too; with
        ``usual``, only the senses in common use where WordNet knows which."""
        bases = [lemma, self.plurals.get(lemma, "")]
        bases += _singulars(lemma)
        found = [n for b in dict.fromkeys(bases) if b for n in self._senses(b, usual)]
        return tuple(dict.fromkeys(found))

    def _senses(self, lemma: str, usual: bool) -> tuple[int, ...]:
        senses = self.senses.get(lemma, ())
        common = self.tagged.get(lemma, 0) if usual else 0
        return senses[:common] if common else senses

    def is_instance(self, lemma: str) -> bool:
        """Whether every sense of ``lemma`` is one individual ("eiffel_tower", "mars")."""
        own = self.senses.get(lemma, ())
        return bool(own) and all(s in self.instances for s in own)

    def individuals(self, lemma: str) -> tuple[int, ...]:
        """The usual senses of ``lemma`` that name an individual ("moon": the Moon)."""
        return tuple(s for s in self.meanings(lemma, usual=True) if s in self.instances)

    def ancestors(self, synset: int) -> dict[int, int]:
        """Every hypernym of ``synset`` (itself included) with its distance in steps."""
        return _ancestors(self, synset)

    def relation(self, query: str, caption: str, sibling_steps: int = 2) -> Relation:
        """How the query's noun lemma relates to the caption's, over all their senses (the
        closest pair decides); SIBLING when a common kind is within ``sibling_steps`` of both."""
        kind = self.kinship(query, caption)
        if kind is not None:
            return kind
        up_mine = [self.ancestors(s) for s in self.meanings(query)]
        up_theirs = [self.ancestors(s) for s in self.meanings(caption)]
        near = close_kind(up_mine, up_theirs, sibling_steps)
        return Relation.SIBLING if near else Relation.UNRELATED

    def kinship(self, query: str, caption: str, usual: bool = False) -> Relation | None:
        """SAME, BROADER or NARROWER when one of the nouns is (a kind of) the other; else None.
        ``usual``: read ``caption`` in its usual senses only."""
        mine, theirs = self.meanings(query), self.meanings(caption, usual)
        if set(mine) & set(theirs):
            return Relation.SAME
        if any(s in self.ancestors(t) for s in mine for t in theirs):
            return Relation.BROADER
        if any(t in self.ancestors(s) for s in mine for t in theirs):
            return Relation.NARROWER
        return None


def _singulars(word: str) -> list[str]:
    """The singulars the suffix rules make of ``word``, in rule order ("buses": "bus", "buse")."""
    return [word[: -len(suffix)] + ending for suffix, ending in _SUFFIXES if word.endswith(suffix)]


def close_kind(ours: list[dict[int, int]], theirs: list[dict[int, int]], steps: int) -> bool:
    """Whether a kind lies within ``steps`` of one of ``ours`` and of one of ``theirs`` (each an
    :meth:`Taxonomy.ancestors` map)."""
    for a in ours:
        for b in theirs:
            if any(d <= steps and b.get(s, steps + 1) <= steps for s, d in a.items()):
                return True
    return False


_ANCESTORS: dict[int, dict[int, int]] = {}


def _ancestors(taxonomy: Taxonomy, synset: int) -> dict[int, int]:
    if synset in _ANCESTORS:
        return _ANCESTORS[synset]
    found = {synset: 0}
    frontier = [synset]
    depth = 0
    while frontier:
        depth += 1
        frontier = [p for s in frontier for p in taxonomy.parents[s] if p not in found]
        found.update((p, depth) for p in frontier if p not in found)
    if len(_ANCESTORS) < 200_000:
        _ANCESTORS[synset] = found
    return found


@lru_cache(maxsize=1)
def taxonomy() -> Taxonomy:
    """The bundled noun taxonomy (read once, ~0.3 s)."""
    data = resources.files("reelrag.data").joinpath("nouns", "nouns.tsv.gz").read_bytes()
    return _parse(gzip.decompress(data).decode("utf-8").splitlines())


def _parse(lines: Iterable[str]) -> Taxonomy:
    senses: dict[str, tuple[int, ...]] = {}
    tagged: dict[str, int] = {}
    parents: list[tuple[int, ...]] = []
    instances: set[int] = set()
    plurals: dict[str, str] = {}
    for line in lines:
        if line.startswith("="):
            lemma, numbers, common = line[1:].split("\t")
            senses[lemma] = tuple(int(n) for n in numbers.split())
            tagged[lemma] = int(common)
        elif line.startswith("!"):
            inflected, lemma = line[1:].split("\t")
            plurals[inflected] = lemma
        elif not line.startswith("#"):
            if line.startswith("i"):
                instances.add(len(parents))
            parents.append(tuple(int(p) for p in line.removeprefix("i").split()))
    return Taxonomy(senses, tuple(parents), plurals, tagged, frozenset(instances))
