"""What ``reelrag calibrate`` maximises, and the trade-off each threshold makes.

An objective is one of:

- ``balanced``: the mean of recall@1 accepted and no-answer refusal (a refused right photo and an
  accepted wrong one cost the same);
- ``f1``: the harmonic mean of recall@1 accepted and precision (for query files without
  no-answer queries);
- a floor, ``refusal>=0.9`` or ``precision>=0.95``: the most recall@1 accepted among the
  thresholds that keep that figure at least that high, for a library where a wrong image costs
  more than a missed one. When no threshold reaches the floor, the one that comes closest is
  proposed and the calibration says the floor is unmet.

The trade-off is every threshold that no other beats on both recall@1 accepted and refusal (or
precision, for files without no-answer queries): what each stricter cut buys and costs.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from reelrag.errors import InputError
from reelrag.evaluation.metrics import EvalReport, Outcome, measure

OBJECTIVES = ("balanced", "f1", "refusal>=X", "precision>=X")
FLOORED = ("refusal", "precision")  # the figures a floor can name
_FLOOR = re.compile(r"^\s*(refusal|precision)\s*>=\s*(0?\.\d+|1(\.0*)?|0)\s*$")
_TRADEOFF_ROWS = 12  # the most operating points a trade-off lists


@dataclass(frozen=True)
class Objective:
    """A parsed objective: ``name`` is balanced, f1, refusal or precision (with ``floor``)."""

    name: str
    floor: float | None = None

    def __str__(self) -> str:
        return self.name if self.floor is None else f"{self.name}>={self.floor:g}"

    def met(self, report: EvalReport) -> bool:
        """Whether ``report`` keeps the floor; a threshold that accepts no right photo keeps
        none (refusing everything is always precise and always refuses)."""
        if self.floor is None:
            return True
        return report.recall_at_1_accepted > 0 and figure(report, self.name) >= self.floor - 1e-9

    def value(self, report: EvalReport) -> tuple[float, float]:
        """What the calibration maximises (compared as a tuple): a met floor first, then
        recall@1 accepted; an unmet floor ranks by how close its figure comes."""
        recall = report.recall_at_1_accepted
        if self.name == "f1":
            total = recall + report.precision
            return 1.0, (2 * recall * report.precision / total if total else 0.0)
        if self.floor is None:
            return 1.0, (recall + report.refusal) / 2
        if self.met(report):
            return 1.0, recall
        return (0.0, figure(report, self.name)) if recall > 0 else (-1.0, 0.0)


def parse_objective(text: str) -> Objective:
    """``balanced``, ``f1``, ``refusal>=0.9`` or ``precision>=0.95`` as an :class:`Objective`."""
    name = text.strip().lower()
    if name in ("balanced", "f1"):
        return Objective(name)
    if match := _FLOOR.match(name):
        return Objective(match.group(1), float(match.group(2)))
    raise InputError(
        f"unknown objective {text!r}",
        hint="use balanced, f1, refusal>=0.9 or precision>=0.95 (a floor between 0 and 1)",
    )


@dataclass(frozen=True)
class Calibration:
    """The proposed threshold, its report, whether the objective's floor is met, and the
    trade-off (the operating points no other threshold beats on both counts)."""

    threshold: float
    report: EvalReport
    objective: Objective
    met: bool
    tradeoff: list[EvalReport] = field(default_factory=list)


def calibrate(
    outcomes: Sequence[Outcome], k: int, objective: str | Objective = "balanced"
) -> Calibration:
    """The threshold that maximises ``objective`` on ``outcomes``.

    Candidate thresholds lie midway between consecutive distinct best-hit scores; among equally
    good ones the middle of the best run is taken (a margin on both sides).
    """
    goal = objective if isinstance(objective, Objective) else parse_objective(objective)
    if goal.name == "refusal" and not any(not o.query.answerable for o in outcomes):
        raise InputError(
            f"{goal} needs queries with no answer in the library",
            hint='add rows whose expected is "none", or use --objective precision>=0.95',
        )
    reports = [measure(outcomes, cut, k) for cut in _cuts(outcomes)]
    values = [goal.value(r) for r in reports]
    best = max(values)
    tied = [r for r, v in zip(reports, values, strict=True) if _close(v, best)]
    threshold = _rounded(tied[len(tied) // 2].threshold, outcomes)
    report = measure(outcomes, threshold, k)
    points = [measure(outcomes, _rounded(r.threshold, outcomes), k) for r in _frontier(reports)]
    return Calibration(threshold, report, goal, goal.met(report), points)


def _cuts(outcomes: Sequence[Outcome]) -> list[float]:
    scores = sorted({round(o.score, 6) for o in outcomes if o.hits})
    cuts = [0.0] + [(a + b) / 2 for a, b in itertools.pairwise(scores)]
    return cuts + ([min(1.0, scores[-1] + 1e-6)] if scores else [])


def _rounded(cut: float, outcomes: Sequence[Outcome]) -> float:
    """``cut`` to the fewest decimals (3 to 6) that accept exactly the same best hits."""
    for digits in range(3, 7):
        rounded = round(cut, digits)
        if all((o.score >= rounded) == (o.score >= cut) for o in outcomes if o.hits):
            return rounded
    return cut


def _close(value: tuple[float, float], best: tuple[float, float]) -> bool:
    return value[0] == best[0] and value[1] >= best[1] - 1e-12


def _frontier(reports: Sequence[EvalReport]) -> list[EvalReport]:
    """The reports (ascending threshold) that no other beats on both recall@1 accepted and
    refusal (precision when there are no no-answer queries), thinned to a readable list."""
    guard = "refusal" if reports and reports[0].no_answer else "precision"
    points: dict[tuple[float, float], EvalReport] = {}
    for report in reports:  # ascending: the first threshold of each operating point is kept
        points.setdefault((report.recall_at_1_accepted, figure(report, guard)), report)
    kept = [
        report for (recall, other), report in points.items()
        if not any(r >= recall and o >= other and (r, o) != (recall, other) for r, o in points)
    ]  # fmt: skip
    if len(kept) <= _TRADEOFF_ROWS:
        return kept
    step = (len(kept) - 1) / (_TRADEOFF_ROWS - 1)
    return [kept[round(i * step)] for i in range(_TRADEOFF_ROWS)]


def figure(report: EvalReport, name: str) -> float:
    """The figure a floor names: ``refusal`` or ``precision``."""
    return report.refusal if name == "refusal" else report.precision
