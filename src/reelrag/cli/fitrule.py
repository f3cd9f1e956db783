"""``reelrag fit-rule``: fit the match rule for the embedder and verifier in use.

The rule that accepts or refuses a search's best photo (:mod:`reelrag.matching.acceptance`) is
fitted on the labelled set bundled with ReelRAG and written to ``<workspace>/rules/
acceptance.json``; searches in that workspace use it while the embedder and verifier are the
ones it was fitted for. A verifier (``verifier = "onnx"``) needs this before its first search.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from reelrag.cli.common import console, err_console, print_json, progress_bars, settings_from
from reelrag.matching.fitting import CUTS, TUNED, fit_rule
from reelrag.matching.rule import AUTO, NONE, RULE_FILE, FittedRule, verifier_name
from reelrag.plugins import registry


def register(app: typer.Typer) -> None:
    app.command("fit-rule")(fit_rule_command)


def fit_rule_command(
    ctx: typer.Context,
    splits: Annotated[
        str,
        typer.Option(
            "--splits",
            help="Labelled splits to fit on, comma-separated (default: all"
            f" {len(TUNED)} tuned ones; the blind ones are never fitted on).",
        ),
    ] = "",
    reset: Annotated[
        bool, typer.Option("--reset", help="Remove the fitted rule: back to the built-in one.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Fit the match rule for your embedder and verifier on the bundled labelled queries."""
    settings = settings_from(ctx)
    path = settings.workspace / RULE_FILE
    if reset:
        _reset(path, settings.verifier not in (AUTO, *NONE))
        return
    name = settings.verifier
    if name == AUTO:  # resolved as a search resolves it, for the embedder in use
        embedder = registry.create("embedder", settings.embedder, settings)
        name = verifier_name(AUTO, embedder.identity, settings.match_learned)
    verifier = registry.create("verifier", name, settings) if name not in NONE else None
    chosen = tuple(s.strip() for s in splits.split(",") if s.strip()) or TUNED
    with progress_bars(not as_json) as progress:
        rule = fit_rule(settings, verifier, chosen, progress)
    written = rule.save(settings.workspace)
    if as_json:
        print_json({"path": str(written), **rule.__dict__})
        return
    _print_rule(rule)
    console.print(f"wrote {written}; searches in this workspace use it", highlight=False)


def _reset(path: Path, verifier: bool) -> None:
    after = "unset verifier, or fit again" if verifier else "searches use the built-in rule"
    if path.is_file():
        path.unlink()
        err_console.print(f"removed {path}: {after}", highlight=False)
    else:
        err_console.print(f"no fitted rule at {path}: {after}", highlight=False)


def _print_rule(rule: FittedRule) -> None:
    cv = rule.figures
    table = Table(title=f"cross-validated on {cv['queries']} queries in {cv['splits']} splits")
    table.add_column("cut")
    table.add_column("recall@1 accepted", justify="right")
    table.add_column("no-answer refusal", justify="right")
    for cut in CUTS:
        recall, refusal = cv["cuts"][f"{cut:.3f}"]
        mark = " (chosen: min_score)" if abs(cut - rule.cut) < 1e-9 else ""
        table.add_row(f"{cut:.3f}{mark}", f"{recall:.3f}", f"{refusal:.3f}")
    recall, refusal = cv["hand_built"]
    table.add_row("hand-built rule", f"{recall:.3f}", f"{refusal:.3f}")
    console.print(table)
