"""Shared plumbing for local open models (the ``local`` extra: torch, diffusers, transformers).

:mod:`~reelrag.localmodels.loading` resolves devices, dtypes and model folders and turns missing
extras, missing weights and unusable devices into one-line errors; :mod:`~reelrag.localmodels.cache`
keeps loaded models warm across a batch. Importing this package imports neither torch nor
diffusers: they load inside the functions that need them.
"""

from __future__ import annotations

from reelrag.localmodels.cache import MODELS, ModelCache
from reelrag.localmodels.loading import (
    ModelSource,
    load_pretrained,
    model_source,
    require,
    resolve_device,
    resolve_dtype,
)

__all__ = [
    "MODELS",
    "ModelCache",
    "ModelSource",
    "load_pretrained",
    "model_source",
    "require",
    "resolve_device",
    "resolve_dtype",
]
