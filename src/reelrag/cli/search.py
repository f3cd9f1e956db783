"""``reelrag search``: hybrid search over the library, as a table, JSON or a contact sheet.

Exit codes: 0 hits found, 3 no hit reached the score threshold ("no good match").
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from reelrag.cli.common import (
    console,
    display_path,
    err_console,
    labelled,
    print_json,
    settings_from,
)
from reelrag.errors import NotFoundError
from reelrag.index.filters import parse_filters
from reelrag.library import Library
from reelrag.retrieval import SearchResults
from reelrag.types import SearchRequest

NO_MATCH_EXIT = 3


def register(app: typer.Typer) -> None:
    app.command("search")(search_command)


def search_command(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help='The object to find, e.g. "red shoes".')],
    limit: Annotated[int | None, typer.Option("--limit", "-n", help="How many hits.")] = None,
    min_score: Annotated[
        float | None, typer.Option("--min-score", help="Threshold in [0, 1] for a good match.")
    ] = None,
    filters: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            "-f",
            help="KEY=VALUE: orientation, min_width, min_height, folder, tag, "
            "caption_source (repeatable).",
        ),
    ] = None,
    mode: Annotated[str, typer.Option("--mode", help="hybrid | vector | text.")] = "hybrid",
    diversity: Annotated[
        float, typer.Option("--diversity", help="0 = pure relevance, up to 1 = most varied.")
    ] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    contact_sheet: Annotated[
        Path | None, typer.Option("--contact-sheet", help="Also write hits to a .png or .html.")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing contact sheet.")
    ] = False,
) -> None:
    """Find the images that best show QUERY (hybrid BM25 + vector search)."""
    settings = settings_from(ctx)
    request = SearchRequest(
        query=query,
        limit=limit or settings.search_limit,
        min_score=min_score,
        filters=parse_filters(filters or []),
        mode=mode,
        diversity=diversity,
    )
    library = Library(settings)
    try:
        results = run_search(library, request)
        warning = library.coverage_warning() if results.no_match else None
    finally:
        library.close()
    if contact_sheet is not None and not results.no_match:
        from reelrag.contactsheet import write_contact_sheet

        written = write_contact_sheet(results, results.store, contact_sheet, overwrite=overwrite)
        err_console.print(f"contact sheet: {written}", highlight=False)
    if as_json:
        print_json({**results.to_dict(), "coverage_warning": warning})
    else:
        render(results)
        if results.verdicts:
            console.print(verdicts_line(results), soft_wrap=True, highlight=False)
        if warning:
            console.print(labelled("warning:", "yellow", f" {warning}"), soft_wrap=True)
    if results.no_match:
        raise typer.Exit(NO_MATCH_EXIT)


def run_search(library: Library, request: SearchRequest) -> SearchResults:
    """:meth:`reelrag.library.Library.search` (the user's verdicts applied), after saying plainly
    when the library is empty."""
    if library.index.count() == 0:
        raise NotFoundError(
            f"the library at {library.settings.workspace} is empty",
            hint="run `reelrag ingest PATH` first (or pick the workspace with -w)",
        )
    results: SearchResults = library.search(request)
    return results


def verdicts_line(results: SearchResults) -> str:
    """What the user's verdicts on this query did, and how to see or undo them."""
    marked = list(results.verdicts.values())
    quoted = shlex.quote(results.request.query)
    return (
        f"your verdicts on this query: {marked.count('right')} marked right, "
        f"{marked.count('wrong')} marked wrong and left out "
        f"(`reelrag verdict list {quoted}`; `reelrag verdict forget {quoted}` undoes them)"
    )


def render(results: SearchResults) -> None:
    if results.no_match:
        for line in no_match_message(results):  # one print per line: text is escaped whole
            console.print(line, highlight=False)
        return
    table = Table("#", "score", "caption", "size", title=results.request.query)
    table.add_column("source", overflow="fold")  # the file name is at the end: never cut it
    table.add_column("id")
    for hit in results:
        asset = hit.asset
        table.add_row(
            str(hit.rank), f"{hit.score:.2f}", asset.caption, f"{asset.width}x{asset.height}",
            display_path(asset.source), asset.id[:12],
        )  # fmt: skip
    console.print(table)


def no_match_message(results: SearchResults) -> list[str]:
    """The refusal, why the nearest candidate fell short and, one line each, why the next
    ones did (the photo the words describe best may be refused for what its caption says)."""
    text: list[Any] = [f"no good match for {results.request.query!r}"]
    nearest = results.nearest
    if nearest is not None:
        text.append(
            f" (best candidate scored {nearest.score:.2f} < {results.min_score:.2f}: "
            f"{nearest.asset.caption or nearest.asset.source})"
        )
    text.append("; try other words, fewer filters or a lower --min-score")
    lines = ["".join(str(t) for t in text)]
    if nearest is not None and nearest.why:
        lines.append(f"  why: {nearest.why}")
    others = [
        hit for hit in results.rejected if nearest is None or hit.asset.id != nearest.asset.id
    ]
    for hit in others[:2]:
        if hit.why:
            lines.append(
                f"  next: {hit.asset.caption or display_path(hit.asset.source)} ({hit.why})"
            )
    if nearest is not None:
        command = f"reelrag verdict right {shlex.quote(results.request.query)}"
        lines.append(f"  if it is the right photo: {command} {nearest.asset.id[:12]}")
    return lines
