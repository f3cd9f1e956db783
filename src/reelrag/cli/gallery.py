"""``reelrag gallery``: a static HTML page and contact sheet of the generated videos."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reelrag.cli.common import console, err_console, print_json, settings_from
from reelrag.gallery import build_gallery, open_in_browser


def register(app: typer.Typer) -> None:
    app.command("gallery")(gallery)


def gallery(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for index.html (default: the outputs folder)."),
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="Replace an index.html in --out that is not a gallery."),
    ] = False,
    open_page: Annotated[bool, typer.Option("--open", help="Open the page in a browser.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Write index.html (videos, prompts, source images, scores) and contact_sheet.png."""
    result = build_gallery(settings_from(ctx), out, overwrite=overwrite)
    if as_json:
        print_json({"html": str(result.html), "contact_sheet": str(result.contact_sheet or ""),
                    "videos": result.items, "skipped": list(result.skipped)})  # fmt: skip
    else:
        console.print(f"{result.items} videos -> {result.html}")
        for problem in result.skipped:
            err_console.print(f"skipped {problem}")
    if open_page and not open_in_browser(result.html):
        err_console.print(f"no browser found; open {result.html.resolve().as_uri()}")
