"""Ingest of a carelessly (or hostilely) filled folder: it finishes, reports, keeps going."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image

from reelrag.library import open_library


def _photo(path: Path, color: tuple[int, int, int]) -> None:
    Image.new("RGB", (64, 48), color).save(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_sidecar_bad_rows_and_a_non_utf8_name(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    _photo(folder / "kite.jpg", (200, 30, 30))
    _photo(folder / "shoes.jpg", (30, 200, 30))
    _photo(folder / "bike.jpg", (30, 30, 200))
    os.mkfifo(folder / "kite.txt")
    (folder / "metadata.csv").write_text(
        "file_name,text\nshoes.jpg,Red shoes, on sand\nbike.jpg,A blue bike\n", encoding="utf-8"
    )
    odd = os.path.join(os.fsencode(folder), b"caf\xe9.jpg")  # Latin-1 bytes: not UTF-8
    _photo(Path(os.fsdecode(odd)), (90, 90, 90))
    report = open_library(tmp_path / "ws").ingest(folder)
    assert report.added == 3, report.to_dict()
    [(source, reason)] = report.failed
    assert source.endswith("caf\\xe9.jpg") and "not valid UTF-8" in reason
    json.dumps(report.to_dict(), ensure_ascii=False).encode("utf-8")  # printable and storable
