"""Control characters in file names and user text reach the terminal as visible escapes."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reelrag.cli import main
from reelrag.cli.main import app
from reelrag.cli.visible import VisibleFormatter, visible_json
from reelrag.errors import ReelragError

EVIL = "x\x1b]0;owned\x07\x1b[2J\rerror: forged\n\x9b31m.jpg"
runner = CliRunner()


def _clean(text: str) -> None:
    for char in ("\x1b", "\x07", "\r", "\x9b"):
        assert char not in text, repr(text)
    assert not any(line.lstrip().startswith("error: forged") for line in text.splitlines())


def test_ingest_failure_lines_and_tables_escape_a_hostile_name(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / EVIL).write_bytes(b"not an image")
    result = runner.invoke(
        app, ["--workspace", str(tmp_path / "ws"), "ingest", str(photos)], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 1, result.output
    _clean(result.stdout)
    assert (
        "\\x1b]0;owned\\x07" in result.stdout and "\\rerror: forged\\n\\x9b31m.jpg" in result.stdout
    )
    as_json = runner.invoke(
        app, ["--workspace", str(tmp_path / "ws"), "ingest", str(photos), "--json"]
    )
    _clean(as_json.stdout)
    [failure] = json.loads(as_json.stdout)["failed"]
    assert failure["source"].endswith(EVIL)  # the same value, escaped only in its JSON text


def test_error_line_escapes_control_characters(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail() -> None:
        raise ReelragError(f"cannot read {EVIL}", hint="check the file")

    monkeypatch.setattr(main, "app", fail)
    with pytest.raises(SystemExit):
        main.run()
    err = capsys.readouterr().err
    _clean(err)
    assert len(err.strip().splitlines()) <= 2  # one error line (soft-wrapped at most)


def test_log_lines_and_json_are_visible() -> None:
    record = logging.LogRecord(
        "reelrag", logging.WARNING, __file__, 1, "ignoring %s", (EVIL,), None
    )
    line = VisibleFormatter("%(levelname)s %(message)s").format(record)
    _clean(line)
    assert "\n" not in line
    text = visible_json(json.dumps({"name": EVIL + "\udcff"}, ensure_ascii=False))
    _clean(text)
    text.encode("utf-8")
    assert json.loads(text)["name"] == EVIL + "\udcff"


def test_multi_line_messages_keep_their_own_lines(tmp_path: Path, sample_photos: Path) -> None:
    """Lines the CLI itself breaks (a refusal and its reason; a clip and its QA verdict) stay
    separate lines, not one line with a visible ``\\n``."""
    ws = ["--workspace", str(tmp_path / "ws")]
    assert runner.invoke(app, [*ws, "ingest", str(sample_photos), "-r"]).exit_code == 0
    refused = runner.invoke(app, [*ws, "search", "a red sports car"], env={"COLUMNS": "300"})
    assert "\\n" not in refused.stdout, refused.stdout
    lines = refused.stdout.splitlines()  # the console may wrap long lines at its own width
    assert lines[0].startswith("no good match for 'a red sports car'")
    assert any(line.startswith("  why: match ") for line in lines[1:]), lines
    assert "caption names no sports car" in " ".join(refused.stdout.split())
    assert any(line.startswith("  next: ") for line in lines), lines
    after = " ".join(refused.stdout.split()).split(" next: ", 1)
    assert len(after) == 2 and "(match " in after[1]  # the next candidate's own why
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("<object_prompt>. <action_prompt>.\n", encoding="utf-8")
    batch = runner.invoke(
        app, [*ws, "batch", str(prompts), "--object", "a ginger cat", "--action", "zoom in"],
        env={"COLUMNS": "300"},
    )  # fmt: skip
    assert batch.exit_code == 0, batch.stdout
    assert "\\n" not in batch.stdout and "QA PASS" in batch.stdout, batch.stdout
