"""A pair classifier loaded with transformers (PyTorch), on the configured ``device``.

``verifier_model`` is a hub id or a folder holding a ``save_pretrained`` sequence classifier
and its tokenizer (an NLI cross-encoder such as ``cross-encoder/nli-deberta-v3-xsmall``, or a
reranker), found as every local model is (:mod:`reelrag.localmodels.loading`: the folder,
``models_dir``, the hub cache; downloads only where allowed). Use it where a model has no ONNX
export, or to run the verifier on a GPU; :mod:`reelrag.matching.onnx_verifier` needs no torch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from reelrag.localmodels import loading
from reelrag.matching.verifier import Verifier, VerifierIdentity
from reelrag.settings import Settings

MAX_TOKENS = 256  # a caption and a query fit; longer pairs are truncated


class TransformersVerifier(Verifier):
    """Scores (caption, query) pairs with ``AutoModelForSequenceClassification``."""

    def __init__(self, model: str, settings: Settings) -> None:
        transformers: Any = loading.require("transformers")
        source = loading.model_source(model, settings)
        self._device = loading.resolve_device(settings.device)
        self._tokenizer = loading.load_pretrained(transformers.AutoTokenizer, source)
        classifier = transformers.AutoModelForSequenceClassification
        self._model = loading.load_pretrained(classifier, source).to(self._device).eval()
        labels = int(self._model.config.num_labels)
        self.identity = VerifierIdentity("transformers", model, _digest(self._model), labels)

    @classmethod
    def from_settings(cls, settings: Settings) -> TransformersVerifier:
        return cls(settings.verifier_model, settings)

    def _batch(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        torch: Any = loading.require("torch")
        captions, queries = [c for c, _ in pairs], [q for _, q in pairs]
        encoded = self._tokenizer(captions, queries, padding=True, truncation=True,
                                  max_length=MAX_TOKENS, return_tensors="pt")  # fmt: skip
        with torch.inference_mode():
            logits = self._model(**encoded.to(self._device)).logits
        return np.asarray(logits.float().cpu().numpy())


def _digest(model: Any) -> str:
    """SHA-256 prefix of the weights (names and bytes): a fitted rule follows them."""
    torch: Any = loading.require("torch")
    sha = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        sha.update(name.encode())
        flat = tensor.detach().to("cpu").contiguous().reshape(-1)
        sha.update(flat.view(torch.uint8).numpy().tobytes())
    return sha.hexdigest()[:16]
