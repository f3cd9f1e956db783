"""The in-memory exact caption-vector leg returns what LanceDB's own flat query returns (same
rows, same order, same distances), and the index uses it only where that holds."""

from __future__ import annotations

import numpy as np
import pytest

from reelrag.embeddings.base import EmbedderIdentity
from reelrag.index.base import IndexRecord
from reelrag.index.lance import flat
from reelrag.index.lance import search as lance_search
from reelrag.index.lance.index import LanceIndex
from reelrag.types import Asset

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
