"""The repository keeps its reference docs in step with the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_cli_reference_is_up_to_date() -> None:
    generated = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "clidocs.py")],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    committed = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert generated == committed, "docs/cli.md is stale: run `make clidocs`"


def test_changelog_has_an_unreleased_section() -> None:
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
