"""``reelrag ingest`` and ``reelrag library`` through the Typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from reelrag.cli.main import app
from reelrag.errors import NotFoundError

runner = CliRunner()


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.new("RGB", (40, 30), (220, 30, 30)).save(folder / "red_shoes.jpg")
    (folder / "red_shoes.txt").write_text("A pair of red shoes on a white floor")
    Image.new("RGB", (30, 40), (30, 30, 220)).save(folder / "blue_car.png")
    return folder


def _run(workspace: Path, *args: str):
    return runner.invoke(app, ["--workspace", str(workspace), *args])


def test_ingest_then_list_show_remove(tmp_path: Path, photos: Path) -> None:
    ws = tmp_path / "ws"
    result = _run(ws, "ingest", str(photos), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 2

    again = _run(ws, "ingest", str(photos))
    assert again.exit_code == 0 and "unchanged" in again.stdout

    listed = json.loads(_run(ws, "library", "list", "--json").stdout)
    assert [a["caption_source"] for a in listed] == ["filename", "sidecar"]
    assert len(json.loads(_run(ws, "library", "list", "--limit", "1", "--json").stdout)) == 1

    shoes = next(a for a in listed if a["caption_source"] == "sidecar")
    shown = json.loads(_run(ws, "library", "show", shoes["id"][:8], "--json").stdout)
    assert shown["caption"] == "A pair of red shoes on a white floor"
    assert shown["sources"] == [str(photos / "red_shoes.jpg")]
    assert Path(shown["thumbnail_path"]).is_file()

    table = _run(ws, "library", "show", shoes["id"][:8])
    assert table.exit_code == 0 and "sidecar" in table.stdout

    removed = _run(ws, "library", "remove", shoes["id"][:8])
    assert removed.exit_code == 0 and "untouched" in removed.stdout
    assert (photos / "red_shoes.jpg").is_file()
    missing = _run(ws, "library", "show", shoes["id"][:8])
    assert isinstance(missing.exception, NotFoundError)


def test_ingest_with_failures_exits_1_and_prints_summary(tmp_path: Path, photos: Path) -> None:
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    result = _run(tmp_path / "ws", "ingest", str(photos), str(tmp_path / "absent"), "--json")
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["added"] == 2
    reasons = {Path(f["source"]).name: f["reason"] for f in summary["failed"]}
    assert "damaged or truncated" in reasons["broken.jpg"]  # a JPEG marker, then junk
    assert reasons["absent"] == "does not exist"

    table = _run(tmp_path / "ws", "ingest", str(photos))
    assert table.exit_code == 1 and "broken.jpg" in table.stdout


def test_ingest_of_a_folder_of_folders_hints_at_recursive(tmp_path: Path) -> None:
    parent = tmp_path / "library"
    (parent / "trip").mkdir(parents=True)
    Image.new("RGB", (40, 30), (220, 30, 30)).save(parent / "trip" / "beach.jpg")
    flat = _run(tmp_path / "ws", "ingest", str(parent))
    assert flat.exit_code == 0 and "add --recursive (-r)" in " ".join(flat.stdout.split())
    deep = _run(tmp_path / "ws", "ingest", str(parent), "-r")
    assert deep.exit_code == 0 and "--recursive" not in deep.stdout
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    assert "--recursive" not in _run(tmp_path / "ws2", "ingest", str(empty)).stdout


def test_library_list_empty(tmp_path: Path) -> None:
    result = _run(tmp_path / "ws", "library", "list")
    assert result.exit_code == 0 and "empty" in result.stdout
