"""``reelrag index``: inspect and maintain the search index (info, optimize, rebuild)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from reelrag.cli.common import console, print_json, settings_from
from reelrag.errors import ConfigError
from reelrag.index.base import Index
from reelrag.plugins import registry
from reelrag.settings import Settings

index_app = typer.Typer(help="Inspect and maintain the search index.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(index_app, name="index")


def open_index(settings: Settings) -> Index:
    """The configured index, opened for the configured embedder (refuses a mismatch)."""
    embedder = registry.create("embedder", settings.embedder, settings)
    index: Index = registry.create("index", settings.index, settings, identity=embedder.identity)
    return index


def info_dict(index: Index) -> dict[str, Any]:
    info = index.info()
    return {
        "backend": info.backend,
        "location": info.uri,
        "rows": info.rows,
        "embedder": info.embedder,
        "dim": info.dim,
        "index_type": info.ann_index or "exact",
        "text_index": info.text_index,
        **info.extra,
    }


@index_app.command("info")
def info_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Rows, embedder identity, vector index type, text index and location."""
    data = info_dict(open_index(settings_from(ctx)))
    if as_json:
        print_json(data)
        return
    table = Table("property", "value")
    for key, value in data.items():
        table.add_row(key, str(value))
    console.print(table)


@index_app.command("optimize")
def optimize_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Build or refresh the text and vector indexes now."""
    index = open_index(settings_from(ctx))
    index.optimize()
    data = info_dict(index)
    if as_json:
        print_json(data)
    else:
        console.print(
            f"optimized {data['rows']} rows: vector index {data['index_type']}, "
            f"text index {'yes' if data['text_index'] else 'no'}",
            highlight=False,
        )


@index_app.command("rebuild")
def rebuild_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Re-embed the stored captions with the configured embedder (after changing embedders)."""
    from reelrag.cli.common import progress_bars
    from reelrag.events import ProgressEvent

    settings = settings_from(ctx)
    backend = registry.get("index", settings.index)
    if not hasattr(backend, "rebuild"):
        raise ConfigError(
            f"the {settings.index} index cannot rebuild itself",
            hint="re-ingest instead: `reelrag ingest --reindex` (every catalogued file)",
        )
    embedder = registry.create("embedder", settings.embedder, settings)
    with progress_bars(enabled=not as_json) as report:
        index = backend.rebuild(
            settings, embedder, lambda done, total: report(ProgressEvent("re-embed", done, total))
        )
    data = info_dict(index)
    if as_json:
        print_json(data)
    else:
        console.print(f"rebuilt {data['rows']} rows with {data['embedder']}", highlight=False)
