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

# The recipes load on first use, so `import reelrag` stays light (no index, codecs or models).
_LAZY = {
    "open_library": "reelrag.library",
    "Library": "reelrag.library",
    "generate": "reelrag.pipeline",
    "run_batch": "reelrag.batch",
    "plan_prompts": "reelrag.batch",
    "evaluate": "reelrag.evaluation",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'reelrag' has no attribute {name!r}")


__all__ = [
    "Asset",
    "GenerationRequest",
    "GenerationResult",
    "Job",
    "Library",
    "ReelragError",
    "SearchFilters",
    "SearchHit",
    "SearchRequest",
    "Settings",
    "__version__",
    "evaluate",
    "generate",
    "load_settings",
    "open_library",
    "plan_prompts",
    "run_batch",
]
