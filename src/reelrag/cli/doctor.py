"""``reelrag doctor``: check the AWS setup and print what to fix.

Renders :func:`reelrag.aws.doctor.run_checks` as a table (or ``--json``). Exit codes: 0 when
nothing failed (warnings allowed), 1 when a check failed.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from reelrag.cli.common import console, print_json, settings_from
from reelrag.errors import MissingDependencyError

STYLES = {"ok": "green", "warn": "yellow", "fail": "red", "skip": "dim"}


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor_command)


def doctor_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check AWS credentials, region, model access and lifecycle, buckets and the index."""
    settings = settings_from(ctx)
    try:
        from reelrag.doctor import run_checks
    except ModuleNotFoundError as exc:
        raise MissingDependencyError(
            f"doctor needs the module {exc.name!r}", hint="pip install 'reelrag[aws]'"
        ) from exc
    checks = run_checks(settings)
    if as_json:
        print_json([c.to_dict() for c in checks])
    else:
        table = Table("check", "status", "detail", "fix")
        for c in checks:
            style = STYLES.get(c.status, "")
            table.add_row(c.name, Text(c.status, style=style), c.detail, c.fix)
        console.print(table)
    if any(c.status == "fail" for c in checks):
        raise typer.Exit(1)
