"""A small realistic caption library for index and retrieval tests (no image decoding needed).

The bundled sample captions plus ten more, and a few product shots whose codes differ by one
digit, so keyword search has something vectors cannot see.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from reelrag.embeddings.base import Embedder
from reelrag.index.base import IndexRecord
from reelrag.library import Library, open_library
from reelrag.samples import SAMPLES
from reelrag.types import Asset

EXTRA = (
    (
        "lake",
        "Landscape photo of a calm lake with pine trees and a wooden cabin at dawn.",
        "landscapes",
    ),
    ("mountains", "Snowy mountains at sunrise with fog in the valley.", "landscapes"),
    ("beach", "A sandy beach with waves and palm trees under a blue sky.", "landscapes"),
    ("dog", "A brown dog running through a field of flowers.", "animals"),
    ("horse", "Close-up of a white horse's head in a stable.", "animals"),
    ("birds", "A flock of seagulls flying over the harbour.", "animals"),
    ("child", "A little girl laughing on a swing in the park.", "people/kids"),
    ("chef", "A chef in a white apron chopping vegetables in a kitchen.", "people"),
    ("city", "City street at night with traffic lights and tall buildings.", "city"),
    ("bicycle", "An old blue bicycle leaning against a yellow wall.", "vehicles"),
)
PRODUCTS = tuple(
    (f"mug-{code}", f"Product shot SKU-{code}: a blue ceramic coffee mug on white.", "products")
    for code in ("4471", "4417", "7441", "1447", "4714")
)
# (name, caption, folder)
ITEMS = tuple((s.name, s.caption, s.folder) for s in SAMPLES) + EXTRA + PRODUCTS


def make_asset(i: int, name: str, caption: str, folder: str) -> Asset:
    # Sizes vary so every orientation and size filter has hits and misses.
    width, height = [(1280, 720), (600, 900), (512, 512)][i % 3]
    return Asset(
        id=f"{i:02d}{name}".ljust(16, "0"),
        source=f"/photos/{folder}/{name}.jpg",
        width=width,
        height=height,
        format="jpeg",
        caption=caption,
        keywords=(folder.split("/")[0].title(), name),
        caption_source="sidecar" if i % 2 == 0 else "filename",
        folder=folder,
        ingested_at=f"2026-01-01T00:00:{i:02d}",
    )


def make_records(
    embedder: Embedder, items: Sequence[tuple[str, str, str]] = ITEMS
) -> list[IndexRecord]:
    assets = [make_asset(i, *item) for i, item in enumerate(items)]
    texts = [f"{a.caption} {' '.join(a.keywords)} {a.folder}" for a in assets]
    vectors = embedder.embed_texts(texts)
    return [IndexRecord(a, v, t) for a, v, t in zip(assets, vectors, texts, strict=True)]


def by_name(records: Sequence[IndexRecord], name: str) -> IndexRecord:
    return next(r for r in records if r.asset.source.endswith(f"/{name}.jpg"))


def captioned_library(root: Path, captions: dict[str, str], **overrides: object) -> Library:
    """A library of plain-coloured photos at ``captions``' paths, each with its caption as a
    sidecar, ingested into ``root/ws`` with ``overrides`` as settings."""
    photos = root / "photos"
    for i, (path, caption) in enumerate(captions.items()):
        target = photos / path
        target.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (64, 48), (40 * i % 256, 90, (200 - 40 * i) % 256)).save(target)
        target.with_suffix(".txt").write_text(caption + "\n", encoding="utf-8")
    library = open_library(root / "ws", **overrides)
    library.ingest([str(photos)], recursive=True)
    return library
