"""The bundled verifier (reelrag.matching.minilm_verifier): the shipped SNLI pair classifier,
built into an ONNX graph once, its shipped rule, and ``verifier = "auto"``."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from clirunner import run_cli
from reelrag.embeddings.base import EmbedderIdentity
from reelrag.errors import InputError
from reelrag.matching import minilm_verifier
from reelrag.matching.minilm_verifier import NAME, WEIGHTS, MiniLMVerifier, graph_folder
from reelrag.matching.rule import RULE_FILE, load_rule, shipped, shipped_rule, verifier_name
from reelrag.settings import Settings
from retrieval_library import captioned_library

MINILM = EmbedderIdentity("minilm", "sentence-transformers/all-MiniLM-L6-v2", 384)
ENTAILMENT, NEUTRAL, CONTRADICTION = range(3)
PAIRS = [
    ("My ginger tabby cat Chelsea looking to the side.", "a cat"),
    ("Red motorbike parked in the garage.", "red running shoes"),
    ("Cup of coffee with latte art on a red saucer.", "a cup of coffee"),
    ("Astronaut in an orange space suit smiling, US flag behind her.", "a deep sea diver"),
]
CAPTIONS = {
    "garage/motorbike.jpg": "Red motorbike parked in the garage.",
    "pets/chelsea.jpg": "My ginger tabby cat Chelsea looking to the side.",
    "food/coffee.jpg": "Cup of coffee with latte art on a red saucer.",
}


@pytest.fixture(scope="module")
def verifier(tmp_path_factory: pytest.TempPathFactory) -> MiniLMVerifier:
    return MiniLMVerifier(Settings(cache_dir=str(tmp_path_factory.mktemp("cache"))))


def test_the_shipped_classifier_reads_entailment_from_caption_and_query(
    verifier: MiniLMVerifier,
) -> None:
    logits = verifier.score(PAIRS)
    assert logits.shape == (4, 3) and verifier.identity.logits == 3
    said = logits.argmax(axis=1)
    assert said[0] == ENTAILMENT and said[2] == ENTAILMENT
    assert said[1] != ENTAILMENT and said[3] != ENTAILMENT
    assert verifier.identity.name == "minilm" and verifier.identity.model == NAME


def test_the_graph_computes_what_transformers_computes(
    verifier: MiniLMVerifier, tmp_path: Path
) -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from safetensors.numpy import load_file

    base = minilm_verifier.bundled_model_path()
    config = transformers.AutoConfig.from_pretrained(base, num_labels=3)
    model = transformers.BertForSequenceClassification(config).eval()
    state = {k: torch.from_numpy(v.astype(np.float32)) for k, v in
             load_file(str(shipped(WEIGHTS))).items()}  # fmt: skip
    word = load_file(str(base / "model.safetensors"))["embeddings.word_embeddings.weight"]
    state[minilm_verifier.WORD_TABLE] = torch.from_numpy(word)
    assert not model.load_state_dict(state, strict=False).missing_keys
    tokenizer = transformers.AutoTokenizer.from_pretrained(base)
    encoded = tokenizer([c for c, _ in PAIRS], [q for _, q in PAIRS], padding=True,
                        return_tensors="pt")  # fmt: skip
    with torch.no_grad():
        expected = model(**encoded).logits.numpy()
    assert np.abs(verifier.score(PAIRS) - expected).max() < 1e-3


def test_the_graph_is_built_once_into_the_cache(tmp_path: Path) -> None:
    settings = Settings(cache_dir=str(tmp_path))
    folder = graph_folder(settings)
    assert folder.parent == tmp_path and (folder / "tokenizer.json").is_file()
    built = (folder / "model.onnx").stat().st_mtime_ns
    assert graph_folder(settings) == folder
    assert (folder / "model.onnx").stat().st_mtime_ns == built


def test_an_unwritable_cache_builds_in_a_temporary_folder(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        folder = graph_folder(Settings(cache_dir=str(blocker / "cache")))
    assert (folder / "model.onnx").is_file() and "cannot cache the verifier graph" in caplog.text


def test_missing_weights_get_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"weights .* are missing"):
        graph_folder(Settings(cache_dir=str(tmp_path)), tmp_path / WEIGHTS)


def test_auto_is_the_bundled_verifier_only_where_its_rule_holds() -> None:
    shipped_fit = shipped_rule()
    assert shipped_fit is not None and shipped_fit.embedder == MINILM.key()
    assert verifier_name("auto", MINILM) == "minilm"
    assert verifier_name("auto", MINILM, learned=False) == ""
    assert verifier_name("auto", EmbedderIdentity("clip", "openai/clip", 512)) == ""
    assert verifier_name("onnx", MINILM) == "onnx" and verifier_name("", MINILM) == ""
    assert verifier_name("none", MINILM) == ""  # where an empty value cannot be given


def test_the_shipped_rule_is_the_one_fitted_for_the_shipped_weights(
    verifier: MiniLMVerifier, tmp_path: Path
) -> None:
    fit = shipped_rule()
    assert fit is not None and fit.verifier == verifier.identity.key()
    assert fit.features[-3:] == ("verifier_0", "verifier_1", "verifier_2")
    rule = load_rule(tmp_path, MINILM, verifier)
    assert rule.acceptance == fit.acceptance and rule.source == "built-in"
    assert rule.describe() == f"built-in learned rule, verifier minilm {NAME}"


def test_a_workspace_rule_fitted_for_it_comes_first(
    verifier: MiniLMVerifier, tmp_path: Path
) -> None:
    fit = shipped_rule()
    assert fit is not None
    mine = type(fit)(tuple(w + 0.5 for w in fit.weights), fit.bias, fit.embedder, fit.verifier,
                     fit.features, fit.cut, {})  # fmt: skip
    path = mine.save(tmp_path)
    assert tmp_path / RULE_FILE == path
    assert load_rule(tmp_path, MINILM, verifier).acceptance == mine.acceptance


def test_a_default_search_reads_the_bundled_verifier(tmp_path: Path) -> None:
    library = captioned_library(tmp_path, CAPTIONS, cache_dir=str(tmp_path / "cache"))
    assert library.settings.verifier == "auto"
    assert library.rule.verifier is not None and library.rule.source == "built-in"
    found = library.search("a latte")
    assert found and found[0].asset.source.endswith("coffee.jpg")
    assert "verifier" in found[0].why
    refused = library.search("red running shoes")
    assert not refused and refused.nearest is not None  # too far off for the verifier to read


def test_fit_rule_fits_for_the_verifier_auto_resolves_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = run_cli(tmp_path / "ws", "fit-rule", "--splits", "test26,test27", "--json")
    assert code == 0, out
    shown = json.loads(out)
    assert shown["verifier"].startswith("minilm:") and shown["features"][-1] == "verifier_2"
    monkeypatch.setenv("REELRAG_VERIFIER", "none")
    code, out = run_cli(tmp_path / "ws2", "fit-rule", "--splits", "test26,test27", "--json")
    assert code == 0, out
    assert json.loads(out)["verifier"] == "" and "verifier_0" not in json.loads(out)["features"]


def test_the_identity_follows_the_tensors_not_the_files_header(tmp_path: Path) -> None:
    from safetensors.numpy import load_file, save_file

    tensors = load_file(str(shipped(WEIGHTS)))
    save_file(tensors, str(tmp_path / "a.safetensors"), metadata={"x": "1", "y": "2"})
    save_file(tensors, str(tmp_path / "b.safetensors"), metadata={"y": "2", "z": "3"})
    same = minilm_verifier.digest(tmp_path / "a.safetensors")
    assert same == minilm_verifier.digest(tmp_path / "b.safetensors")
    assert same == minilm_verifier.digest(shipped(WEIGHTS))
    tensors["classifier.bias"] = tensors["classifier.bias"] + 1
    save_file(tensors, str(tmp_path / "c.safetensors"))
    assert minilm_verifier.digest(tmp_path / "c.safetensors") != same
