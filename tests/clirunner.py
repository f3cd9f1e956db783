"""Run the CLI in-process as the console script runs it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from reelrag.cli.main import app
from reelrag.errors import ReelragError


def run_cli(ws: Path, *args: str) -> tuple[int, str]:
    """``reelrag --workspace WS ARGS``: expected errors become one line and their exit code."""
    result = CliRunner().invoke(app, ["--workspace", str(ws), *args])
    if isinstance(result.exception, ReelragError):
        return result.exception.exit_code, result.output + str(result.exception)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output
