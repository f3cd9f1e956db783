"""Shared CLI plumbing: settings from the context, JSON output, progress bars, labels.

The consoles print text verbatim (no console markup): most of what the CLI shows is the
user's own text -- paths, prompts, captions, hints such as ``reelrag[web]`` -- and brackets in
it must not turn into styles or vanish. Colour comes from :func:`labelled` and ``Text``. Control
characters in that text (ESC sequences, newlines) are written as visible escapes
(:mod:`reelrag.cli.visible`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from reelrag.cli.visible import VisibleConsole, visible, visible_json
from reelrag.events import ProgressCallback, ProgressEvent
from reelrag.settings import Settings, load_settings

console: Console = VisibleConsole(markup=False)
err_console: Console = VisibleConsole(stderr=True, markup=False)


def labelled(label: str, style: str, rest: str = "") -> Text:
    """``label`` in ``style``, then ``rest`` exactly as given.

    >>> labelled("failed", "red", " photo[1].jpg").plain
    'failed photo[1].jpg'
    """
    return Text.assemble((label, style), visible(rest))


def display_path(source: str) -> str:
    """A file as the user would type it: relative to the working folder when inside it."""
    if "://" in source:
        return source
    try:
        return str(Path(source).relative_to(Path.cwd()))
    except ValueError:
        return source


def settings_from(ctx: typer.Context, **overrides: Any) -> Settings:
    """The settings resolved in the app callback, with command-level flag overrides applied."""
    base: dict[str, Any] = dict((ctx.find_root().obj or {}).get("overrides", {}))
    base.update({k: v for k, v in overrides.items() if v is not None})
    return load_settings(base)


def print_json(data: Any) -> None:
    """Machine-readable output on stdout (no colour, no wrapping)."""
    typer.echo(visible_json(json.dumps(data, indent=2, default=str, ensure_ascii=False)))


@contextmanager
def progress_bars(enabled: bool = True) -> Iterator[ProgressCallback]:
    """A callback that turns :class:`ProgressEvent` into rich progress bars, one per task."""
    if not enabled:
        yield lambda event: None
        return
    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[message]}", markup=False),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as bars:
        tasks: dict[str, Any] = {}

        def update(event: ProgressEvent) -> None:
            if event.task not in tasks:
                tasks[event.task] = bars.add_task(
                    visible(event.task), total=event.total, message=""
                )
            message = visible(event.message)
            bars.update(tasks[event.task], completed=event.done, total=event.total, message=message)

        yield update
