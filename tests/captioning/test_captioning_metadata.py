"""The metadata captioner: sidecar > metadata file > IPTC/XMP > file name, keywords merged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelrag.captioning.base import CaptionInput
from reelrag.captioning.metadata import MetadataCaptioner, words_from_name


def _item(path: Path, metadata: dict | None = None) -> CaptionInput:
    return CaptionInput(str(path), path.name, "0" * 64, metadata or {})


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "footwear"
    folder.mkdir()
    return folder


def test_sidecar_wins_over_everything(folder: Path) -> None:
    (folder / "a.txt").write_text("  Red shoes\non a wooden   floor \n", encoding="utf-8")
    (folder / "metadata.jsonl").write_text(json.dumps({"file_name": "a.jpg", "text": "x"}))
    caption = MetadataCaptioner().caption_one(_item(folder / "a.jpg", {"iptc_caption": "y"}))
    assert (caption.text, caption.source) == ("Red shoes on a wooden floor", "sidecar")
    assert "footwear" in caption.keywords


def test_metadata_jsonl_with_keywords(folder: Path) -> None:
    rows = [
        {"file_name": "a.jpg", "caption": "A blue bicycle", "tags": ["bike", "Blue"]},
        "not an object",
    ]
    text = "\n".join(json.dumps(r) for r in rows) + "\n{broken json\n"
    (folder / "metadata.jsonl").write_text(text, encoding="utf-8")
    caption = MetadataCaptioner().caption_one(_item(folder / "a.jpg", {"iptc_keywords": ["x1"]}))
    assert (caption.text, caption.source) == ("A blue bicycle", "metadata-file")
    assert caption.keywords == ("bike", "blue", "x1", "footwear")


def test_metadata_csv_parsed_once_per_folder_until_edited(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reelrag.captioning import metadata

    (folder / "metadata.csv").write_text(
        'file_name,description,keywords\na.jpg,"A red kite",kite; sky\nb.jpg,A green kite,\n',
        encoding="utf-8",
    )
    parses: list[Path] = []
    real_load = metadata.load_metadata_table
    monkeypatch.setattr(metadata, "load_metadata_table", lambda f: parses.append(f) or real_load(f))
    captioner = MetadataCaptioner()
    first = captioner.caption_one(_item(folder / "a.jpg"))
    second = captioner.caption_one(_item(folder / "b.jpg"))
    assert (first.text, first.keywords[:2]) == ("A red kite", ("kite", "sky"))
    assert (second.text, second.source) == ("A green kite", "metadata-file")
    assert parses == [folder]  # one parse for the folder
    (folder / "metadata.csv").write_text("file_name,description\nb.jpg,A yellow kite\n")
    assert captioner.caption_one(_item(folder / "b.jpg")).text == "A yellow kite"  # re-read


def test_embedded_iptc_then_xmp(folder: Path) -> None:
    meta = {"iptc_caption": "Harbour at dawn", "xmp_description": "other", "xmp_subject": ["sea"]}
    captioner = MetadataCaptioner()
    iptc = captioner.caption_one(_item(folder / "a.jpg", meta))
    xmp = captioner.caption_one(_item(folder / "b.jpg", {"xmp_description": "A lighthouse"}))
    assert (iptc.text, iptc.source, iptc.keywords) == (
        "Harbour at dawn",
        "iptc",
        ("sea", "footwear"),
    )
    assert (xmp.text, xmp.source) == ("A lighthouse", "xmp")


def test_filename_fallback_drops_camera_noise(folder: Path) -> None:
    caption = MetadataCaptioner().caption_one(_item(folder / "IMG_0042_redShoes-beach2.jpg"))
    assert (caption.text, caption.source) == ("red shoes beach", "filename")
    assert caption.keywords == ("red", "shoes", "beach", "footwear")
    empty = MetadataCaptioner().caption_one(_item(folder / "DSC_01234.JPG"))
    assert (empty.text, empty.source) == ("", "filename")


def test_remote_uri_uses_name_only() -> None:
    item = CaptionInput("s3://bucket/pets/happyDog.jpg", "happyDog.jpg", "0" * 64)
    caption = MetadataCaptioner().caption_one(item)
    assert (caption.text, caption.source) == ("happy dog", "filename")


@pytest.mark.parametrize(
    ("stem", "words"),
    [("red_shoes", ["red", "shoes"]), ("HTTPServer2x", ["http", "server"]), ("2024-01-01", [])],
)
def test_words_from_name(stem: str, words: list[str]) -> None:
    assert words_from_name(stem) == words
