"""A pair classifier exported to ONNX, run with onnxruntime (no torch).

``verifier_model`` is a folder holding ``tokenizer.json`` and one ONNX graph (``model.onnx``,
``onnx/model.onnx`` as the hub's cross-encoder repositories lay it out, or the only ``*.onnx``
file), found as every local model is (``models_dir``, the hub cache), or a hub id whose
``onnx/model.onnx`` and ``tokenizer.json`` are fetched once by ``huggingface_hub`` (for
instance ``cross-encoder/nli-deberta-v3-xsmall``, or any model exported with ``optimum-cli
export onnx --task text-classification``). The graph takes ``input_ids`` and
``attention_mask`` (and ``token_type_ids`` where it has that input) and returns logits
``(batch, labels)``; a graph exported with a fixed sequence length gets its pairs padded to it.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from reelrag.errors import InputError, MissingDependencyError, first_line
from reelrag.localmodels import loading
from reelrag.matching.verifier import Verifier, VerifierIdentity
from reelrag.settings import Settings

GRAPHS = ("model.onnx", "onnx/model.onnx")
HUB_FILES = ["onnx/model.onnx", "model.onnx", "tokenizer.json"]
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
EXPORT_HINT = "export a sequence classifier: optimum-cli export onnx --task text-classification"
MAX_TOKENS = 256  # a caption and a query fit; longer pairs are truncated


def resolve_folder(model: str, settings: Settings) -> Path:
    """The local folder of ``model``, found as every local model is
    (:func:`reelrag.localmodels.loading.model_source`: itself, under ``models_dir``, the hub
    cache), else the hub snapshot of that id with only the graph and the tokenizer."""
    source = loading.model_source(model, settings)
    return Path(source.location) if source.local else _snapshot(model)


def _snapshot(repo: str) -> Path:
    hub: Any = loading.require("huggingface_hub")
    return Path(hub.snapshot_download(repo, allow_patterns=HUB_FILES))


def find_graph(folder: Path) -> Path:
    """The ONNX graph in ``folder``: a conventional name, else its only ``*.onnx`` file."""
    for name in GRAPHS:
        if (folder / name).is_file():
            return folder / name
    found = sorted(folder.glob("*.onnx"))
    if len(found) == 1:
        return found[0]
    what = "no .onnx file" if not found else f"{len(found)} .onnx files"
    raise InputError(f"verifier folder {folder} has {what}",
                     hint="keep one graph there, named model.onnx")  # fmt: skip


def _digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()[:16]


class OnnxVerifier(Verifier):
    """Scores (caption, query) pairs with an ONNX sequence classifier."""

    def __init__(self, model: str, settings: Settings | None = None, threads: int = 0) -> None:
        folder = resolve_folder(model, settings or Settings())
        graph = find_graph(folder)
        if not (folder / "tokenizer.json").is_file():
            raise InputError(f"verifier folder {folder} has no tokenizer.json",
                             hint="save the model's fast tokenizer beside its graph")  # fmt: skip
        self._session = _session(graph, threads)
        self._inputs = {i.name: i.shape for i in self._session.get_inputs()}
        _check_inputs(graph, set(self._inputs))
        self._length = _fixed_length(self._inputs.get("input_ids"))
        self._tokenizer = _tokenizer(folder / "tokenizer.json", self._length)
        self.identity = self._identity(model, graph, self._logits(graph))

    @classmethod
    def from_settings(cls, settings: Settings) -> OnnxVerifier:
        return cls(settings.verifier_model, settings)

    def _identity(self, model: str, graph: Path, logits: int) -> VerifierIdentity:
        """Who scored: a fitted rule follows the graph's bytes, not its folder."""
        return VerifierIdentity("onnx", model, _digest(graph), logits)

    def _logits(self, graph: Path) -> int:
        """How many logits the graph gives a pair; one line on a graph that is no classifier."""
        try:
            shape = self._session.run(None, self._feed([("a", "a")]))[0].shape
        except Exception as exc:  # onnxruntime raises its own types for a bad graph
            first = first_line(exc)
            raise InputError(f"verifier graph {graph} fails on a pair: {first}",
                             hint=EXPORT_HINT) from exc  # fmt: skip
        if len(shape) != 2 or shape[0] != 1 or shape[1] < 1:
            raise InputError(f"verifier graph {graph} gives {list(shape)}, not (pairs, labels)",
                             hint=EXPORT_HINT)  # fmt: skip
        return int(shape[1])

    def _batch(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        return np.asarray(self._session.run(None, self._feed(pairs))[0])

    def _feed(self, pairs: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]:
        encoded = self._tokenizer.encode_batch([tuple(pair) for pair in pairs])
        feed = {
            "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
        }
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.array([e.type_ids for e in encoded], dtype=np.int64)
        return feed


def _session(graph: Path, threads: int) -> Any:
    try:
        ort = importlib.import_module("onnxruntime")
    except ImportError as exc:
        raise MissingDependencyError("the onnx verifier needs onnxruntime",
                                     hint="pip install onnxruntime") from exc  # fmt: skip
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    try:
        return ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types for a bad graph
        first = first_line(exc)
        raise InputError(f"verifier graph {graph} cannot be loaded: {first}",
                         hint=EXPORT_HINT) from exc  # fmt: skip


def _check_inputs(graph: Path, names: set[str]) -> None:
    """A sequence classifier takes token ids and a mask (and maybe token types), nothing else."""
    if {"input_ids", "attention_mask"} <= names <= set(INPUTS):
        return
    raise InputError(f"verifier graph {graph} takes {', '.join(sorted(names))}, "
                     f"not {', '.join(INPUTS)}", hint=EXPORT_HINT)  # fmt: skip


def _fixed_length(shape: Any) -> int | None:
    """The sequence length a graph was exported with, or ``None`` where it is dynamic."""
    if shape is None or len(shape) < 2:
        return None
    return shape[1] if isinstance(shape[1], int) and shape[1] > 0 else None


def _tokenizer(path: Path, length: int | None) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(max_length=length or MAX_TOKENS)
    own = tokenizer.padding or {}
    token = own.get("pad_token") or next(
        (t for t in ("[PAD]", "<pad>") if tokenizer.token_to_id(t) is not None), "[PAD]"
    )
    pad_id = own.get("pad_id", tokenizer.token_to_id(token) or 0)
    tokenizer.enable_padding(pad_id=pad_id, pad_token=token, length=length)
    return tokenizer
