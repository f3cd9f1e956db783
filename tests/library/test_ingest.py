"""Ingest end to end with the real parts: local store, SQLite catalog, MiniLM, LanceDB."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

import imagecorpus
from imagecorpus import Bad, Ok
from reelrag.errors import NotFoundError
from reelrag.events import ProgressEvent
from reelrag.library import IngestReport, Library, open_library
from reelrag.library.catalog import Catalog


@pytest.fixture(scope="module")
def corpus_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Ok | Bad]]:
    folder = tmp_path_factory.mktemp("corpus")
    return folder, imagecorpus.write_corpus(folder)


@pytest.fixture
def corpus(tmp_path: Path, corpus_source: tuple[Path, dict[str, Ok | Bad]]):
    """A private copy of the corpus (symlinks copied as links)."""
    source, expected = corpus_source
    folder = tmp_path / "photos"
    shutil.copytree(source, folder, symlinks=True)
    return folder, expected


def _lib(tmp_path: Path, **overrides: object) -> Library:
    return open_library(tmp_path / "ws", max_image_pixels=50_000_000, **overrides)


def _fingerprint(folder: Path) -> dict[str, tuple[int, str]]:
    out = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.is_symlink():
            out[path.name] = (
                path.stat().st_mtime_ns,
                hashlib.sha256(path.read_bytes()).hexdigest(),
            )
    return out


@pytest.mark.parametrize("batch", [256, 3])  # 3: many batches, one read ahead of the other
def test_corpus_ingest_reports_each_file(tmp_path: Path, corpus, batch: int) -> None:
    folder, expected = corpus
    before = _fingerprint(folder)
    events: list[ProgressEvent] = []
    lib = _lib(tmp_path, ingest_batch=batch)
    report = lib.ingest(folder, progress=events.append)
    good = {n for n, e in expected.items() if isinstance(e, Ok)}
    bad = {n for n, e in expected.items() if isinstance(e, Bad)}
    assert report.added == len(good)
    assert report.new_assets == len(good) - 1  # baseline.jpg and jpeg_named.png share bytes
    assert {Path(s).name for s, _ in report.failed} == bad
    for source, reason in report.failed:
        assert expected[Path(source).name].reason in reason  # type: ignore[union-attr]
    scan_failures = 1  # loop.jpg fails when listed, before it counts as a file to ingest
    assert events[-1].done == events[-1].total == len(good) + len(bad) - scan_failures
    assert lib.index.count() == lib.catalog.count_assets() == len(good) - 1
    assert _fingerprint(folder) == before  # user files never modified


def test_store_objects_and_normalised_copies(tmp_path: Path, corpus) -> None:
    folder, _ = corpus
    lib = _lib(tmp_path, normalized_max_px=40, thumbnail_px=16)
    lib.ingest(folder)
    by_name = {Path(a.source).name: a for a in lib.assets()}
    rot6 = by_name["rot6.jpg"]
    assert lib.store.get_bytes(rot6.original_key) == (folder / "rot6.jpg").read_bytes()
    assert (rot6.width, rot6.height) == (32, 64)
    upright = lib.image(rot6.id)
    assert upright.mode == "RGB" and max(upright.size) <= 40 and upright.height > upright.width
    assert imagecorpus.close(upright.getpixel((upright.width - 2, 1)), imagecorpus.RED, 40)
    thumb = Image.open(lib.thumbnail_path(rot6.id))
    assert thumb.format == "JPEG" and max(thumb.size) == 16
    small = by_name["xmp.jpg"]  # upright RGB baseline JPEG within the limit: reused as is
    assert small.normalized_key == small.original_key
    rgba = by_name["rgba.png"]  # lossless source -> PNG copy, alpha composited onto white
    assert rgba.normalized_key.endswith(".png")
    assert lib.image(rgba.id).getpixel((1, 5)) == imagecorpus.WHITE
    assert by_name["iptc.jpg"].caption_source == "iptc"
    assert by_name["xmp.jpg"].keywords[:2] == ("lighthouse", "coast")


def test_reingest_unchanged_then_changed_then_pruned(tmp_path: Path, corpus) -> None:
    folder, _expected = corpus
    lib = _lib(tmp_path)
    first = lib.ingest(folder)
    again = lib.ingest(folder)
    assert (again.added, again.unchanged, again.updated) == (0, first.added, 0)
    assert len(again.failed) == len(first.failed)

    target = folder / "photo.webp"
    old = lib.get(hashlib.sha256(target.read_bytes()).hexdigest())
    Image.new("RGB", (30, 20), (250, 250, 0)).save(target, "WEBP", lossless=True)
    os.utime(target, ns=(1, 1))  # a different mtime, whatever the clock resolution
    changed = lib.ingest(folder)
    assert (changed.updated, changed.added) == (1, 0)
    with pytest.raises(NotFoundError):
        lib.get(old.id)
    assert lib.index.get(old.id) is None
    assert not lib.store.exists(old.thumbnail_key)

    (folder / "cmyk.jpg").unlink()
    shared = folder / "jpeg_named.png"
    shared.unlink()  # its bytes live on in baseline.jpg: the asset stays
    pruned = lib.ingest(folder, prune=True)
    assert pruned.removed == 2
    assert lib.catalog.count_assets() == lib.index.count() == first.new_assets - 1
    assert lib.sources(lib.assets()[0].id)  # every remaining asset still has a source


def test_interrupted_batch_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    for i, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
        Image.new("RGB", (20, 20), colour).save(folder / f"colour_{'abc'[i]}.png")
    lib = _lib(tmp_path, ingest_batch=2)
    real_commit = Catalog.commit_batch

    def crash(self: Catalog, *args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Catalog, "commit_batch", crash)
    with pytest.raises(KeyboardInterrupt):
        lib.ingest(folder)
    monkeypatch.setattr(Catalog, "commit_batch", real_commit)
    assert lib.catalog.count_sources() == 0  # the "done" marker was never written
    report = lib.ingest(folder)
    assert (report.added, report.failed) == (3, [])
    assert lib.index.count() == 3  # the re-upsert replaced rows, no duplicates


def test_search_get_remove(tmp_path: Path, corpus) -> None:
    folder, _ = corpus
    lib = _lib(tmp_path)
    lib.ingest(folder)
    results = lib.search("lighthouse on the coast", limit=3)
    assert Path(results[0].asset.source).name == "xmp.jpg"
    asset = results[0].asset
    assert lib.get(asset.id[:10]).id == asset.id
    with pytest.raises(NotFoundError, match="no asset"):
        lib.get("zzzz")
    removed = lib.remove(asset.id[:12])
    assert removed.id == asset.id
    assert lib.index.get(asset.id) is None
    assert not lib.store.exists(asset.original_key)
    assert (folder / "xmp.jpg").is_file()
    assert "assets" in repr(lib) and lib.info()["assets"] == lib.catalog.count_assets()


def test_recursive_and_glob(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "sub").mkdir(parents=True)
    Image.new("RGB", (10, 10), (1, 2, 3)).save(root / "top.jpg")
    Image.new("RGB", (10, 10), (9, 8, 7)).save(root / "sub" / "deep.jpg")
    (root / "notes.txt").write_text("not an image")
    lib = _lib(tmp_path)
    assert lib.ingest(root).added == 1
    assert lib.ingest(root, recursive=True).added == 1
    report = lib.ingest(str(root / "**" / "*.jpg"), recursive=True)
    assert (report.added, report.unchanged) == (0, 2)


def test_report_renders() -> None:
    report = IngestReport(added=2, failed=[("/x/a.jpg", "empty file (0 bytes)")], elapsed_s=1.5)
    assert report.to_dict()["failed"] == [{"source": "/x/a.jpg", "reason": "empty file (0 bytes)"}]
    html = report._repr_html_()
    assert "<table>" in html and "empty file" in html and not report.ok


def test_image_of_big_jpeg_is_normalised(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    buf = io.BytesIO()
    Image.new("RGB", (900, 600), (30, 60, 90)).save(buf, "JPEG")
    (folder / "big.jpg").write_bytes(buf.getvalue())
    lib = _lib(tmp_path, normalized_max_px=256)
    lib.ingest(folder)
    asset = lib.assets()[0]
    assert (asset.width, asset.height) == (900, 600)
    # An upright baseline RGB JPEG is its own normalised copy, read at a reduced size.
    assert asset.normalized_key == asset.original_key
    image = lib.image(asset.id)
    assert max(image.size) == 256
    assert image.getpixel((10, 10)) == pytest.approx((30, 60, 90), abs=3)
