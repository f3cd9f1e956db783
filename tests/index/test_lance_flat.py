"""The in-memory exact caption-vector leg returns what LanceDB's own flat query returns (same
rows, same order, same distances), and the index uses it only where that holds."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from reelrag.embeddings.base import EmbedderIdentity
from reelrag.index.base import IndexQuery, IndexRecord
from reelrag.index.lance import flat
from reelrag.index.lance import search as lance_search
from reelrag.index.lance.index import LanceIndex
from reelrag.types import Asset, SearchFilters

DIM = 32


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> LanceIndex:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(600, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    identity = EmbedderIdentity(name="tiny", model="test/random", dim=DIM)
    idx = LanceIndex(str(tmp_path_factory.mktemp("flat") / "idx"), identity)
    records = [
        IndexRecord(Asset(id=f"{i:08x}", source=f"{i}.jpg", width=10, height=10, format="jpeg",
                          caption=f"thing {i}", folder=f"f{i % 3}"), vectors[i], f"thing {i}")
        for i in range(600)
    ]  # fmt: skip
    idx.upsert(records[:300])
    idx.upsert(records[300:])  # two fragments
    idx.delete([f"{i:08x}" for i in range(0, 600, 7)])  # deleted rows must never come back
    return idx


def test_flat_leg_matches_the_lance_query(index: LanceIndex) -> None:
    snap = index._snapshot()
    assert flat.applies(snap, "vector", None)
    rng = np.random.default_rng(5)
    for _ in range(5):
        query = rng.normal(size=DIM).astype(np.float32)
        query /= np.linalg.norm(query)
        ours = flat.vector_leg(snap, query, "vector", None, 50)
        lance = lance_search.vector_leg(snap, query, "vector", None, 50)
        assert [r[lance_search.ROW_ID] for r in ours] == [r[lance_search.ROW_ID] for r in lance]
        assert np.allclose([r["_distance"] for r in ours], [r["_distance"] for r in lance],
                           atol=1e-5)  # fmt: skip


def test_filters_and_other_columns_stay_in_lance(index: LanceIndex) -> None:
    snap = index._snapshot()
    assert not flat.applies(snap, "vector", "folder = 'f1'")
    assert not flat.applies(snap, "image_vector", None)


def _same_rows(ours: list[dict], lance: list[dict]) -> bool:
    """Row dicts equal key for key, arrays bit for bit."""
    return len(ours) == len(lance) and all(
        a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
        for a, b in zip(ours, lance, strict=True)
    )


def _same(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    return a == b


def test_fetch_from_memory_returns_what_lance_returns(index: LanceIndex) -> None:
    snap = index._snapshot()
    assert flat.holds(snap)
    query = np.random.default_rng(7).normal(size=DIM).astype(np.float32)
    vector_rows = flat.vector_leg(snap, query / np.linalg.norm(query), "vector", None, 40)
    text_rows = lance_search.text_leg(snap, "thing 5 12 599", None, 40)
    assert vector_rows and text_rows
    for rows in (vector_rows, text_rows, vector_rows[::-1][:7], [text_rows[0]] * 3, []):
        ours = flat.fetch(snap, rows)
        assert _same_rows(ours, lance_search.fetch(snap, rows))
        assert [r["id"] for r in ours] == [r["id"] for r in lance_search.fetch(snap, rows)]
    held = flat.resident(snap)
    assert len(held.ids) == 600 - len(range(0, 600, 7))  # deleted rows are not held
    assert flat.resident(index._snapshot()) is held  # read once per table version


def test_a_write_gives_searches_a_fresh_copy(tmp_path_factory: pytest.TempPathFactory) -> None:
    identity = EmbedderIdentity(name="tiny", model="test/random", dim=DIM)
    idx = LanceIndex(str(tmp_path_factory.mktemp("fresh") / "idx"), identity)
    vector = np.eye(DIM, dtype=np.float32)
    asset = Asset(id="a" * 8, source="a.jpg", width=10, height=10, format="jpeg", caption="old")
    idx.upsert([IndexRecord(asset, vector[0], "old")])
    before = flat.resident(idx._snapshot())
    idx.upsert([IndexRecord(asset.replace(caption="new"), vector[1], "new")])
    snap = idx._snapshot()
    rows = flat.vector_leg(snap, vector[1], "vector", None, 5)
    assert flat.resident(snap) is not before
    assert [r["text"] for r in flat.fetch(snap, rows)] == ["new"]


def test_a_table_too_large_to_hold_keeps_only_its_vectors(index: LanceIndex) -> None:
    snap = index._snapshot()
    large = dataclasses.replace(snap, rows=flat.RESIDENT_MAX_ROWS + 1)
    assert not flat.holds(large) and flat.applies(large, "vector", None)
    query = np.ones(DIM, dtype=np.float32) / np.sqrt(DIM)
    rows = flat.vector_leg(large, query, "vector", None, 10)
    assert flat.resident(large).table is None  # vectors only, as before
    assert rows == flat.vector_leg(snap, query, "vector", None, 10)
    assert _same_rows(flat.fetch(large, rows), lance_search.fetch(snap, rows))


def test_searches_see_writes_made_through_another_handle(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    identity = EmbedderIdentity(name="tiny", model="test/random", dim=DIM)
    uri = str(tmp_path_factory.mktemp("handles") / "idx")
    reader, writer = LanceIndex(uri, identity), LanceIndex(uri, identity)  # as two processes
    vector = np.eye(DIM, dtype=np.float32)
    asset = Asset(id="b" * 8, source="b.jpg", width=10, height=10, format="jpeg", caption="cat")
    writer.upsert([IndexRecord(asset, vector[0], "cat")])
    query = IndexQuery("cat", vector[0], 5, SearchFilters(), "hybrid", None)
    assert [h.asset.caption for h in reader.search(query)] == ["cat"]
    held = reader._snapshot()
    assert reader._snapshot() is held  # no write: the same snapshot
    writer.upsert([IndexRecord(asset.replace(caption="dog"), vector[0], "dog")])
    assert [h.asset.caption for h in reader.search(query)] == ["dog"]
    assert reader._snapshot() is not held
    writer.delete([asset.id])
    assert reader.search(query) == []
