"""Retrieval evaluation: labelled queries -> recall, precision of acceptance, refusals, and the
threshold that maximises an objective (``reelrag eval`` / ``reelrag calibrate``).

>>> import reelrag.evaluation as ev                                   # doctest: +SKIP
>>> report = ev.evaluate(library, "queries.csv", threshold=0.45)      # doctest: +SKIP
>>> found = ev.calibrate_file(library, "queries.csv", objective="refusal>=0.9")  # doctest: +SKIP
>>> found.threshold, found.met, found.report.recall_at_1_accepted     # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from reelrag.evaluation.labels import LabelledQuery, load_queries
from reelrag.evaluation.metrics import EvalReport, Outcome, measure, run_queries
from reelrag.evaluation.objectives import Calibration, Objective, calibrate, parse_objective
from reelrag.retrieval import Searcher

__all__ = [
    "Calibration", "EvalReport", "LabelledQuery", "Objective", "Outcome", "calibrate",
    "calibrate_file", "evaluate", "load_queries", "measure", "parse_objective", "run_queries",
]  # fmt: skip

DEFAULT_K = 5


def evaluate(
    library: Searcher,
    queries: str | Path | list[LabelledQuery],
    *,
    threshold: float,
    k: int = DEFAULT_K,
    split: str = "",
) -> EvalReport:
    """Run labelled ``queries`` (a .csv/.yaml file or a list) and measure them at ``threshold``."""
    return measure(run_queries(library, _queries(queries, split), k), threshold, k)


def calibrate_file(
    library: Searcher,
    queries: str | Path | list[LabelledQuery],
    *,
    objective: str | Objective = "balanced",
    k: int = DEFAULT_K,
    split: str = "",
) -> Calibration:
    """The threshold that maximises ``objective`` (:mod:`reelrag.evaluation.objectives`) on
    ``queries``, its report and the trade-off."""
    return calibrate(run_queries(library, _queries(queries, split), k), k, objective)


def _queries(queries: str | Path | list[LabelledQuery], split: str) -> list[LabelledQuery]:
    found = queries if isinstance(queries, list) else load_queries(Path(queries))
    chosen = [q for q in found if not split or q.split == split]
    if not chosen:
        from reelrag.errors import InputError

        raise InputError(f"no queries in split {split!r}", hint="check the split column")
    return chosen
