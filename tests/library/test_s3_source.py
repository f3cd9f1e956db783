"""``source.s3``: scanning and reading ``s3://`` images through moto (in-process S3)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from reelrag.errors import DecodeError
from reelrag.library.library import Library
from reelrag.library.s3source import S3Source
from reelrag.library.sources import ScanProblem, SourceFile, open_source
from reelrag.settings import load_settings

BUCKET = "reelrag-photos"


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def s3(moto_s3: Any) -> Any:
    client = moto_s3
    client.create_bucket(Bucket=BUCKET)
    objects = {
        "photos/red.jpg": _jpeg((200, 0, 0)),
        "photos/blue.JPG": _jpeg((0, 0, 200)),
        "photos/notes.txt": b"not an image",
        "photos/.hidden.jpg": _jpeg((1, 1, 1)),
        "photos/sub/green.jpg": _jpeg((0, 200, 0)),
        "photos/broken.png": b"\x89PNG but not really",
        "photos-other/x.jpg": _jpeg((9, 9, 9)),
    }
    for key, data in objects.items():
        client.put_object(Bucket=BUCKET, Key=key, Body=data)
    return client


def _source() -> S3Source:
    source = open_source("s3://x", load_settings({"aws_region": "us-east-1"}, environ={}))
    assert isinstance(source, S3Source)
    return source


def _names(entries: Any) -> list[str]:
    return sorted(
        e.uri.removeprefix(f"s3://{BUCKET}/") for e in entries if isinstance(e, SourceFile)
    )


def test_folder_scan_lists_images_only_and_recurses_on_request(s3: Any) -> None:
    source = _source()
    flat = list(source.scan(f"s3://{BUCKET}/photos"))
    assert _names(flat) == ["photos/blue.JPG", "photos/broken.png", "photos/red.jpg"]
    deep = list(source.scan(f"s3://{BUCKET}/photos/", recursive=True))
    assert _names(deep) == [*_names(flat), "photos/sub/green.jpg"]  # not photos-other/
    entry = next(e for e in flat if isinstance(e, SourceFile) and e.name == "red.jpg")
    assert entry.folder == f"s3://{BUCKET}/photos" and entry.size > 0 and entry.mtime_ns > 0


def test_single_object_and_globs(s3: Any) -> None:
    source = _source()
    assert _names(source.scan(f"s3://{BUCKET}/photos/notes.txt")) == ["photos/notes.txt"]
    assert _names(source.scan(f"s3://{BUCKET}/photos/*.jpg")) == [
        "photos/.hidden.jpg",
        "photos/red.jpg",
    ]
    assert _names(source.scan(f"s3://{BUCKET}/photos/**.jpg")) == [
        "photos/.hidden.jpg", "photos/red.jpg", "photos/sub/green.jpg"
    ]  # fmt: skip


def test_problems_are_reported_not_raised(s3: Any) -> None:
    source = _source()
    [missing] = source.scan(f"s3://{BUCKET}/nothing-here")
    assert isinstance(missing, ScanProblem) and "no such object" in missing.reason
    [no_match] = source.scan(f"s3://{BUCKET}/photos/*.gif")
    assert isinstance(no_match, ScanProblem) and "match" in no_match.reason
    [no_bucket] = source.scan("s3://reelrag-no-such-bucket/photos")
    assert isinstance(no_bucket, ScanProblem) and "not found" in no_bucket.reason


def test_read_and_stat(s3: Any) -> None:
    source = _source()
    uri = f"s3://{BUCKET}/photos/red.jpg"
    assert source.read_bytes(uri)[:2] == b"\xff\xd8"
    assert source.stat(uri) is not None and source.stat(uri + ".gone") is None
    with pytest.raises(DecodeError, match="does not exist"):
        source.read_bytes(uri + ".gone")


def test_ingest_from_s3_keeps_going_past_a_bad_object(s3: Any, tmp_path: Path) -> None:
    library = Library(
        load_settings({"workspace": tmp_path / "ws", "aws_region": "us-east-1"}, environ={})
    )
    report = library.ingest(f"s3://{BUCKET}/photos", recursive=True)
    assert report.added == 3 and [s for s, _ in report.failed] == [
        f"s3://{BUCKET}/photos/broken.png"
    ]
    sources = {a.source for a in library.index.list_assets()}
    assert f"s3://{BUCKET}/photos/sub/green.jpg" in sources
    again = library.ingest(f"s3://{BUCKET}/photos", recursive=True)
    assert again.unchanged == 3 and again.added == 0
    assert s3.get_object(Bucket=BUCKET, Key="photos/red.jpg")["Body"].read()[:2] == b"\xff\xd8"
