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
"""

from __future__ import annotations

from collections.abc import Sequence
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
        found = library.search(SearchRequest(query=query.query, limit=k, min_score=0.0))
        hits = tuple(found)
        rank = next((i for i, h in enumerate(hits, 1) if query.matches(h.asset)), None)
        outcomes.append(Outcome(query, hits, rank))
    return outcomes


@dataclass
class EvalReport:
    """The figures of one threshold over a set of outcomes (see the module notes)."""

    threshold: float
    k: int
    answerable: int
    no_answer: int
    recall_at_1: float
    recall_at_k: float
    recall_at_1_accepted: float
    precision: float
    refusal: float
    hit_scores: list[float] = field(default_factory=list)
    miss_scores: list[float] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    def figures(self) -> dict[str, float]:
        return {
            "recall@1": self.recall_at_1, f"recall@{self.k}": self.recall_at_k,
            "recall@1 accepted": self.recall_at_1_accepted, "precision": self.precision,
            "no-answer refusal": self.refusal,
        }  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold, "k": self.k, "answerable": self.answerable,
            "no_answer": self.no_answer,
            "figures": {name: round(value, 4) for name, value in self.figures().items()},
            "hit_scores": [round(s, 4) for s in self.hit_scores],
            "miss_scores": [round(s, 4) for s in self.miss_scores],
            "queries": [o.to_dict(self.threshold) for o in self.outcomes],
        }  # fmt: skip


def measure(outcomes: Sequence[Outcome], threshold: float, k: int) -> EvalReport:
    """The figures of ``outcomes`` at ``threshold``."""
    answerable = [o for o in outcomes if o.query.answerable]
    none = [o for o in outcomes if not o.query.answerable]
    accepted = [o for o in outcomes if o.score >= threshold and o.hits]
    return EvalReport(
        threshold=threshold,
        k=k,
        answerable=len(answerable),
        no_answer=len(none),
        recall_at_1=_share(answerable, lambda o: o.right),
        recall_at_k=_share(answerable, lambda o: o.rank is not None),
        recall_at_1_accepted=_share(answerable, lambda o: o.right and o.score >= threshold),
        precision=_share(accepted, lambda o: o.right) if accepted else 1.0,
        refusal=_share(none, lambda o: o.score < threshold) if none else 1.0,
        hit_scores=sorted(o.score for o in outcomes if o.right),
        miss_scores=sorted(o.score for o in outcomes if o.hits and not o.right),
        outcomes=list(outcomes),
    )


def _share(items: Sequence[Outcome], test: Any) -> float:
    return sum(1 for o in items if test(o)) / len(items) if items else 0.0
