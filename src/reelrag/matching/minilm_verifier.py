"""The bundled verifier: all-MiniLM-L6-v2 fine-tuned on SNLI as a pair classifier (no torch).

``verifier = "minilm"`` reads (caption, query) pairs with the classifier that ships in
``reelrag/data/verifier/``: three logits (entailment, neutral, contradiction) for "does this
caption say what the query asks for". ``scripts/train_verifier.py`` trained it from the bundled
MiniLM on 100,000 pairs of SNLI, whose premises are photo captions, with the word table frozen;
so the package ships every tensor but that table (float16, ``minilm-snli.safetensors``) and takes
the table from the bundled MiniLM. Licences and figures: ``data/verifier/README.md``.

The first use builds an ONNX graph of it (the embedder's onnx runtime's BERT layers, with token
types and a ``[CLS]`` pooler and classifier as the head) into the cache folder, keyed by the
weights' SHA-256 and written atomically; :class:`~reelrag.matching.onnx_verifier.OnnxVerifier`
runs it. Its match rule ships beside it (``rule.json``, fitted by ``reelrag fit-rule`` for the
bundled embedder), so searches need no fitting.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reelrag.embeddings.minilm.encoder import EncoderLayer, bundled_model_path
from reelrag.embeddings.minilm.onnx_runtime import (
    OPSET,
    GraphBuilder,
    encoder_layer,
    mask_bias_and_weights,
)
from reelrag.errors import InputError
from reelrag.localmodels import loading
from reelrag.matching.onnx_verifier import OnnxVerifier
from reelrag.matching.rule import shipped
from reelrag.matching.verifier import VerifierIdentity
from reelrag.settings import Settings
from reelrag.storage.local import atomic_write_bytes

log = logging.getLogger(__name__)

NAME = "minilm-snli"  # the model's name in its identity and in the match rule's description
WEIGHTS = "minilm-snli.safetensors"
GRAPH_VERSION = 1  # bump when the graph changes: part of the cache folder's name
WORD_TABLE = "bert.embeddings.word_embeddings.weight"
# A search's few short pairs: one intra-op thread cost +8 ms at the median and +7 CPU-ms per
# search on the bundled library (200 queries), two threads +1 ms but +24 CPU-ms.
THREADS = 1


@dataclass(frozen=True)
class _Classifier:
    """What the graph is built from: BERT's embeddings and layers, the pooler and the head."""

    dim: int
    heads: int
    eps: float
    tables: dict[str, np.ndarray]  # word, position, token_type
    emb_ln: tuple[np.ndarray, np.ndarray]
    layers: list[EncoderLayer]
    pooler: tuple[np.ndarray, np.ndarray]  # (in, out) weight and bias
    head: tuple[np.ndarray, np.ndarray]


def load_classifier(weights: Path, base: Path) -> _Classifier:
    """The shipped tensors with the word table of the MiniLM folder ``base``."""
    from safetensors.numpy import load_file

    raw = {k: v.astype(np.float32) for k, v in load_file(str(weights)).items()}
    word = load_file(str(base / "model.safetensors"))["embeddings.word_embeddings.weight"]
    w = {k.removeprefix("bert."): v for k, v in raw.items()}
    config = json.loads((base / "config.json").read_text(encoding="utf-8"))  # same architecture
    heads = int(config["num_attention_heads"])
    return _Classifier(
        dim=int(config["hidden_size"]),
        heads=heads,
        eps=float(config.get("layer_norm_eps", 1e-12)),
        tables={
            "word": word.astype(np.float32),
            "position": w["embeddings.position_embeddings.weight"],
            "token_type": w["embeddings.token_type_embeddings.weight"],
        },
        emb_ln=(w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"]),
        layers=[EncoderLayer(w, f"encoder.layer.{i}", heads) for i in range(_count_layers(w))],
        pooler=(w["pooler.dense.weight"].T, w["pooler.dense.bias"]),
        head=(w["classifier.weight"].T, w["classifier.bias"]),
    )


def _count_layers(w: dict[str, np.ndarray]) -> int:
    return len({k.split(".")[2] for k in w if k.startswith("encoder.layer.")})


def _embeddings(g: GraphBuilder, model: _Classifier) -> str:
    word = g.op("Gather", [g.const("word", model.tables["word"]), "input_ids"], axis=0)
    kinds = g.op("Gather", [g.const("token_type", model.tables["token_type"]), "token_type_ids"])
    length = g.op("Gather", [g.op("Shape", ["input_ids"]), g.const("one_i", np.array([1]))])
    zero = g.const("zero_i", np.array([0], dtype=np.int64))
    position = g.op("Slice", [g.const("position", model.tables["position"]), zero, length, zero])
    summed = g.op("Add", [g.op("Add", [word, kinds]), position])
    return g.layer_norm(summed, *model.emb_ln, model.eps, "emb")


def build_graph(model: _Classifier) -> Any:
    """The ONNX ``ModelProto``: inputs ``input_ids``, ``attention_mask``, ``token_type_ids``
    (int64, [batch, length]); output ``logits`` (float32, [batch, labels])."""
    onnx: Any = loading.require("onnx")
    g = GraphBuilder(onnx)
    bias, _ = mask_bias_and_weights(g)
    x = _embeddings(g, model)
    for i, layer in enumerate(model.layers):
        x = encoder_layer(g, x, layer, bias, model, f"l{i}")
    first = g.op("Gather", [x, g.const("zero_s", np.array(0, dtype=np.int64))], axis=1)
    pooled = g.op("Tanh", [g.linear(first, *model.pooler, "pooler")])
    logits = g.linear(pooled, *model.head, "head")
    inputs = ("input_ids", "attention_mask", "token_type_ids")
    return g.model("minilm_snli", inputs, logits, "logits", int(model.head[1].shape[0]))


def digest(path: Path) -> str:
    """SHA-256 prefix of the tensors (names, shapes, bytes), not of the file: the header's
    metadata is written in no fixed order, so packing the same weights twice differs there."""
    from safetensors.numpy import load_file

    sha = hashlib.sha256()
    for name, tensor in sorted(load_file(str(path)).items()):
        sha.update(f"{name}:{tensor.dtype}:{tensor.shape}".encode())
        sha.update(np.ascontiguousarray(tensor).tobytes())
    return sha.hexdigest()[:16]


def graph_folder(settings: Settings, weights: Path | None = None, key: str = "") -> Path:
    """A folder with ``model.onnx`` and ``tokenizer.json`` for the shipped (or given) weights
    (``key``: their :func:`digest`, where already known), built once into the cache folder; in a
    temporary folder where the cache is not writable."""
    weights = weights or shipped(WEIGHTS)
    if not weights.is_file():
        raise InputError(f"the bundled verifier's weights {weights} are missing",
                         hint="reinstall reelrag, or unset verifier")  # fmt: skip
    base = bundled_model_path()
    key = key or digest(weights)
    folder = settings.cache_path / f"verifier-{key}-g{GRAPH_VERSION}-op{OPSET}"
    if (folder / "model.onnx").is_file() and (folder / "tokenizer.json").is_file():
        return folder
    try:
        _build_into(folder, weights, base)
    except OSError as exc:
        log.warning("cannot cache the verifier graph in %s (%s); building it in a temporary "
                    "folder", folder, exc)  # fmt: skip
        folder = Path(tempfile.mkdtemp(prefix="reelrag-verifier-"))
        _build_into(folder, weights, base)
    return folder


def _build_into(folder: Path, weights: Path, base: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(folder / "tokenizer.json", (base / "tokenizer.json").read_bytes())
    data = build_graph(load_classifier(weights, base)).SerializeToString()
    atomic_write_bytes(folder / "model.onnx", data)
    log.info("built the bundled verifier's ONNX graph into %s", folder)


class MiniLMVerifier(OnnxVerifier):
    """The bundled SNLI pair classifier, run by onnxruntime from its built graph."""

    def __init__(self, settings: Settings | None = None, threads: int = THREADS) -> None:
        settings = settings or Settings()
        weights = shipped(WEIGHTS)
        self._key = digest(weights)  # of the tensors: the built graph need not be hashed
        super().__init__(str(graph_folder(settings, weights, self._key)), settings, threads)

    def _identity(self, model: str, graph: Path, logits: int) -> VerifierIdentity:
        return VerifierIdentity("minilm", NAME, self._key, logits)

    @classmethod
    def from_settings(cls, settings: Settings) -> MiniLMVerifier:
        return cls(settings)
