"""``ingest --reindex`` and caption-change detection, with the real store, catalog and LanceDB.

The real MiniLM embedder is used for the normal path; switching embedders uses a tiny hashed
bag-of-words embedder registered for the test only.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from reelrag.cli.main import app
from reelrag.embeddings.base import Embedder, EmbedderIdentity
from reelrag.errors import IndexMismatchError, InputError
from reelrag.index.lance.index import LanceIndex
from reelrag.library import Library, open_library
from reelrag.library import ingest as ingest_module
from reelrag.library.sources import FileSource
from reelrag.plugins import registry

COLOURS = {"shoes": (200, 30, 30), "kite": (30, 200, 30), "boat": (30, 30, 200)}


class TinyEmbedder(Embedder):
    """Words hashed into 32 dimensions: a different identity from MiniLM, and fast."""

    identity = EmbedderIdentity(name="tiny", model="test/hashed-words", dim=32)

    @classmethod
    def from_settings(cls, settings: Any) -> TinyEmbedder:
        return cls()

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), 32), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, int(hashlib.sha256(word.encode()).hexdigest(), 16) % 32] += 1.0
            out[row, 0] += 1e-3  # never a zero vector
        return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture
def tiny_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry._targets, "embedder.tiny", TinyEmbedder)


def _photos(folder: Path, captions: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    for name, caption in captions.items():
        Image.new("RGB", (24, 16), COLOURS[name]).save(folder / f"{name}.png")
        (folder / f"{name}.txt").write_text(caption)
    return folder


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    return _photos(
        tmp_path / "photos",
        {"shoes": "red shoes on a floor", "kite": "a green kite in the sky"},
    )


def _lib(tmp_path: Path, **overrides: Any) -> Library:
    return open_library(tmp_path / "ws", **overrides)


def _store_stamps(lib: Library) -> dict[str, int]:
    root = Path(lib.store.uri.removeprefix("file://"))
    return {str(p): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def _by_name(lib: Library) -> dict[str, Any]:
    return {Path(a.source).stem: a for a in lib.assets()}


def _bump(path: Path, text: str) -> None:
    """Rewrite ``path`` with a clearly different mtime, whatever the clock resolution."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_reindex_after_switching_embedders_starts_the_index_afresh(
    tmp_path: Path, photos: Path, tiny_registered: None
) -> None:
    first = _lib(tmp_path)
    assert first.ingest(photos).added == 2
    stamps = _store_stamps(first)
    first.close()

    lib = _lib(tmp_path, embedder="tiny")
    with pytest.raises(IndexMismatchError) as info:
        lib.search("red shoes")
    assert "reelrag ingest --reindex" in (info.value.hint or "")
    assert lib.ingest(photos).unchanged == 2  # a plain ingest has nothing to do

    lib = _lib(tmp_path, embedder="tiny")
    report = lib.ingest(photos, reindex=True)
    assert (report.reindexed, report.added, report.updated, report.failed) == (2, 0, 0, [])
    assert report.index_reset and report.not_reindexed == 0
    assert lib.index.info().embedder == TinyEmbedder.identity.key()
    assert lib.index.count() == 2
    hit = lib.search("green kite", limit=1)[0]
    assert Path(hit.asset.source).stem == "kite"
    assert _store_stamps(lib) == stamps  # existing store objects were not rewritten

    again = _lib(tmp_path, embedder="tiny").ingest(photos, reindex=True)
    assert again.reindexed == 2 and not again.index_reset  # same embedder: rows replaced


def test_reindex_refills_a_dropped_index_and_counts_what_it_left_out(
    tmp_path: Path, photos: Path
) -> None:
    others = _photos(tmp_path / "others", {"boat": "a blue boat in a harbour"})
    lib = _lib(tmp_path)
    lib.ingest([photos, others])
    LanceIndex.drop(lib.settings)
    LanceIndex.drop(lib.settings)  # dropping what is gone is fine

    lib = _lib(tmp_path)
    assert lib.ingest(photos).unchanged == 2 and lib.index.count() == 0  # the old problem
    partial = lib.ingest(photos, reindex=True)
    assert (partial.reindexed, partial.not_reindexed) == (2, 1)
    assert lib.index.count() == 2

    everything = lib.ingest(reindex=True)  # no PATH: every catalogued file
    assert (everything.reindexed, everything.not_reindexed, everything.failed) == (3, 0, [])
    assert lib.index.count() == lib.catalog.count_assets() == 3
    assert Path(lib.search("boat harbour", limit=1)[0].asset.source).stem == "boat"


def test_reindex_without_paths_reports_gone_files_one_line_each(
    tmp_path: Path, photos: Path
) -> None:
    lib = _lib(tmp_path)
    lib.ingest(photos)
    (photos / "kite.png").unlink()
    report = lib.ingest(reindex=True)
    assert report.reindexed == 1 and report.not_reindexed == 1
    [(source, reason)] = report.failed
    assert source == str(photos / "kite.png")
    assert "gone" in reason and "--prune" in reason and "\n" not in reason
    with pytest.raises(InputError, match="no folders"):
        lib.ingest([])


def test_reindex_restores_missing_store_objects(tmp_path: Path, photos: Path) -> None:
    lib = _lib(tmp_path)
    lib.ingest(photos)
    shoes = _by_name(lib)["shoes"]
    lib.store.delete(shoes.thumbnail_key)
    report = lib.ingest(photos, reindex=True)
    assert report.reindexed == 2
    assert lib.store.exists(shoes.thumbnail_key)
    assert lib.get(shoes.id).ingested_at == shoes.ingested_at


def test_sidecar_edit_recaptions_and_is_searchable(tmp_path: Path, photos: Path) -> None:
    lib = _lib(tmp_path)
    lib.ingest(photos)
    stamps = _store_stamps(lib)
    _bump(photos / "shoes.txt", "a purple giraffe wearing sneakers")
    report = lib.ingest(photos)
    assert (report.updated, report.unchanged, report.added, report.new_assets) == (1, 1, 0, 0)
    shoes = _by_name(lib)["shoes"]
    assert shoes.caption == "a purple giraffe wearing sneakers"
    assert lib.index.get(shoes.id).caption == shoes.caption  # type: ignore[union-attr]
    hits = lib.search("purple giraffe", limit=1, mode="text")
    assert hits[0].asset.id == shoes.id
    assert _store_stamps(lib) == stamps  # image bytes were not stored again
    assert lib.ingest(photos).unchanged == 2  # recorded: the next run skips it

    (photos / "shoes.txt").unlink()  # no sidecar any more: back to the file name
    assert lib.ingest(photos).updated == 1
    assert _by_name(lib)["shoes"].caption_source == "filename"


def test_metadata_jsonl_edit_recaptions_only_the_edited_row(tmp_path: Path) -> None:
    folder = tmp_path / "meta"
    folder.mkdir()
    for name in COLOURS:
        Image.new("RGB", (16, 16), COLOURS[name]).save(folder / f"{name}.png")
    rows = {name: {"file_name": f"{name}.png", "text": f"a photo of a {name}"} for name in COLOURS}
    _bump(folder / "metadata.jsonl", "\n".join(json.dumps(r) for r in rows.values()))
    lib = _lib(tmp_path)
    assert lib.ingest(folder).added == 3

    rows["kite"]["text"] = "an orange dragon kite over the dunes"
    _bump(folder / "metadata.jsonl", "\n".join(json.dumps(r) for r in rows.values()))
    report = lib.ingest(folder)
    assert (report.updated, report.unchanged) == (1, 2)
    kite = _by_name(lib)["kite"]
    assert (kite.caption, kite.caption_source) == (rows["kite"]["text"], "metadata-file")
    assert lib.search("orange dragon dunes", limit=1)[0].asset.id == kite.id


def test_unchanged_files_are_neither_read_nor_decoded(
    tmp_path: Path, photos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (photos / "metadata.jsonl").write_text(json.dumps({"file_name": "kite.png", "text": "x"}))
    lib = _lib(tmp_path)
    lib.ingest(photos)

    def refuse(*args: object, **kwargs: object) -> Any:
        raise AssertionError("an unchanged file was read")

    monkeypatch.setattr(FileSource, "read_bytes", refuse)
    monkeypatch.setattr(ingest_module, "decode_image", refuse)
    report = lib.ingest(photos)
    assert (report.unchanged, report.failed) == (2, [])


def test_catalog_from_before_caption_tracking_is_filled_in_not_recaptioned(
    tmp_path: Path, photos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = _lib(tmp_path)
    lib.ingest(photos)
    path = lib.settings.catalog_path
    lib.close()
    with sqlite3.connect(path) as db:  # the schema as it was: no caption_sig column
        db.execute("ALTER TABLE sources DROP COLUMN caption_sig")
    lib = _lib(tmp_path)
    monkeypatch.setattr(ingest_module, "decode_image", lambda *a, **k: 1 / 0)
    assert lib.ingest(photos).unchanged == 2
    sigs = [row.caption_sig for row in lib.catalog.sources_under(str(photos) + os.sep)]
    assert len(sigs) == 2 and all(sig and sig.startswith("txt:") for sig in sigs)
    monkeypatch.undo()
    _bump(photos / "kite.txt", "a yellow kite")
    assert lib.ingest(photos).updated == 1


def test_cli_reindex(tmp_path: Path, photos: Path) -> None:
    runner = CliRunner()
    ws = str(tmp_path / "ws")
    others = _photos(tmp_path / "others", {"boat": "a blue boat"})
    assert (
        runner.invoke(app, ["--workspace", ws, "ingest", str(photos), str(others)]).exit_code == 0
    )
    result = runner.invoke(app, ["--workspace", ws, "ingest", str(photos), "--reindex"])
    assert result.exit_code == 0, result.output
    assert "1 catalog assets not re-indexed" in result.stdout
    result = runner.invoke(app, ["--workspace", ws, "ingest", "--reindex", "--json"])
    summary = json.loads(result.stdout)
    assert (summary["reindexed"], summary["not_reindexed"]) == (3, 0)
    result = runner.invoke(app, ["--workspace", ws, "ingest"])
    assert result.exit_code != 0 and isinstance(result.exception, InputError)
