"""One contract suite, run against every index backend (LanceDB now; OpenSearch joins later).

Uses the real bundled MiniLM embedder and real indexes in tmp_path.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reelrag.embeddings.base import EmbedderIdentity
from reelrag.embeddings.minilm import MiniLMEmbedder
from reelrag.errors import IndexMismatchError, InputError
from reelrag.index.base import Index, IndexQuery, IndexRecord
from reelrag.index.lance.index import LanceIndex
from reelrag.types import SearchFilters
from retrieval_library import ITEMS, by_name, make_asset, make_records

OpenIndex = Callable[..., Index]


def _lancedb(location: Path, identity: EmbedderIdentity, **options: Any) -> Index:
    return LanceIndex(str(location / "lancedb"), identity, **options)


def _opensearch(location: Path, identity: EmbedderIdentity, **options: Any) -> Index:
    # osmem (the in-memory test server) refuses k-NN queries: vectors are scored client-side.
    from opensearchpy import OpenSearch

    from reelrag.index.opensearch.index import OpenSearchIndex

    client = OpenSearch(hosts=[options.pop("url")])
    keep = {k: v for k, v in options.items() if k in ("rrf_k", "text_weight")}
    return OpenSearchIndex(client, "contract", identity, knn=False, **keep)


BACKENDS: dict[str, OpenIndex] = {"lancedb": _lancedb, "opensearch": _opensearch}


def _drop(backend: str, location: Path, url: str = "") -> None:
    """``Index.drop`` through real settings pointing where the factories above open."""
    from reelrag.plugins import registry
    from reelrag.settings import load_settings

    settings = load_settings(
        {
            "workspace": location / "ws", "index": backend, "index_uri": str(location / "lancedb"),
            "opensearch_endpoint": url, "opensearch_auth": "none", "opensearch_index": "contract",
        },
        environ={},
    )  # fmt: skip
    registry.get("index", backend).drop(settings)


@pytest.fixture(params=sorted(BACKENDS))
def open_index(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., Index]:
    factory = BACKENDS[request.param]
    extra: dict[str, Any] = {}
    if request.param == "opensearch":  # one osmem clone per test (osmem-server's pytest plugin)
        pytest.importorskip("opensearchpy")
        extra["url"] = request.getfixturevalue("osmem_clone").url
    return lambda identity, **options: factory(tmp_path, identity, **extra, **options)


@pytest.fixture
def drop(
    request: pytest.FixtureRequest, open_index: OpenIndex, tmp_path: Path
) -> Callable[[], None]:
    backend = request.node.callspec.params["open_index"]
    url = request.getfixturevalue("osmem_clone").url if backend == "opensearch" else ""
    return lambda: _drop(backend, tmp_path, url)


@pytest.fixture
def index(open_index: OpenIndex, embedder: MiniLMEmbedder, records: list[IndexRecord]) -> Index:
    idx = open_index(embedder.identity)
    idx.upsert(records)
    return idx


def query(embedder: MiniLMEmbedder, text: str, **kw: Any) -> IndexQuery:
    return IndexQuery(text, embedder.embed_texts([text])[0], **kw)


def names(hits: list[Any]) -> list[str]:
    return [Path(h.asset.source).stem for h in hits]


def test_empty_index_answers_without_error(open_index: OpenIndex, embedder: MiniLMEmbedder) -> None:
    idx = open_index(embedder.identity)
    assert idx.count() == 0
    assert idx.get("nope") is None
    assert idx.list_assets() == []
    assert idx.search(query(embedder, "cat")) == []
    idx.optimize()
    info = idx.info()
    assert (info.rows, info.dim, info.embedder) == (0, 384, embedder.identity.key())


def test_upsert_get_count_round_trip(index: Index, records: list[IndexRecord]) -> None:
    assert index.count() == len(records)
    for record in records[:3]:
        assert index.get(record.asset.id) == record.asset


def test_upsert_replaces_by_id(
    index: Index, embedder: MiniLMEmbedder, records: list[IndexRecord]
) -> None:
    cat = by_name(records, "cat")
    new_text = "A red racing car on a track"
    changed = IndexRecord(
        cat.asset.replace(caption=new_text), embedder.embed_texts([new_text])[0], new_text
    )
    index.upsert([changed])
    assert index.count() == len(records)
    assert index.get(cat.asset.id).caption == new_text  # type: ignore[union-attr]
    assert names(index.search(query(embedder, "racing car", limit=1))) == ["cat"]
    old_words = IndexQuery("ginger tabby", None, limit=5, mode="text")
    assert "cat" not in names(index.search(old_words))  # the old text is gone from BM25 too


def test_delete(index: Index, embedder: MiniLMEmbedder, records: list[IndexRecord]) -> None:
    cat = by_name(records, "cat")
    index.delete([f"missing-{i}" for i in range(1500)] + [cat.asset.id])  # spans chunks
    assert index.count() == len(records) - 1
    assert index.get(cat.asset.id) is None
    assert "cat" not in names(index.search(query(embedder, "cat", limit=5)))


def test_list_assets_is_ordered_and_pages(index: Index, records: list[IndexRecord]) -> None:
    everything = index.list_assets()
    assert [a.id for a in everything] == [r.asset.id for r in records]  # ingest order
    assert index.list_assets(limit=3, offset=2) == everything[2:5]


def test_vectors_returns_the_stored_vectors(index: Index, records: list[IndexRecord]) -> None:
    wanted = [r.asset.id for r in records[:2]]
    stored = index.vectors(wanted)
    assert set(stored) == set(wanted)
    np.testing.assert_allclose(stored[wanted[0]], records[0].vector, atol=1e-6)


@pytest.mark.parametrize(
    ("filters", "check"),
    [
        (SearchFilters(orientation="portrait"), lambda a: a.height > a.width),
        (SearchFilters(orientation="square"), lambda a: a.height == a.width),
        (SearchFilters(min_width=1000), lambda a: a.width >= 1000),
        (SearchFilters(min_height=800), lambda a: a.height >= 800),
        (SearchFilters(folder="people"), lambda a: a.folder.split("/")[0] == "people"),
        (SearchFilters(folder="people/kids/"), lambda a: a.folder == "people/kids"),
        (SearchFilters(tag="ANIMALS"), lambda a: "Animals" in a.keywords),
        (SearchFilters(caption_source="sidecar"), lambda a: a.caption_source == "sidecar"),
        (
            SearchFilters(orientation="landscape", folder="space"),
            lambda a: a.width > a.height and a.folder == "space",
        ),
    ],
)
def test_each_filter_kind(
    index: Index,
    embedder: MiniLMEmbedder,
    records: list[IndexRecord],
    filters: SearchFilters,
    check: Any,
) -> None:
    expected = {r.asset.id for r in records if check(r.asset)}
    assert expected, "the fixture library must have hits for this filter"
    for mode in ("hybrid", "vector"):
        hits = index.search(query(embedder, "a photo", limit=50, filters=filters, mode=mode))
        assert {h.asset.id for h in hits} == expected


def test_folder_filter_is_a_path_prefix_and_quotes_safely(
    open_index: OpenIndex, embedder: MiniLMEmbedder
) -> None:
    items = [("a", "a cat", "pets"), ("b", "a cat", "pets2"), ("c", "a cat", "it's/pets")]
    idx = open_index(embedder.identity)
    idx.upsert(make_records(embedder, items))
    found = idx.search(query(embedder, "cat", limit=10, filters=SearchFilters(folder="pets")))
    assert names(found) == ["a"]
    quoted = idx.search(query(embedder, "cat", limit=10, filters=SearchFilters(folder="it's")))
    assert names(quoted) == ["c"]


def test_invalid_filters_are_refused(index: Index, embedder: MiniLMEmbedder) -> None:
    with pytest.raises(InputError, match="orientation"):
        index.search(query(embedder, "cat", filters=SearchFilters(orientation="diagonal")))
    with pytest.raises(InputError, match="min_width"):
        index.search(query(embedder, "cat", filters=SearchFilters(min_width=-5)))


def test_scores_are_absolute_and_separate_match_from_no_match(
    index: Index, embedder: MiniLMEmbedder
) -> None:
    cat = index.search(query(embedder, "cat", limit=5))
    shoes = index.search(query(embedder, "red shoes", limit=5))
    assert names(cat)[0] == "cat"
    for hit in cat + shoes:
        assert 0.0 <= hit.score <= 1.0
        assert hit.vector_score is not None and hit.text_score is not None and hit.why
    assert [h.rank for h in cat] == [1, 2, 3, 4, 5]
    assert cat[0].score >= 0.45 > max(h.score for h in shoes)


def test_vector_and_text_modes(index: Index, embedder: MiniLMEmbedder) -> None:
    vector_hits = index.search(query(embedder, "a kitten", limit=5, mode="vector"))
    assert names(vector_hits)[0] == "cat"
    assert [h.score for h in vector_hits] == sorted((h.score for h in vector_hits), reverse=True)
    text_hits = index.search(IndexQuery("seagulls harbour", None, limit=5, mode="text"))
    assert names(text_hits)[0] == "birds" and text_hits[0].score == 1.0
    with pytest.raises(InputError, match="query vector"):
        index.search(IndexQuery("cat", None, mode="vector"))
    with pytest.raises(InputError, match="mode"):
        index.search(query(embedder, "cat", mode="fuzzy"))


def test_odd_query_text_does_not_break_text_search(index: Index, embedder: MiniLMEmbedder) -> None:
    for text in ['it\'s "quoted" (odd) AND OR NOT * ~ ^2', "东京", "???", "-"]:
        hits = index.search(query(embedder, text, limit=3))
        assert all(0.0 <= h.score <= 1.0 for h in hits)


def test_hybrid_beats_vector_only_on_a_product_code(index: Index, embedder: MiniLMEmbedder) -> None:
    vector_hits = index.search(query(embedder, "SKU-4471", limit=5, mode="vector"))
    hybrid_hits = index.search(query(embedder, "SKU-4471", limit=5, mode="hybrid"))
    assert names(hybrid_hits)[0] == "mug-4471"
    assert hybrid_hits[0].text_score == 1.0
    margin = hybrid_hits[0].score - hybrid_hits[1].score
    vector_rank = names(vector_hits).index("mug-4471") if "mug-4471" in names(vector_hits) else 99
    vector_margin = vector_hits[0].score - vector_hits[1].score
    # Vectors barely tell codes apart; the keyword match does.
    assert vector_rank > 0 or margin > 3 * vector_margin


def test_identity_mismatch_is_refused(open_index: OpenIndex, index: Index) -> None:
    other = EmbedderIdentity(name="other", model="some/model", dim=384)
    with pytest.raises(IndexMismatchError) as info:
        open_index(other)
    assert "reindex" in (info.value.hint or "") or "rebuild" in (info.value.hint or "")


def test_persists_across_reopen(
    open_index: OpenIndex, index: Index, embedder: MiniLMEmbedder, records: list[IndexRecord]
) -> None:
    reopened = open_index(embedder.identity)
    assert reopened.count() == len(records)
    assert names(reopened.search(query(embedder, "cat", limit=1))) == ["cat"]


def test_upsert_validates_vectors(index: Index, records: list[IndexRecord]) -> None:
    record = records[0]
    with pytest.raises(InputError, match="dimensions"):
        index.upsert([IndexRecord(record.asset, np.ones(10, dtype=np.float32), record.text)])
    with pytest.raises(InputError, match="NaN"):
        index.upsert([IndexRecord(record.asset, np.full(384, np.nan, dtype=np.float32), "x")])
    with pytest.raises(InputError, match="twice"):
        index.upsert([record, record])


def test_optimize_builds_ann_and_search_stays_right(
    open_index: OpenIndex, embedder: MiniLMEmbedder, records: list[IndexRecord]
) -> None:
    rng = np.random.default_rng(7)
    # Padding rows far from every real caption, so the ANN index has something to partition.
    filler = []
    for i in range(300):
        vec = rng.normal(size=384).astype(np.float32)
        asset = make_asset(len(ITEMS) + i, f"noise{i}", f"noise pattern {i}", "noise")
        filler.append(IndexRecord(asset, vec / np.linalg.norm(vec), f"noise pattern {i}"))
    idx = open_index(embedder.identity, ann_min_rows=200, nprobes=64)
    idx.upsert(records)
    idx.upsert(filler)
    before = names(idx.search(query(embedder, "ginger cat", limit=3)))
    idx.optimize()
    info = idx.info()
    assert info.ann_index is not None and info.text_index and info.rows == len(records) + 300
    after = idx.search(query(embedder, "ginger cat", limit=3))
    assert names(after)[0] == before[0] == "cat"
    late = make_records(embedder, [("zebra", "A zebra grazing on the savanna.", "animals")])
    idx.upsert(late)  # added after the indexes were built: still found
    assert names(idx.search(query(embedder, "zebra", limit=1))) == ["zebra"]


def test_drop_deletes_the_rows_and_the_identity(
    open_index: OpenIndex, index: Index, drop: Callable[[], None], embedder: MiniLMEmbedder
) -> None:
    drop()
    drop()  # dropping an index that is gone is not an error
    other = EmbedderIdentity(name="other", model="some/model", dim=8)
    fresh = open_index(other)  # no mismatch any more: the old identity went with the data
    assert fresh.count() == 0 and fresh.search(IndexQuery("cat", None, mode="text")) == []
    assert open_index(embedder.identity).count() == 0
