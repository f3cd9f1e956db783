"""The CLI shows messages and user text verbatim (brackets are not console markup)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from reelrag.cli import main
from reelrag.cli.main import app
from reelrag.errors import ReelragError


def test_error_line_keeps_brackets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail() -> None:
        hint = "pip install 'reelrag[web]'"
        raise ReelragError("cannot read [/red] photo [final].jpg", hint=hint)

    monkeypatch.setattr(main, "app", fail)
    with pytest.raises(SystemExit) as exit_info:
        main.run()
    err = " ".join(capsys.readouterr().err.split())
    assert exit_info.value.code != 0
    assert "cannot read [/red] photo [final].jpg" in err and "reelrag[web]" in err


runner = CliRunner()


def test_user_text_prints_verbatim(tmp_path: Path) -> None:
    """Paths and captions with brackets: the ingest failure line, the library table and the
    generate summary show them as they are (console markup used to eat "[red]..." and "[1]")."""
    photos = tmp_path / "photos [2024]"
    photos.mkdir()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(photos / "shoe.jpg")
    (photos / "shoe.txt").write_text("red shoe [bold]sale[/bold]")
    (photos / "[red]broken.jpg").write_bytes(b"not a jpeg")
    ws = ["--workspace", str(tmp_path / "ws")]

    ingest = runner.invoke(app, [*ws, "ingest", str(photos)])
    assert ingest.exit_code == 1, ingest.output  # one file failed; the other was added
    assert "[red]broken.jpg" in " ".join(ingest.stdout.split())

    listing = runner.invoke(app, [*ws, "library", "list"], env={"COLUMNS": "200"})
    assert "red shoe [bold]sale[/bold]" in listing.stdout

    out = tmp_path / "clip [final].mp4"
    args = ["--image", str(photos / "shoe.jpg"), "--prompt", "slow zoom in", "--out", str(out)]
    made = runner.invoke(app, [*ws, "generate", *args, "--duration", "0.5", "--size", "128x96"])
    assert made.exit_code == 0, made.output
    assert out.is_file() and f"wrote {out}" in " ".join(made.stdout.split())
