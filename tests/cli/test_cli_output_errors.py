"""An output location that cannot be written gives one error line (no traceback) in every
command that writes: generate, inpaint, batch (once, not per job), gallery and
search --contact-sheet."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from reelrag.cli import main
from reelrag.errors import DiskFullError, NotWritableError, StorageError, from_os_error

runner = CliRunner()


def _writable(folder: Path) -> bool:
    try:
        (folder / "probe").write_bytes(b"")
    except OSError:
        return False
    (folder / "probe").unlink()
    return True


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[Path]:
    """A folder nothing can be written in: mode 0555, or immutable when running as root."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    immutable = False
    if _writable(folder):  # root ignores modes
        immutable = (
            subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
        )
        if not immutable or _writable(folder):
            folder.chmod(0o755)
            pytest.skip("cannot make a folder unwritable here (root without chattr)")
    yield folder
    if immutable:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    folder.chmod(0o755)


def _run(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> str:
    monkeypatch.setattr("sys.argv", ["reelrag", *args])
    with pytest.raises(SystemExit) as exit_info:
        main.run()
    err = capsys.readouterr().err
    assert exit_info.value.code != 0
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photos" / "shoe.jpg"
    path.parent.mkdir()
    Image.new("RGB", (320, 240), (200, 40, 40)).save(path)
    path.with_suffix(".txt").write_text("A red shoe.")  # a file name alone never decides a match
    return path


def test_generate_and_inpaint(
    tmp_path: Path, locked: Path, photo: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    ws = ["--workspace", str(tmp_path / "ws")]
    args = ["generate", "--image", str(photo), "--prompt", "slow zoom in", "--duration", "0.5",
            "--size", "128x96", "--out", str(locked / "clip.mp4")]  # fmt: skip
    err = _run([*ws, *args], capsys, monkeypatch)
    assert str(locked) in err and ".tmp-" not in err
    err = _run([*ws, "inpaint", str(photo), "--box", "10,10,50,50", "--out", str(locked)],
               capsys, monkeypatch)  # fmt: skip
    assert str(locked) in err


def test_batch_says_it_once(
    tmp_path: Path, locked: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    prompts = tmp_path / "p.txt"
    prompts.write_text("Shot <action_prompt>\nTwo <action_prompt>\n")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "outputs").symlink_to(locked)
    args = ["--workspace", str(workspace), "batch", str(prompts), "--backend", "camera",
            "--action", "zoom in"]  # fmt: skip
    err = _run(args, capsys, monkeypatch)
    assert "outputs" in err


def test_contact_sheet_and_gallery(
    tmp_path: Path, locked: Path, photo: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    ws = ["--workspace", str(tmp_path / "ws")]
    assert runner.invoke(main.app, [*ws, "ingest", str(photo.parent)]).exit_code == 0
    _run([*ws, "search", "shoe", "--contact-sheet", str(locked / "sheet.png")], capsys, monkeypatch)
    made = runner.invoke(main.app, [*ws, "generate", "--image", str(photo), "--prompt", "zoom in",
                                    "--duration", "0.5", "--size", "128x96"])  # fmt: skip
    assert made.exit_code == 0, made.output
    _run([*ws, "gallery", "--out", str(locked)], capsys, monkeypatch)


@pytest.mark.parametrize(
    ("code", "cls", "words"),
    [(errno.EACCES, NotWritableError, "permission denied"),
     (errno.EROFS, NotWritableError, "read-only file system"),
     (errno.ENOSPC, DiskFullError, "no space left"), (errno.EDQUOT, DiskFullError, "quota"),
     (errno.ENAMETOOLONG, StorageError, "too long"), (errno.EMLINK, StorageError, "cannot use")],
)  # fmt: skip
def test_each_os_error_kind_maps_to_one_line(code: int, cls: type, words: str) -> None:
    error = from_os_error(OSError(code, os.strerror(code), "/out/.tmp-x1.mp4"))
    assert isinstance(error, cls) and words in str(error) and "\n" not in str(error)
    assert "/out" in str(error) and ".tmp-" not in str(error)
