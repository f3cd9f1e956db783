"""Caption coverage at ingest, in ``reelrag library`` and when search refuses."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from reelrag.cli.main import app
from reelrag.library import open_library
from reelrag.library.coverage import Coverage

runner = CliRunner()


def _roll(folder: Path, count: int) -> Path:
    """``count`` uncaptioned camera-roll files: DCIM/100APPLE/IMG_0001.jpg ..."""
    roll = folder / "DCIM" / "100APPLE"
    roll.mkdir(parents=True)
    for i in range(count):
        Image.new("RGB", (64, 48), (40 * i % 255, 90, 160)).save(roll / f"IMG_{i + 1:04d}.jpg")
    return folder


def test_uncaptioned_library_warns_at_ingest_and_at_refusal(tmp_path: Path) -> None:
    photos = _roll(tmp_path / "photos", 4)
    (photos / "DCIM" / "100APPLE" / "IMG_0001.txt").write_text("A red apple on a table.")
    ws = ["-w", str(tmp_path / "ws")]
    ingest = runner.invoke(app, [*ws, "ingest", "-r", str(photos)])
    assert ingest.exit_code == 0, ingest.output
    assert "1 of 4 assets captioned (none 3, sidecar 1)" in ingest.stdout
    assert "search can match only file and folder names" in ingest.stdout
    assert "--captioner bedrock" in ingest.stdout and 'embedder = "clip"' in ingest.stdout
    refused = runner.invoke(app, [*ws, "search", "a dog", "--json"])
    assert refused.exit_code == 3
    data = json.loads(refused.stdout)
    assert "only file and folder names" in data["coverage_warning"]
    assert runner.invoke(app, [*ws, "search", "a red apple"]).exit_code == 0
    shown = runner.invoke(app, [*ws, "library", "coverage", "--json"])
    assert json.loads(shown.stdout)["captioned"] == 1
    listed = runner.invoke(app, [*ws, "library", "list"])
    assert "1 of 4 assets captioned" in listed.stdout


def test_captioned_library_has_no_warning(tmp_path: Path) -> None:
    photos = _roll(tmp_path / "photos", 2)
    for txt in ("IMG_0001.txt", "IMG_0002.txt"):
        (photos / "DCIM" / "100APPLE" / txt).write_text("A blue square.")
    report = open_library(tmp_path / "ws").ingest([str(photos)], recursive=True)
    assert report.coverage == Coverage(2, {"sidecar": 2})
    assert report.coverage_warning is None
    assert report.to_dict()["coverage"]["share"] == 1.0


def test_coverage_summary_and_warning_rules() -> None:
    assert Coverage(0).warning() is None
    mostly = Coverage(10, {"filename": 6, "sidecar": 4})
    assert mostly.mostly_uncaptioned and mostly.warning() is not None
    assert mostly.warning(image_search=True) is None  # pixels are searched: no warning
    assert Coverage(10, {"filename": 5, "iptc": 5}).warning() is None


def test_generate_on_an_uncaptioned_library_says_how_to_caption(tmp_path: Path) -> None:
    photos = _roll(tmp_path / "photos", 3)
    ws = ["-w", str(tmp_path / "ws")]
    assert runner.invoke(app, [*ws, "ingest", "-r", str(photos)]).exit_code == 0
    out = runner.invoke(app, [*ws, "generate", "--object", "apple", "--prompt", "zoom in"])
    assert out.exit_code != 0
    assert "no good match" in str(out.exception)
    assert "only file and folder names" in (out.exception.hint or "")  # type: ignore[union-attr]
