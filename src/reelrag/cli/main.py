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
from reelrag.cli.visible import VisibleFormatter
from reelrag.errors import ReelragError, from_os_error

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
    "verdict",
    "evaluate",
    "fitrule",
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
    "reel",
    "provenance",
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
    no_sign: Annotated[
        bool, typer.Option("--no-sign", help="Write outputs without Content Credentials.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Resolve global options once; commands read them through ``settings_from``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(VisibleFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])
    overrides: dict[str, Any] = {"workspace": workspace, "sign_outputs": False if no_sign else None}
    ctx.obj = {"overrides": {k: v for k, v in overrides.items() if v is not None}}


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"reelrag.cli.{name}").register(app)


_register_commands()


def run() -> None:
    """Console-script entry point."""
    try:
        app()
    except (ReelragError, OSError) as exc:  # an OS error on a file: one line, no traceback
        error = exc if isinstance(exc, ReelragError) else from_os_error(exc)
        err_console.print(labelled("error:", "red", f" {error}"), highlight=False, soft_wrap=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    run()
