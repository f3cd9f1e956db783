"""One contract suite, run against every object store."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelrag.errors import InputError, NotFoundError
from reelrag.storage import ObjectStore, open_store, scheme_of
from reelrag.storage.local import LocalStore
from reelrag.storage.memory import MemoryStore


@pytest.fixture(params=["file", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "file":
        return LocalStore(tmp_path / "store")
    return MemoryStore()


def test_put_get_roundtrip(store: ObjectStore) -> None:
    store.put_bytes("a/b/c.bin", b"\x00\x01payload")
    assert store.get_bytes("a/b/c.bin") == b"\x00\x01payload"
    assert store.exists("a/b/c.bin")


def test_overwrite_replaces_whole_object(store: ObjectStore) -> None:
    store.put_bytes("k", b"long old content")
    store.put_bytes("k", b"new")
    assert store.get_bytes("k") == b"new"


def test_list_by_prefix_sorted(store: ObjectStore) -> None:
    for key in ("x/2", "x/1", "y/1"):
        store.put_bytes(key, b"-")
    assert list(store.list("x/")) == ["x/1", "x/2"]


def test_delete_is_idempotent(store: ObjectStore) -> None:
    store.put_bytes("gone", b"-")
    store.delete("gone")
    store.delete("gone")
    assert not store.exists("gone")
    with pytest.raises(NotFoundError):
        store.get_bytes("gone")


def test_put_file(store: ObjectStore, tmp_path: Path) -> None:
    source = tmp_path / "src.bin"
    source.write_bytes(b"file bytes")
    store.put_file("f/src.bin", source)
    assert store.get_bytes("f/src.bin") == b"file bytes"
    assert source.read_bytes() == b"file bytes"


@pytest.mark.parametrize("key", ["../escape", "/abs", "a/../../b", "", "a//b", "./a"])
def test_keys_cannot_escape(store: ObjectStore, key: str) -> None:
    with pytest.raises(InputError):
        store.put_bytes(key, b"-")


def test_local_store_leaves_no_temp_files(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "s")
    store.put_bytes("a/b", b"x" * 1000)
    assert [p.name for p in (tmp_path / "s" / "a").iterdir()] == ["b"]


def test_open_store_picks_backend_by_uri(tmp_path: Path) -> None:
    from reelrag.settings import load_settings

    local = open_store(load_settings({"workspace": tmp_path}, environ={}))
    assert isinstance(local, LocalStore)
    memory = open_store(load_settings({"store": "memory://t"}, environ={}))
    assert isinstance(memory, MemoryStore)
    assert scheme_of("C:/photos") == "file"


def test_written_files_get_the_usual_mode_not_mkstemps_private_one(tmp_path: Path) -> None:
    import os
    import stat

    from reelrag.storage.local import atomic_write_bytes

    mask = os.umask(0o022)
    os.umask(mask)
    target = tmp_path / "out" / "video.json"
    atomic_write_bytes(target, b"{}")
    LocalStore(tmp_path / "s").put_file("k/copy.json", target)
    for path in (target, tmp_path / "s" / "k" / "copy.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
