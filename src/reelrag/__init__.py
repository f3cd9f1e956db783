"""ReelRAG: grounded videos from your own image library.

The public API stays light to import: torch, diffusers and boto3 load only inside their backends.
"""

from __future__ import annotations

from reelrag.errors import ReelragError
from reelrag.settings import Settings, load_settings
from reelrag.types import (
    Asset,
    GenerationRequest,
    GenerationResult,
    Job,
    SearchFilters,
    SearchHit,
    SearchRequest,
)

__version__ = "0.1.0"

__all__ = [
    "Asset",
    "GenerationRequest",
    "GenerationResult",
    "Job",
    "ReelragError",
    "SearchFilters",
    "SearchHit",
    "SearchRequest",
    "Settings",
    "__version__",
    "load_settings",
]
