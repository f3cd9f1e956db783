"""``embedder.minilm``: the bundled offline text embedder and its runtime choice.

The numpy forward pass lives in :mod:`.encoder`, the onnxruntime graph in :mod:`.onnx_runtime`;
this module picks one (``minilm_runtime``) and caches query vectors.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from reelrag.embeddings.base import Embedder, EmbedderIdentity
from reelrag.embeddings.minilm.encoder import (
    MODEL_ID,
    QUERY_CACHE_SIZE,
    MiniLMEncoder,
    resolve_model_path,
)
from reelrag.errors import ConfigError
from reelrag.settings import Settings

log = logging.getLogger(__name__)


RUNTIMES = ("auto", "onnx", "numpy")


class _Encoder(Protocol):
    dim: int

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def resolve_runtime(runtime: str) -> str:
    """``onnx`` or ``numpy``: ``auto`` picks ONNX when onnxruntime and onnx import."""
    if runtime not in RUNTIMES:
        raise ConfigError(
            f"minilm_runtime {runtime!r} is not one of {', '.join(RUNTIMES)}",
            hint="set minilm_runtime to auto, onnx or numpy",
        )
    if runtime != "auto":
        return runtime
    from reelrag.embeddings.minilm.onnx_runtime import onnxruntime_available

    return "onnx" if onnxruntime_available() else "numpy"


@lru_cache(maxsize=4)
def _load_encoder(folder: Path, runtime: str, cache_dir: str, threads: int) -> _Encoder:
    # Weights and ORT sessions are read-only after loading: embedders on one folder share them.
    if runtime == "numpy":
        return MiniLMEncoder(folder)
    from reelrag.embeddings.minilm.onnx_runtime import OnnxMiniLMEncoder

    return OnnxMiniLMEncoder(folder, Path(cache_dir).expanduser() if cache_dir else None, threads)


class MiniLMEmbedder(Embedder):
    """``embedder.minilm``: all-MiniLM-L6-v2 text vectors (384-d), offline, CPU, no torch.

    Two runtimes give the same vectors (to ~1e-6): ``onnx`` (onnxruntime, the default when it is
    installed, ~2x faster) and ``numpy``; an index built with one is searched with the other.

    >>> from reelrag.settings import Settings
    >>> emb = MiniLMEmbedder.from_settings(Settings())
    >>> emb.embed_texts(["a cat"]).shape
    (1, 384)
    """

    def __init__(
        self,
        model_path: str | Path = "",
        runtime: str = "auto",
        cache_dir: str = "",
        threads: int = 0,
    ) -> None:
        folder = resolve_model_path(str(model_path))
        self.model_path = folder
        self.runtime = resolve_runtime(runtime)
        self.encoder = _load_encoder(folder, self.runtime, cache_dir, threads)
        self.identity = EmbedderIdentity(name="minilm", model=MODEL_ID, dim=self.encoder.dim)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        log.debug("loaded MiniLM (%s runtime) from %s", self.runtime, folder)

    @classmethod
    def from_settings(cls, settings: Settings) -> MiniLMEmbedder:
        return cls(
            settings.minilm_path,
            runtime=settings.minilm_runtime,
            cache_dir=settings.cache_dir,
            threads=settings.minilm_threads,
        )

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Shape (len(texts), 384), float32, unit rows. Single texts (queries) are cached."""
        if isinstance(texts, str):
            raise TypeError("embed_texts takes a sequence of strings, not one string")
        if len(texts) == 1:
            return self._embed_cached(texts[0])[None, :].copy()
        return self.encoder.encode(texts)

    def _embed_cached(self, text: str) -> np.ndarray:
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        vector = self.encoder.encode([text])[0]
        with self._lock:
            self._cache[text] = vector
            if len(self._cache) > QUERY_CACHE_SIZE:
                self._cache.popitem(last=False)
        return vector
