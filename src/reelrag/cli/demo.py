"""``reelrag demo``: the offline end-to-end job on the sample photos.

Writes the sample library (real photos from scikit-image and matplotlib, with sidecar captions),
ingests it, runs the bundled example templates for a few objects with the camera backend as a
durable batch, and writes the gallery. Re-running it is cheap: nothing finished is redone.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from reelrag.batch import BatchRow, plan_batch, read_prompt_file, run_plan
from reelrag.cli.common import console, progress_bars, settings_from
from reelrag.cli.jobs import render_summary
from reelrag.gallery import build_gallery, open_in_browser
from reelrag.library import Library
from reelrag.samples import write_samples

# (object of interest, action): the last one has no match in the sample library on purpose,
# to show a skipped row instead of a wrong image.
DEMO_SHOTS = (
    ("a ginger cat", "Camera zooms in slowly"),
    ("a rocket on its launch pad", "Camera tilts up from the pad to the sky"),
    ("a cup of coffee", "Camera pans left"),
    ("red running shoes", "Camera pans down"),
)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    ctx: typer.Context,
    photos: Annotated[
        Path | None, typer.Option("--photos", help="Use this folder instead of the samples.")
    ] = None,
    open_page: Annotated[bool, typer.Option("--open", help="Open the gallery.")] = False,
) -> None:
    """Ingest sample photos, render a batch of example prompts, and write the gallery."""
    settings = settings_from(ctx)
    folder = photos or settings.workspace / "samples"
    if photos is None:
        write_samples(folder)
    library = Library(settings)
    with progress_bars() as bars:
        report = library.ingest([str(folder)], recursive=True, progress=bars)
    console.print(f"library: {report.added} added, {report.unchanged} unchanged, "
                  f"{len(report.failed)} failed ({folder})")  # fmt: skip
    templates = _templates(settings.workspace)
    rows = _rows(templates)
    plan = plan_batch(rows, library=library, settings=settings, backend="camera")
    with progress_bars() as bars:
        summary = run_plan(plan, settings, library=library, progress=bars)
    render_summary(summary, as_json=False)
    from reelrag.reel.sample import render_demo_reel  # a short signed reel of the same library

    with progress_bars() as bars:
        reel = render_demo_reel(settings, library=library, progress=bars)
    console.print(f"reel: {', '.join(reel.videos)} ({'signed' if reel.signed else 'unsigned'})")
    gallery = build_gallery(settings)
    console.print(f"gallery: {gallery.html} ({gallery.items} videos)")
    if open_page:
        open_in_browser(gallery.html)
    if summary.failed:
        raise typer.Exit(1)


def _templates(workspace: Path) -> Path:
    """The example templates, copied into the workspace so the user can read and edit them."""
    target = workspace / "prompts.txt"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with resources.as_file(resources.files("reelrag.data") / "prompts.txt") as bundled:
            shutil.copyfile(bundled, target)
    return target


def _rows(templates: Path) -> list[BatchRow]:
    rows: list[BatchRow] = []
    for object_text, action in DEMO_SHOTS:
        rows += read_prompt_file(templates, object_text=object_text, action_text=action)
    return rows
