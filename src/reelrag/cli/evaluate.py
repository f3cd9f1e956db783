"""``reelrag eval QUERIES`` and ``reelrag calibrate QUERIES``: measure the match decision on
your own labelled queries, and pick the ``min_score`` that serves them best.

QUERIES is a .csv (columns ``query``, ``expected``, optional ``split``) or .yaml file;
``expected`` is an asset id, a path (or its end, ``pets/cat.jpg``), a file name, or ``none``
when the library holds no answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from reelrag.cli.common import console, err_console, print_json, settings_from
from reelrag.errors import InputError
from reelrag.evaluation import DEFAULT_K, Calibration, calibrate_file, evaluate, parse_objective
from reelrag.evaluation.labels import unmatched
from reelrag.evaluation.metrics import EvalReport
from reelrag.evaluation.objectives import figure
from reelrag.settings import config_file_path

QueriesArg = Annotated[
    Path, typer.Argument(metavar="QUERIES", help="Labelled queries: a .csv or .yaml file.")
]
KOpt = Annotated[int, typer.Option("--k", "-k", min=1, max=100, help="Recall@k depth.")]
SplitOpt = Annotated[str, typer.Option("--split", help="Only queries of this split.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
PlotOpt = Annotated[
    Path | None, typer.Option("--plot", help="Write the score distributions to a PNG.")
]


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
    app.command("calibrate")(calibrate_command)


def eval_command(
    ctx: typer.Context,
    queries: QueriesArg,
    min_score: Annotated[
        float | None, typer.Option("--min-score", help="Threshold to measure (default: setting).")
    ] = None,
    k: KOpt = DEFAULT_K,
    split: SplitOpt = "",
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
) -> None:
    """Measure search on labelled queries: recall@1, recall@k, precision, no-answer refusal."""
    settings = settings_from(ctx)
    threshold = settings.min_score if min_score is None else min_score
    library = _library(ctx)
    report = evaluate(library, queries, threshold=threshold, k=k, split=split)
    _warn_unmatched(library, report)
    title = f"{queries.name} at min_score {threshold:.2f}"
    _finish(report, as_json, plot, title=title, rule=_rule(library))


def calibrate_command(
    ctx: typer.Context,
    queries: QueriesArg,
    objective: Annotated[
        str,
        typer.Option(
            "--objective",
            help="balanced (recall@1 accepted + refusal) | f1 | refusal>=0.9 | precision>=0.95"
            " (the most recall that keeps the figure at least that high).",
        ),
    ] = "balanced",
    apply: Annotated[
        bool, typer.Option("--apply", help="Write the threshold to reelrag.toml as min_score.")
    ] = False,
    k: KOpt = DEFAULT_K,
    split: SplitOpt = "",
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
) -> None:
    """Propose the min_score that maximises OBJECTIVE on labelled queries (--apply saves it)."""
    goal = parse_objective(objective)
    settings = settings_from(ctx)
    library = _library(ctx)
    found = calibrate_file(library, queries, objective=goal, k=k, split=split)
    _warn_unmatched(library, found.report)
    threshold = found.threshold
    title = f"{queries.name}: proposed min_score {threshold:.2f}"
    _finish(found.report, as_json, plot, title=title, extra=_calibration_json(found),
            rule=_rule(library))  # fmt: skip
    if not as_json:
        _print_tradeoff(found)
        console.print(
            f"proposed min_score = {threshold} (objective {goal}; now {settings.min_score})"
        )
        if not found.met:
            err_console.print(f"warning: {_unmet(found)}", highlight=False)
    if apply:
        if not found.met:
            raise InputError(f"{_unmet(found)}; nothing written", hint=_UNMET_HINT)
        from reelrag.evaluation.tomlset import write_setting

        path = config_file_path()
        write_setting(path, "min_score", threshold)
        err_console.print(f"wrote min_score = {threshold} to {path}", highlight=False)


_UNMET_HINT = "lower the floor, or set min_score in reelrag.toml to a point of the trade-off table"


def _unmet(found: Calibration) -> str:
    goal, report = found.objective, found.report
    return (
        f"no min_score reaches {goal} on these queries (the closest, {found.threshold}, gives "
        f"{goal.name} {figure(report, goal.name):.3f} at recall@1 accepted "
        f"{report.recall_at_1_accepted:.3f})"
    )


def _print_tradeoff(found: Calibration) -> None:
    table = Table("min_score", "recall@1 accepted", "no-answer refusal", "precision",
                  title="trade-off: no other min_score beats these on both counts")  # fmt: skip
    for report in found.tradeoff:
        table.add_row(str(report.threshold), f"{report.recall_at_1_accepted:.3f}",
                      f"{report.refusal:.3f}", f"{report.precision:.3f}")  # fmt: skip
    console.print(table)


def _calibration_json(found: Calibration) -> dict[str, object]:
    return {
        "objective": str(found.objective), "proposed_min_score": found.threshold,
        "met": found.met,
        "tradeoff": [
            {"min_score": r.threshold,
             **{name: round(value, 4) for name, value in r.figures().items()}}
            for r in found.tradeoff
        ],
    }  # fmt: skip


def _warn_unmatched(library, report: EvalReport) -> None:  # type: ignore[no-untyped-def]
    """One line when expected answers name no photo in the library: they count as misses."""
    missing = unmatched([o.query for o in report.outcomes], library.assets())
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        err_console.print(
            f"warning: {len(missing)} expected answer(s) name no photo in this library "
            f"({shown}) and count as misses: check the path, id or file name, or ingest the photo",
            highlight=False,
            soft_wrap=True,
        )


def _library(ctx: typer.Context):  # type: ignore[no-untyped-def]
    from reelrag.library import Library

    return Library(settings_from(ctx))


def _rule(library) -> str:  # type: ignore[no-untyped-def]
    """Which match rule the figures are of: results of two rules are not comparable."""
    return str(library.rule.describe(library.settings.match_learned))


def _finish(
    report: EvalReport,
    as_json: bool,
    plot: Path | None,
    title: str,
    extra: dict[str, object] | None = None,
    rule: str = "",
) -> None:
    if plot is not None:
        from reelrag.evaluation.plot import plot_scores

        written = plot_scores(report, plot)
        err_console.print(f"plot: {written}", highlight=False)
    if as_json:
        print_json({**report.to_dict(), **(extra or {}), "rule": rule})
        return
    table = Table("figure", "value", "of", "95 % interval", title=title)
    intervals = report.intervals()
    for name, value in report.figures().items():
        yes, of = report.counts[name]
        span = intervals[name]
        shown = "-" if span is None else f"{span[0]:.2f}-{span[1]:.2f}"
        table.add_row(name, f"{value:.3f}", f"{yes}/{of}", shown)
    table.add_row("queries", f"{report.answerable} answerable, {report.no_answer} with no answer")
    table.add_row("right best hits", _spread(report.hit_scores), str(len(report.hit_scores)))
    table.add_row("wrong best hits", _spread(report.miss_scores), str(len(report.miss_scores)))
    table.add_row("match rule", rule)
    console.print(table)
    wrong = [o for o in report.outcomes if _failed(o, report.threshold)]
    for outcome in wrong[:20]:
        console.print(f"  {outcome.query.query!r}: {_went_wrong(outcome, report.threshold)}",
                      soft_wrap=True)  # fmt: skip


def _went_wrong(outcome, threshold: float) -> str:  # type: ignore[no-untyped-def]
    """How one failed query went wrong, in a few words."""
    best = outcome.best
    if best is None:
        return f"expected {outcome.query.expected}, found nothing"
    shown = f"{best.asset.source} ({outcome.score:.2f})"
    if outcome.right:
        return f"the right photo ranked first, refused at {outcome.score:.2f} < {threshold:.2f}"
    if not outcome.query.answerable:
        return f"has no answer, but {shown} was accepted"
    return f"expected {outcome.query.expected}, got {shown}"


def _failed(outcome, threshold: float) -> bool:  # type: ignore[no-untyped-def]
    accepted = outcome.score >= threshold
    return (outcome.query.answerable and not (outcome.right and accepted)) or (
        not outcome.query.answerable and accepted
    )


def _spread(scores: list[float]) -> str:
    if not scores:
        return "none"
    middle = scores[len(scores) // 2]
    return f"min {scores[0]:.2f}, median {middle:.2f}, max {scores[-1]:.2f}"
