"""CLIP / SigLIP image and text embeddings in one space (``embedder.clip``), local, batched.

The model (``clip_model``: a hub id or a folder, e.g. ``openai/clip-vit-base-patch32`` or
``google/siglip-base-patch16-224``) is read through :mod:`reelrag.localmodels.loading`; its
identity (name, model, vector length, modalities ``text`` and ``image``) comes from the config
alone, so an index can refuse a mismatch before any weights load. The weights load on first use
and stay in the ``"embed"`` slot of the model cache until ``model_idle_s`` passes unused.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from reelrag.embeddings.base import Embedder, EmbedderIdentity
from reelrag.errors import InputError, MissingDependencyError
from reelrag.localmodels import loading
from reelrag.localmodels.cache import MODELS
from reelrag.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["ClipEmbedder"]

SLOT = "embed"


class ClipEmbedder(Embedder):
    """Text and image towers of a CLIP-family model; unit-length float32 vectors."""

    name = "clip"

    def __init__(self, model: str, *, settings: Settings, batch: int = 32) -> None:
        self.model, self.settings, self.batch = model, settings, max(1, batch)
        self.source = loading.model_source(model, settings)
        config = _config(self.source)
        self.model_type = str(getattr(config, "model_type", ""))
        self.identity = EmbedderIdentity(self.name, model, _dim(config, model), ("text", "image"))

    @classmethod
    def from_settings(cls, settings: Settings) -> ClipEmbedder:
        return cls(settings.clip_model, settings=settings, batch=settings.ingest_batch)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.identity.dim), dtype=np.float32)
        return self._embed(list(texts), self._text_batch)

    def embed_images(self, images: Sequence[Any]) -> np.ndarray:
        """Vectors for PIL images (converted to RGB), comparable with :meth:`embed_texts`."""
        if not images:
            return np.zeros((0, self.identity.dim), dtype=np.float32)
        bad = [i for i, im in enumerate(images) if not hasattr(im, "convert")]
        if bad:
            raise InputError(f"item {bad[0]} is not an image", hint="pass PIL images")
        return self._embed([im.convert("RGB") for im in images], self._image_batch)

    def _embed(self, items: list[Any], run: Any) -> np.ndarray:
        key = (self.model, self.settings.device, self.settings.dtype)
        with MODELS.use(SLOT, key, self._load, self.settings.model_idle_s) as use:
            parts = [
                run(use.value, items[i : i + self.batch]) for i in range(0, len(items), self.batch)
            ]
        vectors = np.vstack(parts).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def _load(self, previous: Any) -> _Towers:
        transformers: Any = loading.require("transformers")
        device = loading.resolve_device(self.settings.device)
        dtype = loading.resolve_dtype(self.settings.dtype, device)
        model = loading.load_pretrained(transformers.AutoModel, self.source, dtype=dtype)
        processor = loading.load_pretrained(transformers.AutoProcessor, self.source)
        return _Towers(model.to(device).eval(), processor, device)

    def _text_batch(self, towers: _Towers, texts: list[str]) -> np.ndarray:
        # SigLIP was trained on max-length padded text; CLIP on padded-to-longest
        padding = "max_length" if "siglip" in self.model_type else True
        inputs = towers.processor(text=texts, padding=padding, truncation=True, return_tensors="pt")
        return towers.features("get_text_features", inputs)

    def _image_batch(self, towers: _Towers, images: list[Any]) -> np.ndarray:
        inputs = towers.processor(images=images, return_tensors="pt")
        return towers.features("get_image_features", inputs)


class _Towers:
    def __init__(self, model: Any, processor: Any, device: str) -> None:
        self.model, self.processor, self.device = model, processor, device

    def features(self, method: str, inputs: Any) -> np.ndarray:
        torch: Any = loading.require("torch")
        dtype = next(self.model.parameters()).dtype
        moved = {
            k: (v.to(self.device, dtype) if v.is_floating_point() else v.to(self.device))
            for k, v in inputs.items()
        }
        with torch.inference_mode():
            out = getattr(self.model, method)(**moved)
        # transformers 5 returns a model output whose pooler_output is the projected vector
        tensor = out if isinstance(out, torch.Tensor) else out.pooler_output
        return np.asarray(tensor.float().cpu().numpy())


def _config(source: loading.ModelSource) -> Any:
    transformers: Any = loading.require("transformers")
    return loading.load_pretrained(transformers.AutoConfig, source)


def _dim(config: Any, model: str) -> int:
    dim = getattr(config, "projection_dim", None)
    if not dim:  # SigLIP: no projection, both towers end at the text hidden size
        dim = getattr(getattr(config, "text_config", None), "hidden_size", None)
    if not dim:
        raise MissingDependencyError(
            f"{model} does not look like a CLIP or SigLIP model",
            hint="set clip_model to a CLIP or SigLIP id or folder",
        )
    return int(dim)
