"""Run labelled queries against a library and measure the match decision.

For each query the library is searched once with no threshold (``min_score=0``); any threshold
can then be applied to the recorded scores, which is what
:func:`reelrag.evaluation.objectives.calibrate` sweeps.

- ``recall@1``: answerable queries whose best hit is the expected asset (threshold ignored);
- ``recall@k``: ... the expected asset is among the first ``k``;
- ``recall@1 accepted``: the best hit is right AND its score reaches the threshold;
- ``precision``: of the accepted queries (answerable or not), the share whose best hit is right;
- ``refusal``: no-answer queries whose best hit stays below the threshold;
- ``hit scores`` / ``miss scores``: the best hit's score when it is right / when it is wrong
  (every no-answer query's best hit is wrong).

Each figure is a share of a count (``counts``: how many of how many), and a user's own file
holds tens of queries, not thousands: ``intervals`` gives each figure's 95 % Wilson score
interval, so that "0.875 refusal" on 40 queries reads as "0.74-0.95".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reelrag.evaluation.labels import LabelledQuery
from reelrag.retrieval import Searcher
from reelrag.types import SearchHit, SearchRequest


@dataclass(frozen=True)
class Outcome:
    """One query's ranked hits (up to ``k``) and where the expected asset came."""

    query: LabelledQuery
    hits: tuple[SearchHit, ...]
    rank: int | None  # 1-based rank of the expected asset among the hits; None: absent

    @property
    def best(self) -> SearchHit | None:
        return self.hits[0] if self.hits else None

    @property
    def score(self) -> float:
        return self.hits[0].score if self.hits else 0.0

    @property
    def right(self) -> bool:
        return self.rank == 1

    def to_dict(self, threshold: float) -> dict[str, Any]:
        best = self.best
        return {
            "query": self.query.query, "expected": self.query.expected, "split": self.query.split,
            "best": None if best is None else best.asset.source, "score": round(self.score, 4),
            "rank": self.rank, "accepted": self.score >= threshold,
            "why": None if best is None else best.why,
        }  # fmt: skip


def run_queries(library: Searcher, queries: Sequence[LabelledQuery], k: int) -> list[Outcome]:
    """Search each query once (top ``k``, no threshold)."""
    outcomes = []
    for query in queries:
        # the rule itself is measured: the user's verdicts are left out
        request = SearchRequest(query=query.query, limit=k, min_score=0.0, verdicts=False)
        found = library.search(request)
        hits = tuple(found)
        rank = next((i for i, h in enumerate(hits, 1) if query.matches(h.asset)), None)
        outcomes.append(Outcome(query, hits, rank))
    return outcomes


@dataclass
class EvalReport:
    """The figures of one threshold over a set of outcomes (see the module notes), each the
    share of its count in ``counts``."""

    threshold: float
    k: int
    counts: dict[str, tuple[int, int]]  # figure: (yes, of)
    hit_scores: list[float] = field(default_factory=list)
    miss_scores: list[float] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def answerable(self) -> int:
        return self.counts["recall@1"][1]

    @property
    def no_answer(self) -> int:
        return self.counts["no-answer refusal"][1]

    @property
    def recall_at_1(self) -> float:
        return self._share("recall@1")

    @property
    def recall_at_k(self) -> float:
        return self._share(f"recall@{self.k}")

    @property
    def recall_at_1_accepted(self) -> float:
        return self._share("recall@1 accepted")

    @property
    def precision(self) -> float:
        """Of the accepted queries, the share right; 1.0 when none is accepted."""
        return self._share("precision", empty=1.0)

    @property
    def refusal(self) -> float:
        """Of the no-answer queries, the share refused; 1.0 when there are none."""
        return self._share("no-answer refusal", empty=1.0)

    def _share(self, name: str, empty: float = 0.0) -> float:
        yes, of = self.counts[name]
        return yes / of if of else empty

    def figures(self) -> dict[str, float]:
        return {
            "recall@1": self.recall_at_1, f"recall@{self.k}": self.recall_at_k,
            "recall@1 accepted": self.recall_at_1_accepted, "precision": self.precision,
            "no-answer refusal": self.refusal,
        }  # fmt: skip

    def intervals(self) -> dict[str, tuple[float, float] | None]:
        """Each figure's 95 % Wilson score interval; None where it counts nothing."""
        return {name: wilson(*self.counts[name]) if self.counts[name][1] else None
                for name in self.figures()}  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        intervals = self.intervals()
        return {
            "threshold": self.threshold, "k": self.k, "answerable": self.answerable,
            "no_answer": self.no_answer,
            "figures": {name: round(value, 4) for name, value in self.figures().items()},
            "counts": {name: list(count) for name, count in self.counts.items()},
            "intervals": {name: None if span is None else [round(x, 4) for x in span]
                          for name, span in intervals.items()},
            "hit_scores": [round(s, 4) for s in self.hit_scores],
            "miss_scores": [round(s, 4) for s in self.miss_scores],
            "queries": [o.to_dict(self.threshold) for o in self.outcomes],
        }  # fmt: skip


def measure(outcomes: Sequence[Outcome], threshold: float, k: int) -> EvalReport:
    """The figures of ``outcomes`` at ``threshold``."""
    answerable = [o for o in outcomes if o.query.answerable]
    none = [o for o in outcomes if not o.query.answerable]
    accepted = [o for o in outcomes if o.score >= threshold and o.hits]
    counts = {
        "recall@1": _count(answerable, lambda o: o.right),
        f"recall@{k}": _count(answerable, lambda o: o.rank is not None),
        "recall@1 accepted": _count(answerable, lambda o: o.right and o.score >= threshold),
        "precision": _count(accepted, lambda o: o.right),
        "no-answer refusal": _count(none, lambda o: o.score < threshold),
    }
    return EvalReport(
        threshold=threshold,
        k=k,
        counts=counts,
        hit_scores=sorted(o.score for o in outcomes if o.right),
        miss_scores=sorted(o.score for o in outcomes if o.hits and not o.right),
        outcomes=list(outcomes),
    )


def wilson(yes: int, of: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval of the share ``yes / of`` (95 % for the default ``z``).

    >>> [round(x, 3) for x in wilson(35, 40)]
    [0.739, 0.945]
    """
    if of <= 0:
        raise ValueError("an interval needs at least one trial")
    p, z2 = yes / of, z * z
    centre = (p + z2 / (2 * of)) / (1 + z2 / of)
    half = z * math.sqrt(p * (1 - p) / of + z2 / (4 * of * of)) / (1 + z2 / of)
    return max(0.0, centre - half), min(1.0, centre + half)


def _count(items: Sequence[Outcome], test: Callable[[Outcome], bool]) -> tuple[int, int]:
    return sum(1 for o in items if test(o)), len(items)
