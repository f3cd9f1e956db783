"""What one ingest run did: :class:`IngestReport` (counts per source file, failures, timing)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from reelrag.library.coverage import Coverage


@dataclass
class IngestReport:
    """What one ingest run did, per source file (``removed`` counts pruned source files).

    ``updated``: new bytes or edited caption inputs; ``reindexed``: unchanged files captioned,
    embedded and upserted again (``reindex``); ``not_reindexed``: catalog assets none of whose
    files were in this reindex run; ``index_reset``: the index was started afresh (its embedder
    differed from the configured one); ``coverage``: the whole library's caption coverage after
    the run (:class:`~reelrag.library.coverage.Coverage`).
    """

    added: int = 0
    unchanged: int = 0
    updated: int = 0
    removed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source, one-line reason)
    new_assets: int = 0
    elapsed_s: float = 0.0
    reindexed: int = 0
    not_reindexed: int = 0
    index_reset: bool = False
    coverage: Coverage | None = None
    coverage_warning: str | None = None  # one line when most assets have no caption

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added, "unchanged": self.unchanged, "updated": self.updated,
            "removed": self.removed, "failed": [{"source": s, "reason": r} for s, r in self.failed],
            "new_assets": self.new_assets, "elapsed_s": round(self.elapsed_s, 3),
            "reindexed": self.reindexed, "not_reindexed": self.not_reindexed,
            "index_reset": self.index_reset,
            "coverage": None if self.coverage is None else self.coverage.to_dict(),
            "coverage_warning": self.coverage_warning,
        }  # fmt: skip

    def _repr_html_(self) -> str:
        counts = "".join(
            f"<td>{getattr(self, k)}</td>" for k in ("added", "unchanged", "updated", "removed")
        )
        rows = "".join(
            f"<li><code>{html.escape(s)}</code>: {html.escape(r)}</li>" for s, r in self.failed
        )
        return (
            "<table><tr><th>added</th><th>unchanged</th><th>updated</th><th>removed</th>"
            f"<th>failed</th></tr><tr>{counts}<td>{len(self.failed)}</td></tr></table>"
            + (f"<ul>{rows}</ul>" if rows else "")
            + f"<small>{self.elapsed_s:.2f} s</small>"
        )
