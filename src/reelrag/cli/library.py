"""``reelrag library list | show ID | remove ID``: inspect and prune the image library."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from reelrag.cli.common import console, print_json, settings_from
from reelrag.library import Library

library_app = typer.Typer(help="List, show and remove library assets.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(library_app, name="library")


def _library(ctx: typer.Context) -> Library:
    return Library(settings_from(ctx))


@library_app.command("list")
def list_assets(
    ctx: typer.Context,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1, help="At most N.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List assets in ingest order: id, size, caption source and caption."""
    assets = _library(ctx).assets(limit=limit)
    if as_json:
        print_json([a.to_dict() for a in assets])
        return
    table = Table("id", "size", "format", "source", "caption")
    for asset in assets:
        table.add_row(
            asset.id[:12], f"{asset.width}x{asset.height}", asset.format, asset.caption_source,
            asset.caption[:70] + ("…" if len(asset.caption) > 70 else ""),
        )  # fmt: skip
    console.print(table)
    if not assets:
        console.print("the library is empty: run `reelrag ingest PATH`")
        return
    library = _library(ctx)
    console.print(library.coverage().summary(), highlight=False)
    if warning := library.coverage().warning():
        console.print(f"warning: {warning}", soft_wrap=True, highlight=False)


@library_app.command("coverage")
def coverage(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """How many assets have a caption, per caption source (file names alone are weak)."""
    library = _library(ctx)
    found = library.coverage()
    warning = library.coverage_warning(found) if found.mostly_uncaptioned else None
    if as_json:
        print_json({**found.to_dict(), "warning": warning})
        return
    table = Table("caption source", "assets")
    for source, count in sorted(found.sources.items()):
        table.add_row(source or "none", str(count))
    console.print(table)
    console.print(found.summary(), highlight=False)
    if warning:
        console.print(f"warning: {warning}", soft_wrap=True, highlight=False)


@library_app.command("show")
def show(
    ctx: typer.Context,
    asset_id: Annotated[str, typer.Argument(metavar="ID", help="Asset id or a unique prefix.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one asset: every field, its source files and stored objects."""
    library = _library(ctx)
    asset = library.get(asset_id)
    data = {**asset.to_dict(), "sources": library.sources(asset.id)}
    data["orientation"] = asset.orientation
    data["image_path"] = library.image_path(asset.id)
    data["thumbnail_path"] = library.thumbnail_path(asset.id)
    if as_json:
        print_json(data)
        return
    table = Table("field", "value", show_header=False)
    for key, value in data.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        table.add_row(key, shown)
    console.print(table)


@library_app.command("remove")
def remove(
    ctx: typer.Context,
    asset_id: Annotated[str, typer.Argument(metavar="ID", help="Asset id or a unique prefix.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Remove an asset from the catalog, index and store (your own files are never touched)."""
    asset = _library(ctx).remove(asset_id)
    if as_json:
        print_json({"removed": asset.id, "source": asset.source})
    else:
        console.print(f"removed {asset.id[:12]} ({asset.source}); the file itself is untouched")
