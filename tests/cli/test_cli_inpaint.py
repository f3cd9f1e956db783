"""``reelrag inpaint`` through the Typer app and the console entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data
from typer.testing import CliRunner

from reelrag.cli.main import app
from reelrag.errors import CapabilityError, InputError, OutputExistsError

runner = CliRunner()
PHOTO = Image.fromarray(data.chelsea())  # 451x300


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "cat.jpg"
    PHOTO.save(path, quality=95)
    return path


def _run(workspace: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--workspace", str(workspace), "inpaint", *args])


def test_boxes_preview_and_json(tmp_path: Path, photo: Path) -> None:
    ws = tmp_path / "ws"
    before = photo.read_bytes()
    result = _run(
        ws,
        str(photo),
        "--box",
        "200,80,60,50",
        "--box",
        "20,20,30,30",
        "--variants",
        "2",
        "--preview",
        "--json",
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    folder = Path(out["folder"])
    assert folder.parent == ws / "outputs" / "edits"
    assert sorted(p.name for p in folder.iterdir()) == [
        "manifest.json",
        "mask.png",
        "preview.png",
        "variant-1.png",
        "variant-2.png",
    ]
    mask = np.asarray(Image.open(folder / "mask.png"))
    assert np.count_nonzero(mask) == 60 * 50 + 30 * 30
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["mask"]["spec"]["boxes"] == ["200,80,60,50", "20,20,30,30"]
    assert manifest["backend"] == "opencv" and out["best"] == manifest["best"]
    assert photo.read_bytes() == before


def test_polygon_and_table_output(tmp_path: Path, photo: Path) -> None:
    poly = tmp_path / "p.json"
    poly.write_text(json.dumps({"polygons": [[[200, 80], [300, 90], [260, 200]]]}))
    result = _run(tmp_path / "ws", str(photo), "--polygon", str(poly), "--out", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output
    assert "variant (best)" in result.stdout and "manifest" in result.stdout
    assert (tmp_path / "o" / "variant-1.png").is_file()


def test_grey_mask_threshold_flag_is_recorded(tmp_path: Path, photo: Path) -> None:
    soft = np.zeros((300, 451), np.uint8)
    soft[100:150, 200:260] = 200
    Image.fromarray(soft).save(tmp_path / "m.png")
    result = _run(
        tmp_path / "ws",
        str(photo),
        "--mask",
        str(tmp_path / "m.png"),
        "--threshold",
        "150",
        "--out",
        str(tmp_path / "o"),
        "--json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "o" / "manifest.json").read_text())["mask"]["report"]
    assert report["threshold"] == 150 and report["grey_pixels"] == 50 * 60
    low = _run(
        tmp_path / "ws",
        str(photo),
        "--mask",
        str(tmp_path / "m.png"),
        "--threshold",
        "250",
        "--out",
        str(tmp_path / "o2"),
    )
    assert isinstance(low.exception, InputError) and "empty" in str(low.exception)


def test_errors_are_clear(tmp_path: Path, photo: Path) -> None:
    ws = tmp_path / "ws"
    cases = [
        ((str(photo),), InputError, "no mask given"),
        ((str(photo), "--box", "1,2,3"), InputError, "x,y,w,h"),
        ((str(photo), "--box", "1,1,5,5", "--prompt", "a hat"), CapabilityError, "cannot paint"),
        ((str(photo), "--mask-prompt", "the cat"), CapabilityError, "from text"),
        (
            (str(photo), "--box", "1,1,5,5", "--mask-prompt", "x", "--backend", "bedrock"),
            InputError,
            "not both",
        ),
        ((str(tmp_path / "missing.jpg"), "--box", "1,1,5,5"), InputError, "does not exist"),
        (("--box", "1,1,5,5"), InputError, "exactly one of IMAGE"),
    ]
    for args, error, match in cases:
        result = _run(ws, *args)
        assert isinstance(result.exception, error), (args, result.output)
        assert match in str(result.exception), (args, str(result.exception))


def test_existing_outputs_need_overwrite(tmp_path: Path, photo: Path) -> None:
    args = (str(photo), "--box", "10,10,20,20", "--out", str(tmp_path / "o"))
    assert _run(tmp_path / "ws", *args).exit_code == 0
    again = _run(tmp_path / "ws", *args)
    assert isinstance(again.exception, OutputExistsError)
    assert _run(tmp_path / "ws", *args, "--overwrite").exit_code == 0


def test_asset_from_the_library(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    PHOTO.save(photos / "cat.png")
    ws = tmp_path / "ws"
    ingested = runner.invoke(app, ["--workspace", str(ws), "ingest", str(photos), "--json"])
    assert ingested.exit_code == 0, ingested.output
    listed = json.loads(
        runner.invoke(app, ["--workspace", str(ws), "library", "list", "--json"]).stdout
    )
    asset_id = listed[0]["id"]
    result = _run(ws, "--asset", asset_id[:10], "--box", "200,80,60,50", "--json")
    assert result.exit_code == 0, result.output
    manifest = json.loads(Path(json.loads(result.stdout)["manifest"]).read_text())
    assert manifest["source"]["path_or_asset"] == f"asset:{asset_id}"
    assert Path(json.loads(result.stdout)["folder"]).name.startswith(asset_id[:12])


def test_console_script_prints_one_line_errors(tmp_path: Path, photo: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from reelrag.cli.main import run; run()",
            "--workspace",
            str(tmp_path / "ws"),
            "inpaint",
            str(photo),
            "--box",
            "0,0,451,300",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: the mask covers the whole image")
    assert "Traceback" not in proc.stderr
