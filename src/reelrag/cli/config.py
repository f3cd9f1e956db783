"""``reelrag config``: show the resolved settings and where each value came from."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from reelrag.cli.common import console, print_json, settings_from


def register(app: typer.Typer) -> None:
    app.command("config")(show_config)


def show_config(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show every setting, its value and its source (default, file, env or flag)."""
    settings = settings_from(ctx)
    values = settings.public_dict()
    if as_json:
        print_json({k: {"value": v, "source": settings.sources[k]} for k, v in values.items()})
        return
    table = Table("setting", "value", "source")
    for name, value in values.items():
        table.add_row(name, str(value), settings.sources[name])
    console.print(table)
