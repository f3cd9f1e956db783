"""Caption coverage: how many assets have a caption, and where captions came from.

Offline, search matches words: an asset whose only text is its file name (``IMG_0001.jpg``)
can be found by nothing but those names, which the match decision treats as weak evidence.
When most assets are like that, :meth:`Coverage.warning` says so in one line, with the ways to
caption them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Caption sources that are only file-name words (or nothing).
NAME_SOURCES = frozenset({"", "filename", "none"})
HOW_TO_CAPTION = (
    "add .txt sidecars or a metadata.csv/jsonl beside the photos, ingest with "
    "--captioner bedrock or --captioner transformers (caption_model = a local model folder), "
    'or set embedder = "clip" to search the pixels, then `reelrag ingest --reindex`'
)


@dataclass(frozen=True)
class Coverage:
    """``sources``: assets per caption source (``filename``: file-name words only)."""

    assets: int
    sources: dict[str, int] = field(default_factory=dict)

    @property
    def captioned(self) -> int:
        return sum(n for source, n in self.sources.items() if source not in NAME_SOURCES)

    @property
    def share(self) -> float:
        return self.captioned / self.assets if self.assets else 0.0

    @property
    def mostly_uncaptioned(self) -> bool:
        return self.assets > 0 and self.captioned * 2 < self.assets

    def summary(self) -> str:
        """E.g. ``"12 of 40 assets captioned (sidecar 10, iptc 2; filename 28)"``."""
        parts = ", ".join(f"{s or 'none'} {n}" for s, n in sorted(self.sources.items()))
        return f"{self.captioned} of {self.assets} assets captioned ({parts or 'none'})"

    def warning(self, image_search: bool = False) -> str | None:
        """One line when most assets have no caption (and pixels are not searched)."""
        if not self.mostly_uncaptioned or image_search:
            return None
        return (
            f"only {self.captioned} of {self.assets} assets have a caption: search can match "
            f"only file and folder names; to caption them, {HOW_TO_CAPTION}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "assets": self.assets, "captioned": self.captioned, "share": round(self.share, 4),
            "sources": dict(sorted(self.sources.items())),
        }  # fmt: skip
