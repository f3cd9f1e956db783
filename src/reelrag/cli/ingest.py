"""``reelrag ingest``: add folders, files or globs to the library, incrementally (``--reindex``:
caption, embed and index them all again; alone, every catalogued file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from reelrag.cli.common import console, labelled, print_json, progress_bars, settings_from
from reelrag.errors import InputError
from reelrag.events import ProgressCallback
from reelrag.library import IngestReport, Library
from reelrag.library.sources import FileSource, SourceFile

MAX_FAILURES_SHOWN = 50


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)


def ingest(
    ctx: typer.Context,
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Folders, files or globs to ingest (none with --reindex: all)."),
    ] = None,
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="Descend into sub-folders.")
    ] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Forget catalogued files under PATHS that are gone.")
    ] = False,
    reindex: Annotated[
        bool,
        typer.Option(
            "--reindex",
            help="Caption, embed and index again even when unchanged; starts the index afresh "
            "if it was built with another embedder. Without PATHS: every catalogued file.",
        ),
    ] = False,
    executor: Annotated[
        str | None,
        typer.Option("--executor", help="local, or ray: Ray Data across a cluster."),
    ] = None,
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", help="Ray cluster to join (e.g. auto).")
    ] = None,
    captioner: Annotated[
        str | None,
        typer.Option(
            "--captioner",
            help="Caption with this backend (metadata, bedrock, transformers); default: setting.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Decode, normalise, caption, embed and index images; unchanged files are skipped.

    A file counts as changed when its size or mtime differs, or when its caption inputs (sidecar
    ``.txt``, its row in ``metadata.jsonl``/``.csv``) were edited. Exits 1 when any file failed
    (the summary lists each with its reason), 0 otherwise.
    """
    library = Library(
        settings_from(ctx, executor=executor, ray_address=ray_address, captioner=captioner)
    )
    with progress_bars(enabled=not as_json) as progress:
        if library.settings.executor == "ray":
            report = _ray_ingest(library, paths or [], recursive, prune, reindex, progress)
        else:
            report = library.ingest(
                paths or [], recursive=recursive, prune=prune, reindex=reindex, progress=progress
            )
    if as_json:
        print_json(report.to_dict())
    else:
        _print_report(report)
        _hint_recursive(report, paths or [], recursive)
    if report.failed:
        raise typer.Exit(1)


def _ray_ingest(
    library: Library,
    paths: list[str],
    recursive: bool,
    prune: bool,
    reindex: bool,
    progress: ProgressCallback,
) -> IngestReport:
    """Ingest through Ray Data (--prune and --reindex as without it)."""
    if not paths and not reindex:
        raise InputError(
            "no folders, files or globs to ingest",
            hint="name at least one PATH, or use --reindex alone for every catalogued file",
        )
    from reelrag.library.ray_ingest import ray_ingest  # ray loads only here

    return ray_ingest(
        library, paths, recursive=recursive, prune=prune, reindex=reindex,
        address=library.settings.ray_address, progress=progress,
    )  # fmt: skip


def _hint_recursive(report: IngestReport, paths: list[str], recursive: bool) -> None:
    """When nothing was found but a named folder's sub-folders hold images, say so."""
    seen = report.added + report.unchanged + report.updated + report.reindexed + len(report.failed)
    if recursive or seen or not any(_images_below(Path(p)) for p in paths):
        return
    hint = ": its sub-folders hold images; add --recursive (-r) to ingest them"
    console.print(labelled("no images at the top of the folder", "yellow", hint))


def _images_below(folder: Path) -> bool:
    """Whether ``--recursive`` would find an image under ``folder`` (local folders only): the
    scan ingest itself runs, so hidden and symlinked folders are skipped alike."""
    if not folder.is_dir():
        return False
    found = FileSource().scan(str(folder), recursive=True)
    return any(isinstance(entry, SourceFile) for entry in found)


def _print_report(report: IngestReport) -> None:
    table = Table("added", "unchanged", "updated", "reindexed", "removed", "failed", "seconds")
    table.add_row(
        str(report.added), str(report.unchanged), str(report.updated), str(report.reindexed),
        str(report.removed), str(len(report.failed)), f"{report.elapsed_s:.2f}",
    )  # fmt: skip
    console.print(table)
    if report.coverage is not None:
        console.print(report.coverage.summary(), highlight=False)
    if report.coverage_warning:
        warning = labelled("warning:", "yellow", f" {report.coverage_warning}")
        console.print(warning, soft_wrap=True)
    if report.index_reset:
        console.print("the index was built with another embedder: started afresh")
    if report.not_reindexed:
        console.print(
            labelled(
                f"{report.not_reindexed} catalog assets not re-indexed",
                "yellow",
                ": pass their folders too, or run `reelrag ingest --reindex` with no PATH for "
                "every catalogued file",
            ),
            highlight=False,
        )
    for source, reason in report.failed[:MAX_FAILURES_SHOWN]:
        console.print(
            labelled("failed", "red", f" {source}: {reason}"), highlight=False, soft_wrap=True
        )
    if len(report.failed) > MAX_FAILURES_SHOWN:
        console.print(f"... and {len(report.failed) - MAX_FAILURES_SHOWN} more (use --json)")
