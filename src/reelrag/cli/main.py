"""The ``reelrag`` command: a thin Typer app over the Python API.

Expected errors print one line (what happened and what to do) and exit non-zero; no traceback.
"""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from reelrag import __version__
from reelrag.cli.common import err_console, labelled
from reelrag.errors import ReelragError

app = typer.Typer(
    name="reelrag",
    help="Grounded videos from your own image library: ingest, search, generate, batch.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Each module adds its commands with ``register(app)``.
COMMAND_MODULES = (
    "config",
    "ingest",
    "search",
    "library",
    "index",
    "generate",
    "check",
    "batch",
    "jobs",
    "gallery",
    "demo",
    "inpaint",
    "serve",
    "doctor",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"reelrag {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    workspace: Annotated[
        Path | None,
        typer.Option("--workspace", "-w", help="Workspace folder (library, jobs, outputs)."),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log details to stderr.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Resolve global options once; commands read them through ``settings_from``."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    overrides: dict[str, Any] = {"workspace": workspace}
    ctx.obj = {"overrides": {k: v for k, v in overrides.items() if v is not None}}


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"reelrag.cli.{name}").register(app)


_register_commands()


def run() -> None:
    """Console-script entry point."""
    try:
        app()
    except ReelragError as exc:
        err_console.print(labelled("error:", "red", f" {exc}"), highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    run()
