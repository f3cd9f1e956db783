"""The onnxruntime path of the bundled MiniLM embedder: an ONNX graph built from the weights.

This module owns turning ``model.safetensors`` into an ONNX BERT graph with the ``onnx`` helper
API (no torch, no download) and running it with onnxruntime. The graph is the same computation
as :mod:`reelrag.embeddings.minilm.encoder`'s numpy forward pass, op for op:

- embeddings: word + (position + token type 0) tables, LayerNormalization;
- 6 post-LN encoder layers: fused QKV MatMul (query pre-scaled by 1/sqrt(head_dim)), additive
  mask bias, Softmax, output projection + residual, LayerNormalization, FFN with exact
  ``erf`` GELU, residual, LayerNormalization;
- mean pooling over the attention mask and L2 normalisation.

Only standard opset-18 ops are emitted; onnxruntime's own graph optimiser (``ORT_ENABLE_ALL``)
fuses what it recognises (checked on ORT 1.31: the 6 bias + erf-GELU chains into BiasGelu; the
MatMul weights are pre-packed). ``onnxruntime.transformers.optimizer`` (model_type "bert") found
no Attention or SkipLayerNormalization pattern in this graph, so it is not used. The built model
is cached in the user cache folder under the SHA-256 of the weights file, written atomically.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from reelrag.embeddings.minilm.encoder import (
    BatchedEncoder,
    MiniLMEncoder,
    load_tokenizer,
    pad_batch,
)
from reelrag.errors import MissingDependencyError
from reelrag.storage.local import atomic_write_bytes

log = logging.getLogger(__name__)

OPSET = 18  # LayerNormalization (17), Reduce* axes as inputs (18)
GRAPH_VERSION = 1  # bump when the graph changes: part of the cache file name
MASK_MIN = float(np.finfo(np.float32).min)  # padded keys get this score, as in transformers
# One query is a few tokens: a second intra-op thread cut its latency ~10% for ~45% more CPU
# (3.3 -> 4.9 CPU-ms on 2 cores), so a busy server answers more searches with one. The vectors
# are bitwise the same with any thread count.
QUERY_THREADS = 1
# A search's other call, the word-by-word probe of the learned match rule (its query's
# shortened forms and new words, reelrag.matching.support), is a handful of such texts: one
# thread spent 10-28 % less CPU on 3-9 of them (three runs: 7.9-8.6 vs 8.9-9.9 CPU-ms for 3,
# 14.4-19.5 vs 20.0-23.7 for 9) for 2-5 ms more latency, so calls of up to this many texts run
# on the query session too.
QUERY_BATCH = 16


def onnxruntime_available() -> bool:
    """True when onnxruntime and onnx are installed (the ``auto`` runtime then picks ONNX).

    Found without importing them: ``onnx`` costs ~0.2 s to import and is only needed on a
    cache miss.
    """
    return all(importlib.util.find_spec(name) is not None for name in ("onnx", "onnxruntime"))


def _require(*names: str) -> list[Any]:
    try:
        return [importlib.import_module(name) for name in names]
    except ImportError as exc:
        raise MissingDependencyError(
            "the ONNX MiniLM runtime needs onnx and onnxruntime",
            hint="pip install onnx onnxruntime, or set minilm_runtime = 'numpy'",
        ) from exc


class GraphBuilder:
    """Collects nodes and initializers; each helper returns the name of its output."""

    def __init__(self, onnx: Any) -> None:
        self.onnx = onnx
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0
        self._names: set[str] = set()

    def const(self, name: str, value: np.ndarray) -> str:
        # Scalars such as 0.5 are shared by every layer: add each name once.
        if name not in self._names:
            self._names.add(name)
            self.initializers.append(self.onnx.numpy_helper.from_array(value, name=name))
        return name

    def op(self, op_type: str, inputs: Sequence[str], **attrs: Any) -> str:
        self._count += 1
        out = f"{op_type.lower()}_{self._count}"
        self.nodes.append(
            self.onnx.helper.make_node(op_type, list(inputs), [out], name=out, **attrs)
        )
        return out

    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray, prefix: str) -> str:
        w = self.const(f"{prefix}.w", np.ascontiguousarray(weight, dtype=np.float32))
        b = self.const(f"{prefix}.b", np.ascontiguousarray(bias, dtype=np.float32))
        return self.op("Add", [self.op("MatMul", [x, w]), b])

    def layer_norm(self, x: str, weight: np.ndarray, bias: np.ndarray, eps: float, p: str) -> str:
        w = self.const(f"{p}.ln_w", weight.astype(np.float32))
        b = self.const(f"{p}.ln_b", bias.astype(np.float32))
        return self.op("LayerNormalization", [x, w, b], axis=-1, epsilon=eps)

    def model(self, name: str, inputs: Sequence[str], result: str, output: str, width: int) -> Any:
        """The ``ModelProto``: ``inputs`` int64 [batch, length], ``result`` as the float32
        [batch, width] output named ``output``."""
        helper, tensor = self.onnx.helper, self.onnx.TensorProto
        self.nodes.append(helper.make_node("Identity", [result], [output], name=output))
        feeds = [
            helper.make_tensor_value_info(n, tensor.INT64, ["batch", "length"]) for n in inputs
        ]
        out = helper.make_tensor_value_info(output, tensor.FLOAT, ["batch", width])
        graph = helper.make_graph(self.nodes, name, feeds, [out], self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = 8  # readable by every onnxruntime that supports opset 18
        return model


def _gelu(g: GraphBuilder, x: str) -> str:
    """Exact GELU in the Erf form ORT fuses into one kernel: x * 0.5 * (1 + erf(x / sqrt 2))."""
    scaled = g.op("Div", [x, g.const("sqrt2", np.array(np.sqrt(2.0), dtype=np.float32))])
    one_plus = g.op("Add", [g.op("Erf", [scaled]), g.const("one", np.array(1.0, np.float32))])
    return g.op("Mul", [g.op("Mul", [x, one_plus]), g.const("half", np.array(0.5, np.float32))])


def _attention(
    g: GraphBuilder, x: str, layer: Any, bias: str, dims: tuple[int, int], p: str
) -> str:
    heads, head_dim = dims
    qkv = g.linear(x, layer.qkv_w, layer.qkv_b, f"{p}.qkv")
    shape = g.const(f"{p}.qkv_shape", np.array([0, 0, 3, heads, head_dim], dtype=np.int64))
    split = g.op("Transpose", [g.op("Reshape", [qkv, shape])], perm=[2, 0, 3, 1, 4])
    q, k, v = (g.op("Gather", [split, g.const(f"{p}.i{i}", np.array(i))], axis=0) for i in range(3))
    scores = g.op("Add", [g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])]), bias])
    context = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
    merged_shape = g.const(f"{p}.ctx_shape", np.array([0, 0, heads * head_dim], dtype=np.int64))
    merged = g.op("Reshape", [g.op("Transpose", [context], perm=[0, 2, 1, 3]), merged_shape])
    return g.linear(merged, layer.out_w, layer.out_b, f"{p}.out")


def encoder_layer(g: GraphBuilder, x: str, layer: Any, bias: str, enc: Any, p: str) -> str:
    attended = _attention(g, x, layer, bias, (enc.heads, enc.dim // enc.heads), p)
    x = g.layer_norm(g.op("Add", [attended, x]), layer.ln1_w, layer.ln1_b, enc.eps, f"{p}.ln1")
    hidden = _gelu(g, g.linear(x, layer.up_w, layer.up_b, f"{p}.up"))
    out = g.linear(hidden, layer.down_w, layer.down_b, f"{p}.down")
    return g.layer_norm(g.op("Add", [out, x]), layer.ln2_w, layer.ln2_b, enc.eps, f"{p}.ln2")


def _embeddings(g: GraphBuilder, enc: Any) -> str:
    word = g.op("Gather", [g.const("word", enc.word), "input_ids"], axis=0)
    length = g.op("Gather", [g.op("Shape", ["input_ids"]), g.const("one_i", np.array([1]))])
    zero = g.const("zero_i", np.array([0], dtype=np.int64))
    position = g.op("Slice", [g.const("position", enc.position), zero, length, zero])
    return g.layer_norm(g.op("Add", [word, position]), enc.emb_ln_w, enc.emb_ln_b, enc.eps, "emb")


def mask_bias_and_weights(g: GraphBuilder) -> tuple[str, str]:
    """(additive attention bias [B,1,1,L], float mask [B,L,1]) from the int64 attention mask."""
    mask = g.op("Cast", ["attention_mask"], to=1)  # 1 = FLOAT
    missing = g.op("Sub", [g.const("one_f", np.array(1.0, np.float32)), mask])
    bias = g.op("Mul", [missing, g.const("mask_min", np.array(MASK_MIN, np.float32))])
    bias = g.op("Unsqueeze", [bias, g.const("axes12", np.array([1, 2], dtype=np.int64))])
    weights = g.op("Unsqueeze", [mask, g.const("axes2", np.array([2], dtype=np.int64))])
    return bias, weights


def _pool_normalise(g: GraphBuilder, x: str, weights: str) -> str:
    axis1 = g.const("axis1", np.array([1], dtype=np.int64))
    summed = g.op("ReduceSum", [g.op("Mul", [x, weights]), axis1], keepdims=0)
    count = g.op("ReduceSum", [weights, axis1], keepdims=0)
    count = g.op("Max", [count, g.const("eps9", np.array(1e-9, np.float32))])
    pooled = g.op("Div", [summed, count])
    axis_last = g.const("axis_last", np.array([-1], dtype=np.int64))
    norm = g.op("ReduceL2", [pooled, axis_last], keepdims=1)
    norm = g.op("Max", [norm, g.const("eps12", np.array(1e-12, np.float32))])
    return g.op("Div", [pooled, norm])


def build_model(encoder: Any) -> Any:
    """The ONNX ``ModelProto`` for a loaded numpy encoder (:class:`.encoder.MiniLMEncoder`).

    Inputs ``input_ids`` and ``attention_mask`` (int64, [batch, length]); output ``embedding``
    (float32, [batch, dim], unit rows).
    """
    (onnx,) = _require("onnx")
    g = GraphBuilder(onnx)
    bias, weights = mask_bias_and_weights(g)
    x = _embeddings(g, encoder)
    for i, layer in enumerate(encoder.layers):
        x = encoder_layer(g, x, layer, bias, encoder, f"l{i}")
    pooled = _pool_normalise(g, x, weights)
    return g.model("minilm", ("input_ids", "attention_mask"), pooled, "embedding", encoder.dim)


def default_cache_dir() -> Path:
    """``~/.cache/reelrag``: where built models go when ``cache_dir`` is unset."""
    return Path.home() / ".cache" / "reelrag"


def model_file(folder: Path, cache_dir: Path) -> Path:
    """The cached ``.onnx`` for the weights in ``folder``, keyed by their SHA-256 and the graph."""
    with (folder / "model.safetensors").open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()[:16]
    return cache_dir / f"minilm-{digest}-g{GRAPH_VERSION}-op{OPSET}.onnx"


def load_or_build(folder: Path, cache_dir: Path) -> bytes | str:
    """The model as a path to the cached file, or as bytes when the cache is not writable.

    Building takes ~0.4 s (90 MB of initializers serialised), loading the file ~0.1 s: built
    once per weights file, written atomically so concurrent processes never read half a file.
    """
    path = model_file(folder, cache_dir)
    if path.is_file():
        return str(path)
    data = build_model(MiniLMEncoder(folder)).SerializeToString()
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        log.warning(
            "cannot cache the MiniLM ONNX model in %s (%s); building it in memory", path, exc
        )
        return data
    log.info("built the MiniLM ONNX model into %s", path)
    return str(path)


def _session(model: bytes | str, threads: int) -> Any:
    (ort,) = _require("onnxruntime")
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Spinning threads fight for 2 cores on tiny query GEMMs (measured: 2 spinning threads ran
    # queries ~1.6x slower than 1); without spinning, 2 threads help batches, not hurt queries.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def default_threads() -> int:
    """Up to two intra-op threads: measured best on the 2-core target for batches."""
    return max(1, min(2, os.cpu_count() or 1))


class OnnxMiniLMEncoder(BatchedEncoder):
    """The MiniLM encoder run by onnxruntime; same ``tokenize``/``encode`` as the numpy one.

    ``threads`` (0: automatic) sets the intra-op threads of every call. Automatic gives batches
    :func:`default_threads` and calls of up to :data:`QUERY_BATCH` texts (a query, its probe)
    :data:`QUERY_THREADS`, each on its own session made on first use (~100 MB each), so a
    process that only searches holds one.
    """

    def __init__(self, folder: Path, cache_dir: Path | None = None, threads: int = 0) -> None:
        self._model = load_or_build(folder, cache_dir or default_cache_dir())
        self.batch_threads = threads or default_threads()
        self.query_threads = threads or QUERY_THREADS
        self._sessions: dict[int, Any] = {}
        self._lock = threading.Lock()
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.dim = int(config["hidden_size"])
        self.tokenizer = load_tokenizer(folder)

    def session(self, threads: int) -> Any:
        """The inference session with ``threads`` intra-op threads (made once, then shared)."""
        with self._lock:
            if threads not in self._sessions:
                self._sessions[threads] = _session(self._model, threads)
            return self._sessions[threads]

    def _rows_encoder(self, texts: int) -> Callable[[list[list[int]]], np.ndarray]:
        threads = self.query_threads if texts <= QUERY_BATCH else self.batch_threads
        return functools.partial(self._run, self.session(threads))

    @staticmethod
    def _run(session: Any, rows: list[list[int]]) -> np.ndarray:
        tokens, mask = pad_batch(rows)
        feeds = {"input_ids": tokens, "attention_mask": mask.astype(np.int64)}
        return np.asarray(session.run(None, feeds)[0])
