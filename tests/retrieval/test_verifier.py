"""The verifier (reelrag.matching.verifier): a pair classifier reading caption and query
together, loaded from an ONNX folder or a hub id, and the fitted rule that weighs its logits
(reelrag.matching.rule, reelrag.matching.fitting, ``reelrag fit-rule``)."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from clirunner import run_cli
from reelrag.embeddings.base import EmbedderIdentity
from reelrag.errors import InputError, ReelragError
from reelrag.index.base import IndexQuery
from reelrag.library import open_library
from reelrag.localmodels import loading
from reelrag.matching.acceptance import FEATURES, MINILM_ACCEPTANCE, Acceptance
from reelrag.matching.decide import decide, weigh_all
from reelrag.matching.fitting import fit_rule
from reelrag.matching.onnx_verifier import HUB_FILES, OnnxVerifier
from reelrag.matching.rule import RULE_FILE, FittedRule, builtin_rule, load_rule
from reelrag.retrieval import DECISION_POOL
from reelrag.settings import Settings
from retrieval_library import captioned_library
from verifier_tiny import build_verifier

MINILM = EmbedderIdentity("minilm", "sentence-transformers/all-MiniLM-L6-v2", 384)
SPLITS = ("test26", "test27")  # two tuned splits: 180 queries, a fit in seconds
CAPTIONS = {
    "garage/motorbike.jpg": "Red motorbike parked in the garage.",
    "pets/chelsea.jpg": "My ginger tabby cat Chelsea looking to the side.",
    "food/coffee.jpg": "Cup of coffee with latte art on a red saucer.",
}
PAIRS = [("Red motorbike parked in the garage.", "red motorcycle"), ("A cat.", "a dog in a park")]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_verifier(tmp_path_factory.mktemp("verifier"))


@pytest.fixture(scope="module")
def fitted(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> FittedRule:
    settings = Settings(workspace=tmp_path_factory.mktemp("fitws"))
    return fit_rule(settings, OnnxVerifier(str(tiny)), SPLITS)


def test_scores_each_pair_with_one_logit_per_label(tiny: Path) -> None:
    verifier = OnnxVerifier(str(tiny))
    logits = verifier.score(PAIRS)
    assert logits.shape == (2, 2) and logits.dtype == np.float32
    assert not np.allclose(logits[0], logits[1])
    assert np.allclose(verifier.score(PAIRS[:1])[0], logits[0], atol=1e-5)  # padding ignored
    assert verifier.score([]).shape == (0, 2)
    assert verifier.identity.logits == 2 and len(verifier.identity.digest) == 16


def test_a_graph_of_fixed_length_gets_padded_and_truncated_pairs(tmp_path: Path) -> None:
    folder = build_verifier(tmp_path / "fixed", labels=3, length=24, token_types=False)
    verifier = OnnxVerifier(str(folder))
    long_caption = "A cat sleeping on a warm windowsill. " * 30
    logits = verifier.score([*PAIRS, (long_caption, "cat")])
    assert logits.shape == (3, 3) and np.isfinite(logits).all()


def test_the_identity_follows_the_weights_not_the_folder(tmp_path: Path, tiny: Path) -> None:
    other = build_verifier(tmp_path / "other", seed=1)
    copy = build_verifier(tmp_path / "copy")
    assert OnnxVerifier(str(copy)).identity.key() == OnnxVerifier(str(tiny)).identity.key()
    assert OnnxVerifier(str(other)).identity.key() != OnnxVerifier(str(tiny)).identity.key()


def _absent(folder: Path) -> None:
    pass


def _empty(folder: Path) -> None:
    folder.mkdir(parents=True)


def _no_tokenizer(folder: Path) -> None:
    (build_verifier(folder) / "tokenizer.json").unlink()


def _two_graphs(folder: Path) -> None:
    (build_verifier(folder) / "model.onnx").rename(folder / "a.onnx")
    (folder / "b.onnx").write_bytes(b"")


def _broken_graph(folder: Path) -> None:
    (build_verifier(folder) / "model.onnx").write_bytes(b"x")


def _other_inputs(folder: Path) -> None:
    build_verifier(folder, ids_name="pixel_values")


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (_absent, "does not exist"),
        (_empty, "has no .onnx file"),
        (_no_tokenizer, "has no tokenizer.json"),
        (_two_graphs, "has 2 .onnx files"),
        (_broken_graph, "cannot be loaded"),
        (_other_inputs, "takes attention_mask, pixel_values, token_type_ids, not input_ids"),
    ],
)
def test_a_bad_model_folder_gets_a_one_line_error(
    tmp_path: Path, setup: Callable[[Path], None], message: str
) -> None:
    folder = tmp_path / "nested" / "model"
    setup(folder)
    with pytest.raises(ReelragError, match=message) as caught:
        OnnxVerifier(str(folder))
    assert "\n" not in str(caught.value)
    with pytest.raises(ReelragError, match="no model was configured"):
        OnnxVerifier("")
    with pytest.raises(ReelragError, match="downloads are off"):  # HF_HUB_OFFLINE in tests
        OnnxVerifier("cross-encoder/nli-deberta-v3-xsmall")


def test_a_hub_id_is_fetched_once_with_only_the_graph_and_tokenizer(
    tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, list[str]]] = []

    def snapshot_download(repo: str, allow_patterns: list[str]) -> str:  # the network edge
        asked.append((repo, allow_patterns))
        return str(tiny)

    hub = types.SimpleNamespace(snapshot_download=snapshot_download)
    monkeypatch.setitem(sys.modules, "huggingface_hub", hub)
    online = loading.ModelSource  # not on this machine, downloads allowed
    monkeypatch.setattr(
        loading, "model_source", lambda model, settings: online(model, model, False, False)
    )
    verifier = OnnxVerifier("cross-encoder/nli-deberta-v3-xsmall")
    assert asked == [("cross-encoder/nli-deberta-v3-xsmall", HUB_FILES)]
    assert verifier.identity.model == "cross-encoder/nli-deberta-v3-xsmall"
    assert verifier.score(PAIRS).shape == (2, 2)


def test_a_verifier_needs_a_rule_fitted_for_it(tmp_path: Path, tiny: Path) -> None:
    verifier = OnnxVerifier(str(tiny))
    with pytest.raises(InputError, match=r"has no fitted rule.*reelrag fit-rule"):
        load_rule(tmp_path, MINILM, verifier)
    assert load_rule(tmp_path, MINILM, None).acceptance is MINILM_ACCEPTANCE
    assert load_rule(tmp_path, MINILM, None) == builtin_rule(MINILM)


def test_a_fitted_rule_holds_only_for_its_models(
    tmp_path: Path, tiny: Path, caplog: pytest.LogCaptureFixture
) -> None:
    verifier = OnnxVerifier(str(tiny))
    names = (*FEATURES, "verifier_0", "verifier_1")
    key = verifier.identity.key()
    rule = FittedRule((1.0,) * 9, -2.0, MINILM.key(), key, names, 0.5, {"chosen": [0.9, 0.9]})
    path = rule.save(tmp_path)
    assert path == tmp_path / RULE_FILE and FittedRule.load(path) == rule
    found = load_rule(tmp_path, MINILM, verifier)
    assert found.acceptance == rule.acceptance and found.verifier is verifier
    assert found.describe() == f"fitted rule {path}, verifier onnx {tiny}"
    assert found.describe(learned=False) == "hand-built confidence"
    assert builtin_rule(MINILM).describe() == "built-in learned rule"
    other = build_verifier(tmp_path / "other", seed=3)
    with pytest.raises(InputError, match="a rule fitted for other models"):
        load_rule(tmp_path, MINILM, OnnxVerifier(str(other)))
    assert load_rule(tmp_path, MINILM, None).acceptance is MINILM_ACCEPTANCE
    assert "fitted for other models" in caplog.text
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="is not a fitted rule"):
        load_rule(tmp_path, MINILM, verifier)


def test_fit_rule_weighs_the_verifiers_logits_after_the_features(fitted: FittedRule) -> None:
    assert fitted.features == (*FEATURES, "verifier_0", "verifier_1")
    assert len(fitted.weights) == len(fitted.features)
    assert fitted.embedder == MINILM.key() and fitted.verifier.startswith("onnx:")
    cv = fitted.figures
    assert cv["queries"] == 180 and cv["splits"] == 2
    recall, refusal = cv["chosen"]
    assert 0.0 < recall <= 1.0 and 0.0 < refusal <= 1.0
    assert fitted.cut in [float(c) for c in cv["cuts"]]


def test_fitting_on_blind_or_unknown_splits_is_refused(tmp_path: Path) -> None:
    for splits in (("test26", "test34"), ("nope", "test26"), ("test26",)):
        with pytest.raises(InputError, match="cannot fit on"):
            fit_rule(Settings(workspace=tmp_path), None, splits)


def test_a_search_reads_the_verifiers_logits_with_the_fitted_rule(
    tmp_path: Path, tiny: Path, fitted: FittedRule
) -> None:
    library = captioned_library(tmp_path, CAPTIONS, verifier="onnx", verifier_model=str(tiny))
    fitted.save(library.settings.workspace)
    rule = library.rule
    assert rule.verifier is not None and rule.acceptance == fitted.acceptance
    query = "red motorcycle in a garage"
    vector = library.embedder.embed_queries([query])[0]
    found = library.index.search(IndexQuery(query, vector, DECISION_POOL))
    weighed = weigh_all(found, query, vector, library.index, library.embedder,
                        library.settings, rule=rule)  # fmt: skip
    read = [w for w in weighed if w.logits is not None]
    assert read and all(len(w.features()) == len(fitted.weights) for w in read)
    one = read[0]
    expected = fitted.acceptance.confidence(one.features())
    if one.evidence.text >= 1.0:  # a caption holding every term keeps the hand-built floor
        expected = max(expected, one.evidence.confidence)
    args = (found, query, vector, library.index, library.embedder, library.settings)
    scored = {h.asset.id: h.score for h in decide(*args, rule)}
    assert scored[one.hit.asset.id] == pytest.approx(round(expected, 6))
    push = fitted.acceptance.push(one.logits or ())
    why = next(h.why for h in decide(*args, rule) if h.asset.id == one.hit.asset.id)
    assert f"verifier {push:+.1f}" in why
    built_in = {h.asset.id: h.score for h in decide(*args)}
    assert built_in[one.hit.asset.id] != scored[one.hit.asset.id]
    assert library.search(query).request.query == query  # the library's search runs with it


def test_a_verifier_without_a_fitted_rule_refuses_to_search(tmp_path: Path, tiny: Path) -> None:
    library = captioned_library(tmp_path, CAPTIONS, verifier="onnx", verifier_model=str(tiny))
    with pytest.raises(InputError, match="reelrag fit-rule"):
        library.search("red motorcycle")


def test_fit_rule_command_writes_the_rule_and_reset_removes_it(
    tmp_path: Path, tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELRAG_VERIFIER", "onnx")
    monkeypatch.setenv("REELRAG_VERIFIER_MODEL", str(tiny))
    ws = tmp_path / "ws"
    code, out = run_cli(ws, "fit-rule", "--splits", ",".join(SPLITS))
    assert code == 0, out
    assert "cross-validated on 180 queries in 2 splits" in out and "(chosen: min_score)" in out
    assert "hand-built rule" in out and f"wrote {ws / RULE_FILE}" in out.replace("\n", "")
    code, out = run_cli(ws, "fit-rule", "--splits", ",".join(SPLITS), "--json")
    assert code == 0, out
    shown = json.loads(out)
    assert Path(shown["path"]) == ws / RULE_FILE
    assert shown["features"][-2:] == ["verifier_0", "verifier_1"]
    assert open_library(ws).rule.verifier is not None
    code, out = run_cli(ws, "fit-rule", "--reset")
    assert code == 0 and not (ws / RULE_FILE).exists() and "unset verifier, or fit again" in out
    monkeypatch.delenv("REELRAG_VERIFIER")
    code, out = run_cli(ws, "fit-rule", "--reset")
    assert code == 0 and "no fitted rule" in out and "searches use the built-in rule" in out
    code, out = run_cli(ws, "fit-rule", "--splits", "test34,test26")
    assert code == 2 and "cannot fit on unknown or blind splits test34" in out


def test_the_verifiers_push_is_its_share_of_the_logit() -> None:
    rule = Acceptance(weights=(1.0, 2.0, 3.0, -4.0), bias=0.5)
    assert rule.push((2.0, 1.0)) == pytest.approx(3.0 * 2.0 - 4.0)
    assert rule.push(()) == 0.0


def test_a_transformers_verifier_scores_pairs_and_fits_a_rule(tmp_path: Path) -> None:
    """The same contract on PyTorch: a saved sequence classifier (three labels, as an NLI
    cross-encoder has) loaded from its folder, its identity following its weights."""
    pytest.importorskip("torch", reason="the local extra (torch) is not installed")
    pytest.importorskip("transformers", reason="the local extra (transformers) is not installed")
    from reelrag.matching.transformers_verifier import TransformersVerifier
    from verifier_tiny import build_transformers_verifier

    folder = build_transformers_verifier(tmp_path / "nli")
    settings = Settings(workspace=tmp_path / "ws", device="cpu")
    verifier = TransformersVerifier(str(folder), settings)
    logits = verifier.score(PAIRS)
    assert logits.shape == (2, 3) and logits.dtype == np.float32
    assert not np.allclose(logits[0], logits[1], atol=1e-3)
    assert np.allclose(verifier.score(PAIRS[:1])[0], logits[0], atol=1e-5)  # padding ignored
    assert verifier.score([]).shape == (0, 3)
    again = TransformersVerifier(str(folder), settings).identity
    other = build_transformers_verifier(tmp_path / "other", seed=1)
    assert again.key() == verifier.identity.key()
    assert TransformersVerifier(str(other), settings).identity.key() != again.key()
    rule = fit_rule(settings, verifier, SPLITS)
    assert rule.features[-3:] == ("verifier_0", "verifier_1", "verifier_2")
    assert rule.verifier == verifier.identity.key()
