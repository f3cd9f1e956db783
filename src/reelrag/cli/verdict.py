"""``reelrag verdict right|wrong QUERY PHOTO``, ``verdict list`` and ``verdict forget``: settle
what a query matches, for good (:mod:`reelrag.library.verdicts`)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from reelrag.cli.common import console, display_path, labelled, print_json, settings_from
from reelrag.errors import NoMatchError
from reelrag.library import Library
from reelrag.library.verdicts import Verdict
from reelrag.retrieval import best_matches
from reelrag.types import Asset

verdict_app = typer.Typer(
    help="Mark a photo right or wrong for a query; search, batch and the web app obey.",
    no_args_is_help=True,
)
Query = Annotated[str, typer.Argument(help='The query as you search it, e.g. "red shoes".')]
AssetId = Annotated[
    str, typer.Argument(metavar="PHOTO", help="Asset id, a unique prefix, or the photo's path.")
]


def register(app: typer.Typer) -> None:
    app.add_typer(verdict_app, name="verdict")


@verdict_app.command("right")
def right(ctx: typer.Context, query: Query, asset_id: AssetId) -> None:
    """Accept PHOTO for QUERY whenever the search finds it, even below the threshold."""
    _judge(ctx, query, asset_id, "right")


@verdict_app.command("wrong")
def wrong(ctx: typer.Context, query: Query, asset_id: AssetId) -> None:
    """Never return PHOTO for QUERY again (the next candidate must pass the rule)."""
    _judge(ctx, query, asset_id, "wrong")


def _judge(ctx: typer.Context, query: str, asset_id: str, verdict: Verdict) -> None:
    library = Library(settings_from(ctx))
    asset = library.judge(query, library.find(asset_id).id, verdict)
    console.print(
        f"marked {_named(asset)} {verdict} for {query!r}", highlight=False, soft_wrap=True
    )
    try:
        best = best_matches(library, query, library.settings)[0]
        now = f"{_named(best.asset)} (score {best.score:.2f})"
    except NoMatchError:
        best, now = None, "no good match"
    console.print(f"{query!r} now finds: {now}", highlight=False, soft_wrap=True)
    if verdict == "right" and (best is None or best.asset.id != asset.id):
        console.print(
            labelled("note:", "yellow", " the search does not reach this photo for this query "
                     "(a verdict applies among its first candidates): add words its caption uses"),
            soft_wrap=True,
        )  # fmt: skip


def _named(asset: Asset) -> str:
    return f"{asset.id[:12]} ({display_path(asset.source)})"


@verdict_app.command("list")
def list_verdicts(
    ctx: typer.Context,
    query: Annotated[str | None, typer.Argument(help="Only the verdicts on this query.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The verdicts, newest first."""
    library = Library(settings_from(ctx))
    rows = library.verdicts.rows(query)
    if as_json:
        print_json([row.__dict__ for row in rows])
        return
    if not rows:
        console.print("no verdicts yet: `reelrag verdict right|wrong QUERY PHOTO`")
        return
    table = Table("query", "verdict", "id", "photo", "when")
    for row in rows:
        found = library.catalog.get_asset(row.asset_id)
        photo = display_path(found.source) if found else "(removed)"
        table.add_row(row.query, row.verdict, row.asset_id[:12], photo, row.created_at)
    console.print(table)


@verdict_app.command("forget")
def forget(
    ctx: typer.Context,
    query: Query,
    asset_id: Annotated[
        str | None, typer.Argument(metavar="[PHOTO]", help="Only this photo's verdict.")
    ] = None,
) -> None:
    """Drop the verdicts on QUERY (or only on PHOTO): the match rule decides again."""
    library = Library(settings_from(ctx))
    target = library.find(asset_id).id if asset_id else None
    gone = library.verdicts.forget(query, target)
    console.print(f"forgot {gone} verdict(s) on {query!r}", highlight=False)
