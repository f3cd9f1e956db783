"""A tiny randomly initialised pair classifier saved as an ONNX folder, as ``verifier_model``.

The graph is a small stand-in for an exported NLI cross-encoder: token embeddings, a mean over
the attention mask, one linear layer to ``labels`` logits. It takes the same inputs
(``input_ids``, ``attention_mask`` and, with ``token_types``, ``token_type_ids``), with a
dynamic or a fixed sequence length, and the bundled MiniLM's ``tokenizer.json``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from reelrag.embeddings.minilm.encoder import bundled_model_path

VOCAB = 30522  # the MiniLM tokenizer's
WIDTH = 8


def build_verifier(
    folder: Path,
    labels: int = 2,
    length: int | None = None,
    token_types: bool = True,
    seed: int = 0,
    ids_name: str = "input_ids",
) -> Path:
    """Write ``folder/model.onnx`` and ``folder/tokenizer.json``; return ``folder``
    (``ids_name``: another name for the token ids, as a graph that is no classifier has)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    seq: int | str = length or "sequence"
    names = (ids_name, "attention_mask", "token_type_ids")[: 2 + token_types]
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", seq]) for n in names]
    weights = [
        numpy_helper.from_array(rng.normal(0, 1, (VOCAB, WIDTH)).astype(np.float32), "table"),
        numpy_helper.from_array(rng.normal(0, 1, (WIDTH, labels)).astype(np.float32), "w"),
        numpy_helper.from_array(rng.normal(0, 0.1, (labels,)).astype(np.float32), "b"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "last"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
    ]
    nodes = [
        helper.make_node("Gather", ["table", ids_name], ["tokens"]),
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["maskf", "last"], ["mask3"]),
        helper.make_node("Mul", ["tokens", "mask3"], ["kept"]),
        helper.make_node("ReduceSum", ["kept", "axis1"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["mask3", "axis1"], ["count"], keepdims=0),
        helper.make_node("Div", ["summed", "count"], ["pooled"]),
        helper.make_node("MatMul", ["pooled", "w"], ["projected"]),
        helper.make_node("Add", ["projected", "b"], ["logits"]),
    ]
    output = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", labels])
    graph = helper.make_graph(nodes, "tiny_verifier", inputs, [output], weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    onnx.save(model, str(folder / "model.onnx"))
    shutil.copy(bundled_model_path() / "tokenizer.json", folder / "tokenizer.json")
    return folder


def build_transformers_verifier(folder: Path, labels: int = 3, seed: int = 0) -> Path:
    """A tiny BERT sequence classifier with ``labels`` logits and the bundled MiniLM's
    tokenizer, saved with ``save_pretrained`` (as a hub NLI cross-encoder is laid out)."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=VOCAB,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        initializer_range=0.5,
    )  # logits that differ from pair to pair; fmt: skip
    config.num_labels = labels
    BertForSequenceClassification(config).save_pretrained(folder)
    AutoTokenizer.from_pretrained(bundled_model_path()).save_pretrained(folder)
    return folder
