"""Library browsing in SQL (the web gallery's filters): same answers as filtering every asset in
Python, fast enough for large libraries, and catalogs from before it are brought up to date."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest

from reelrag.library.catalog import BrowseFilters, Catalog
from reelrag.types import Asset

WORDS = ["red", "Shoe", "beach", "ÉGLISE", "église", "cat", "night", "Sky", "lake"]
FOLDERS = ["", "trips", "trips/2024", "trips/2024/rome", "tripsy", "shop/shoes"]


def make_assets(n: int, seed: int = 0) -> list[Asset]:
    rng = random.Random(seed)
    return [
        Asset(
            id=f"{i:064x}",
            source=f"/photos/{rng.choice(FOLDERS)}/img{i}.jpg",
            width=rng.choice([800, 1000, 1200]),
            height=rng.choice([800, 1000, 1200]),
            format="jpeg",
            caption=" ".join(rng.sample(WORDS, 3)),
            keywords=tuple(rng.sample(WORDS, rng.randint(0, 3))),
            folder=rng.choice(FOLDERS),
        )
        for i in range(n)
    ]


def expected(assets: list[Asset], f: BrowseFilters) -> list[str]:
    """The filters' meaning, applied in Python to every asset."""
    return [a.id for a in assets if f.matches(a)]


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    return Catalog(tmp_path / "catalog.sqlite")


FILTERS = [
    BrowseFilters(),
    BrowseFilters(folder="trips"),
    BrowseFilters(folder="trips/2024/"),
    BrowseFilters(tag="shoe"),
    BrowseFilters(tag="église"),
    BrowseFilters(orientation="portrait"),
    BrowseFilters(text="église red"),
    BrowseFilters(text="img1"),
    BrowseFilters(folder="trips", tag="SKY", orientation="landscape", text="night"),
]


@pytest.mark.parametrize("filters", FILTERS, ids=repr)
def test_browse_matches_filtering_every_asset(catalog: Catalog, filters: BrowseFilters) -> None:
    assets = make_assets(300)
    catalog.commit_batch(assets[:150], [])
    catalog.commit_batch(assets[150:], [])
    want = expected(assets, filters)
    assert want, "each case should match something"
    total, page = catalog.browse(filters, limit=1000)
    assert total == len(want) and [a.id for a in page] == want
    total, page = catalog.browse(filters, limit=7, offset=3)
    assert total == len(want) and [a.id for a in page] == want[3:10]


def test_facets_and_updates(catalog: Catalog) -> None:
    assets = make_assets(50)
    catalog.commit_batch(assets, [])
    assert catalog.folders() == sorted({a.folder for a in assets if a.folder})
    assert catalog.tags() == sorted({k for a in assets for k in a.keywords})
    # a re-captioned asset replaces its keywords; a removed one leaves the facets
    changed = Asset.from_dict({**assets[0].to_dict(), "keywords": ["harbour"], "folder": "new"})
    catalog.commit_batch([changed], [])
    assert catalog.browse(BrowseFilters(tag="harbour"), 10)[0] == 1
    assert catalog.browse(BrowseFilters(folder="new"), 10)[1][0].id == changed.id
    catalog.remove_asset(changed.id)
    assert "harbour" not in catalog.tags() and "new" not in catalog.folders()


def test_a_catalog_from_before_browse_columns_is_filled_in(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    assets = make_assets(40)
    with sqlite3.connect(path) as db:  # the schema as it was
        db.executescript(
            "CREATE TABLE sources (uri TEXT PRIMARY KEY, size INTEGER NOT NULL,"
            " mtime_ns INTEGER NOT NULL, asset_id TEXT NOT NULL, updated_at TEXT);"
            "CREATE TABLE assets (id TEXT PRIMARY KEY, data TEXT NOT NULL, created_at TEXT);"
        )
        db.executemany(
            "INSERT INTO assets (id, data, created_at) VALUES (?, ?, '')",
            [(a.id, json.dumps(a.to_dict())) for a in assets],
        )
    catalog = Catalog(path)
    for filters in (BrowseFilters(tag="cat"), BrowseFilters(folder="trips", text="red")):
        assert [a.id for a in catalog.browse(filters, 100)[1]] == expected(assets, filters)
    assert catalog.tags() == sorted({k for a in assets for k in a.keywords})
    catalog.close()
    assert Catalog(path).browse(BrowseFilters(), 5)[0] == 40  # reopening changes nothing


def test_the_check_for_unfilled_rows_on_open_uses_an_index(catalog: Catalog) -> None:
    catalog.commit_batch(make_assets(20), [])
    with sqlite3.connect(catalog.path) as db:
        sql = "EXPLAIN QUERY PLAN SELECT 1 FROM assets WHERE haystack IS NULL LIMIT 1"
        plan = " ".join(str(row[-1]) for row in db.execute(sql))
    assert plan.endswith("INDEX assets_unfilled")  # scans only the (normally empty) partial index


def test_catalog_version_changes_with_commits_from_any_connection(tmp_path: Path) -> None:
    mine, other = Catalog(tmp_path / "c.sqlite"), Catalog(tmp_path / "c.sqlite")
    seen = mine.version()
    assert mine.version() == seen  # reading changes nothing
    asset = Asset(id="ab" * 32, source="/p/a.jpg", width=4, height=3, format="jpeg", folder="p")
    other.commit_batch([asset], [])
    assert mine.version() != seen
    seen = mine.version()
    mine.remove_asset(asset.id)
    assert mine.version() != seen


def test_remembered_counts_follow_changes_from_any_connection(tmp_path: Path) -> None:
    """Coverage, the asset count and browse counts are remembered per catalog version: a
    commit or removal through this connection or another one is seen at once."""
    mine, other = Catalog(tmp_path / "c.sqlite"), Catalog(tmp_path / "c.sqlite")
    assets = make_assets(40)
    mine.commit_batch(assets[:30], [])
    trips = BrowseFilters(folder="trips")

    def answers() -> tuple[int, dict[str, int], int]:
        return mine.count_assets(), mine.caption_sources(), mine.browse(trips, 5)[0]

    def truth(present: list[Asset]) -> tuple[int, dict[str, int], int]:
        sources: dict[str, int] = {}
        for a in present:
            key = a.caption_source if a.caption else ""
            sources[key] = sources.get(key, 0) + 1
        return len(present), sources, len(expected(present, trips))

    assert answers() == truth(assets[:30])
    statements: list[str] = []
    mine._db.set_trace_callback(statements.append)
    assert answers() == truth(assets[:30])  # asked again: remembered, no scan
    assert not [s for s in statements if "count(*)" in s]
    mine.caption_sources()["filename"] = -1  # a caller's copy, not the remembered answer
    assert answers() == truth(assets[:30])
    sidecar = [a.replace(caption_source="sidecar") for a in assets[30:]]
    other.commit_batch(sidecar, [])  # another connection (the CLI beside the server)
    assert answers() == truth(assets[:30] + sidecar)
    mine.remove_asset(assets[0].id)  # this connection
    assert answers() == truth(assets[1:30] + sidecar)
    other.remove_asset(assets[1].id)
    assert answers() == truth(assets[2:30] + sidecar)
