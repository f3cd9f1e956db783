"""The image library: ingest (read, decode, normalise, caption, embed, index) and its catalog."""

from __future__ import annotations

from reelrag.library.ingest import IngestReport
from reelrag.library.library import Library, open_library

__all__ = ["IngestReport", "Library", "open_library"]
