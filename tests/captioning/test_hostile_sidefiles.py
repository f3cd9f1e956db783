"""Side files written by someone else: FIFOs, endless devices, huge files, broken rows and bytes."""

from __future__ import annotations

import json
import logging
import os
import threading
import tracemalloc
from pathlib import Path

import pytest

from reelrag.captioning.base import Caption, CaptionInput
from reelrag.captioning.metadata import MetadataCaptioner
from reelrag.library.captionsig import CaptionSignatures
from reelrag.library.sources import FileSource, SourceFile


def _item(path: Path) -> CaptionInput:
    return CaptionInput(str(path), path.name, "0" * 64, {})


def _caption_within(path: Path, seconds: float = 5.0) -> Caption:
    out: list[Caption] = []
    thread = threading.Thread(
        target=lambda: out.append(MetadataCaptioner().caption_one(_item(path))), daemon=True
    )
    thread.start()
    thread.join(seconds)
    assert out, f"captioning {path.name} did not return within {seconds}s"
    return out[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_sidecar_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "photo.txt")
    caption = _caption_within(tmp_path / "photo.jpg")
    assert caption.source == "filename"


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_sidecar_linked_to_dev_zero_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "beach.txt").symlink_to("/dev/zero")
    (tmp_path / "metadata.jsonl").symlink_to("/dev/zero")
    caption = _caption_within(tmp_path / "beach.jpg")
    assert (caption.text, caption.source) == ("beach", "filename")


def test_huge_sidecar_is_read_only_as_far_as_a_caption_goes(tmp_path: Path) -> None:
    sidecar = tmp_path / "kite.txt"
    with sidecar.open("wb") as handle:
        handle.write(b"A red kite over the dunes " * 100)
        handle.truncate(400 * 1024 * 1024)  # 400 MB, sparse: costs no disk
    tracemalloc.start()
    try:
        caption = MetadataCaptioner().caption_one(_item(tmp_path / "kite.jpg"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caption.source == "sidecar" and caption.text.startswith("A red kite over the dunes")
    assert peak < 2 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB while reading a 400 MB sidecar"


def test_csv_row_with_extra_cells_is_reported_and_the_rest_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "metadata.csv").write_text(
        "file_name,text\na.jpg,A red kite\nb.jpg,shoes, on sand,extra\nc.jpg,A blue bike\n",
        encoding="utf-8",
    )
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        (tmp_path / name).write_bytes(b"x")
    with caplog.at_level(logging.WARNING):
        captioner = MetadataCaptioner()
        texts = [captioner.caption_one(_item(tmp_path / n)).text for n in ("a.jpg", "c.jpg")]
        signatures = CaptionSignatures(enabled=True)  # once crashed sorting a None key
        entry = FileSource().stat(str(tmp_path / "b.jpg"))
        assert isinstance(entry, SourceFile)
        assert signatures.of(entry) == ""
    assert texts == ["A red kite", "A blue bike"]
    assert "metadata.csv line 3 has more cells than the header" in caplog.text


def test_one_bad_byte_in_jsonl_drops_only_its_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = [json.dumps({"file_name": f"{n}.jpg", "text": f"caption {n}"}).encode() for n in "abc"]
    lines[1] = lines[1].replace(b"caption b", b"caption \xff b")
    (tmp_path / "metadata.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    with caplog.at_level(logging.WARNING):
        captioner = MetadataCaptioner()
        captions = {n: captioner.caption_one(_item(tmp_path / f"{n}.jpg")) for n in "abc"}
    assert captions["a"].text == "caption a" and captions["c"].text == "caption c"
    assert captions["b"].source == "filename"
    assert "metadata.jsonl line 2 is not UTF-8" in caplog.text
