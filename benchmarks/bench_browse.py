"""Library browsing (GET /api/assets) at 100k assets: SQL filters vs loading every asset.

The baseline is what the gallery did before: read every asset's JSON from the catalog, filter
in Python, then page and build the folder/tag facets. Both run on the same catalog, in one run.

    .venv/bin/python benchmarks/bench_browse.py [--assets 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from reelrag.library.catalog import BrowseFilters, Catalog
from reelrag.types import Asset

WORDS = "red blue shoe beach cat dog sky city night snow mountain lake car tree flower".split()  # noqa: SIM905
QUERIES = {
    "no filter": BrowseFilters(),
    "tag": BrowseFilters(tag="cat"),
    "folder + text": BrowseFilters(folder="f3", text="red beach"),
    "orientation + text": BrowseFilters(orientation="square", text="night"),
}


def library(n: int) -> list[Asset]:
    rng = random.Random(0)
    return [
        Asset(
            id=f"{i:064x}",
            source=f"/photos/f{i % 50}/img{i}.jpg",
            width=rng.choice([800, 1000, 1200]),
            height=rng.choice([800, 1000, 1200]),
            format="jpeg",
            caption=" ".join(rng.sample(WORDS, 5)),
            keywords=tuple(rng.sample(WORDS, 3)),
            folder=f"f{i % 50}",
        )
        for i in range(n)
    ]


def baseline(catalog: Catalog, f: BrowseFilters) -> int:
    everything = catalog.assets()
    chosen = [a for a in everything if f.matches(a)]
    _ = (
        chosen[:60],
        sorted({a.folder for a in everything}),
        sorted({k for a in everything for k in a.keywords})[:500],
    )
    return len(chosen)


def ours(catalog: Catalog, f: BrowseFilters) -> int:
    total, _ = catalog.browse(f, 60)
    _ = catalog.folders(), catalog.tags()
    return total


def timed(fn, *args) -> tuple[float, int]:
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    catalog = Catalog(Path(tempfile.mkdtemp(prefix="bench-browse-")) / "catalog.sqlite")
    assets = library(args.assets)
    for start in range(0, len(assets), 5000):
        catalog.commit_batch(assets[start : start + 5000], [])
    print(f"{args.assets} assets; median of {args.repeat} (baseline: 1 run)")
    print(f"{'query':<20}{'matches':>9}{'SQL ms':>9}{'baseline ms':>13}{'speed-up':>10}")
    for name, filters in QUERIES.items():
        runs = [timed(ours, catalog, filters) for _ in range(args.repeat)]
        base_s, base_total = timed(baseline, catalog, filters)
        assert all(total == base_total for _, total in runs), "SQL and baseline disagree"
        ms, base_ms = statistics.median(t for t, _ in runs) * 1000, base_s * 1000
        print(f"{name:<20}{base_total:>9}{ms:>9.1f}{base_ms:>13.0f}{base_ms / ms:>9.0f}x")


if __name__ == "__main__":
    main()
