"""Fit the learned acceptance rule (:mod:`reelrag.matching.acceptance`) on labelled queries.

The bundled development set (:mod:`reelrag.evaluation.devset`: 40 captioned photos, thousands
of labelled queries) is ingested into a scratch workspace with the embedder in use; each query
is searched as ``retrieval.search`` does and its best candidate by the hand-built order gives
one row: its features (with a verifier, the verifier's logits for that caption and the query)
and whether accepting it is right (an answerable query whose best candidate is the expected
photo). An L2-regularised logistic regression (C = 1 on standardised features, Newton's
method) is fitted on the rows.

The operating point is chosen by leave-one-split-out cross-validation: each split is predicted
by a model fitted on the others; the cuts whose pooled recall@1 accepted + no-answer refusal
comes within :data:`PLATEAU` of the best form a plateau, and its middle cut is folded into the
bias, so that ``min_score`` is that cut. The blind splits (``devset.BLIND``) are never fitted
on. ``benchmarks/fit_acceptance.py`` prints the built-in rule with this code.
"""

from __future__ import annotations

import logging
import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from reelrag.captioning.evidence import has_caption
from reelrag.errors import InputError
from reelrag.evaluation.devset import BLIND, SPLITS, devset_queries, write_devset
from reelrag.evaluation.labels import LabelledQuery
from reelrag.events import ProgressCallback, ProgressEvent, ignore_progress
from reelrag.index.base import IndexQuery
from reelrag.matching.acceptance import FEATURES, Acceptance
from reelrag.matching.decide import rank_key, weigh_all
from reelrag.matching.rule import FittedRule, Rule
from reelrag.matching.verifier import Verifier
from reelrag.retrieval import DECISION_POOL
from reelrag.settings import Settings

if TYPE_CHECKING:
    from reelrag.library import Library

log = logging.getLogger(__name__)

CUTS = tuple(round(0.30 + 0.025 * i, 3) for i in range(17))
VERIFY_CHUNK = 64  # pairs per verifier call while fitting (a progress step)
PLATEAU = 0.005  # cuts whose recall + refusal is this close to the best form the plateau
TUNED = tuple(s for s in SPLITS if s != "all" and s not in BLIND)
# Rows are weighed as a learned rule weighs them (every multi-word query probed word by word),
# whatever the rule in use: any acceptance model makes weigh_all do that.
PROBED = Rule(Acceptance(weights=(), bias=0.0))


@dataclass(frozen=True)
class Rows:
    """One row per labelled query: the features of its best candidate and the labels."""

    x: np.ndarray  # (queries, features)
    right: np.ndarray  # accepting the best candidate is right
    answerable: np.ndarray
    split: np.ndarray


def fit_rule(
    settings: Settings,
    verifier: Verifier | None = None,
    splits: Sequence[str] = TUNED,
    progress: ProgressCallback = ignore_progress,
) -> FittedRule:
    """The rule for ``settings``'s embedder (and ``verifier``), fitted on ``splits`` of the
    bundled labelled set, with its cross-validated figures."""
    _check_splits(splits)
    with tempfile.TemporaryDirectory(prefix="reelrag-fit-") as tmp:
        library = _devset_library(settings, Path(tmp))
        try:
            queries = [q for s in splits for q in devset_queries(s)]
            rows = collect_rows(library, queries, verifier, progress)
            identity = library.embedder.identity.key()
        finally:
            library.close()
    cut, figures = cross_validate(rows, splits, settings.min_score)
    weights, bias = fit(rows.x, rows.right)
    bias += logit(settings.min_score) - logit(cut)
    logits = verifier.identity.logits if verifier else 0
    return FittedRule(
        weights=tuple(round(float(w), 6) for w in weights),
        bias=round(bias, 6),
        embedder=identity,
        verifier=verifier.identity.key() if verifier else "",
        features=(*FEATURES, *(f"verifier_{i}" for i in range(logits))),
        cut=cut,
        figures=figures,
    )


def _check_splits(splits: Sequence[str]) -> None:
    unknown = [s for s in splits if s not in TUNED]
    if len(splits) < 2 or unknown:
        what = f"unknown or blind splits {', '.join(unknown)}" if unknown else "one split"
        raise InputError(f"cannot fit on {what}",
                         hint=f"use two or more of {TUNED[0]} ... {TUNED[-1]}")  # fmt: skip


def _devset_library(settings: Settings, tmp: Path) -> Library:
    """The bundled photos ingested with ``settings``'s embedder in a scratch workspace."""
    from reelrag.library import Library

    write_devset(tmp / "photos")
    scratch = replace(settings, workspace=tmp / "ws", store="", index_uri="", index="lancedb",
                      captioner="metadata", verifier="")  # fmt: skip
    library = Library(scratch)
    library.ingest([str(tmp / "photos")], recursive=True)
    return library


def collect_rows(
    library: Library,
    queries: Sequence[LabelledQuery],
    verifier: Verifier | None = None,
    progress: ProgressCallback = ignore_progress,
) -> Rows:
    """Each query's row, searched in ``library`` as ``retrieval.search`` does."""
    found = []
    for done, query in enumerate(queries, start=1):
        found.append(_row(library, query))
        progress(ProgressEvent("search", done, len(queries)))
    if verifier is not None:
        found = _with_logits(found, queries, verifier, progress)
    return Rows(
        x=np.array([features for features, _, _ in found], dtype=np.float64),
        right=np.array([right for _, right, _ in found], dtype=bool),
        answerable=np.array([q.answerable for q in queries], dtype=bool),
        split=np.array([q.split for q in queries]),
    )


def _row(library: Library, query: LabelledQuery) -> tuple[list[float], bool, str | None]:
    """The features of ``query``'s best candidate, whether it is right, and its caption."""
    vector = library.embedder.embed_queries([query.query])[0]
    hits = library.index.search(IndexQuery(query.query, vector, DECISION_POOL))
    weighed = weigh_all(hits, query.query, vector, library.index, library.embedder,
                        library.settings, probe_floor=0.0, rule=PROBED)  # fmt: skip
    if not weighed:
        return [0.0] * len(FEATURES), False, None
    best = min(enumerate(weighed), key=lambda pair: rank_key(pair[1].evidence, pair[0]))[1]
    right = query.answerable and query.matches(best.hit.asset)
    # the verifier reads captions as a search does: not file and folder names' words
    caption = best.hit.asset.caption if has_caption(best.hit.asset) else None
    return best.features(), right, caption


def _with_logits(
    found: list[tuple[list[float], bool, str | None]],
    queries: Sequence[LabelledQuery],
    verifier: Verifier,
    progress: ProgressCallback,
) -> list[tuple[list[float], bool, str | None]]:
    """The rows with the verifier's logits for (best caption, query); zeros without one."""
    read = [i for i, (_, _, caption) in enumerate(found) if caption]
    pairs = [(found[i][2] or "", queries[i].query) for i in read]
    chunks = []
    for start in range(0, len(pairs), VERIFY_CHUNK):
        chunks.append(verifier.score(pairs[start : start + VERIFY_CHUNK]))
        progress(ProgressEvent("verify", min(start + VERIFY_CHUNK, len(pairs)), len(pairs)))
    logits = np.concatenate(chunks) if chunks else np.zeros((0, verifier.identity.logits))
    extra = [[0.0] * verifier.identity.logits for _ in found]
    for i, row in zip(read, logits, strict=True):
        extra[i] = [float(v) for v in row]
    return [(f + e, right, caption) for (f, right, caption), e in zip(found, extra, strict=True)]


def fit(x: np.ndarray, y: np.ndarray, c: float = 1.0) -> tuple[np.ndarray, float]:
    """Logistic regression on standardised ``x`` (L2 penalty ``|w|^2 / 2c``, bias free), folded
    back into weights and a bias on the raw features."""
    mean, spread = x.mean(axis=0), x.std(axis=0)
    spread[spread == 0] = 1.0
    z = np.c_[(x - mean) / spread, np.ones(len(x))]
    w = np.zeros(z.shape[1])
    penalty = np.r_[np.ones(z.shape[1] - 1), 0.0] / c
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-z @ w))
        gradient = z.T @ (p - y) + penalty * w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = w[:-1] / spread
    return weights, float(w[-1] - weights @ mean)


def predict(weights: np.ndarray, bias: float, x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(x @ weights + bias)))


def cross_validate(
    rows: Rows, splits: Sequence[str], hand_cut: float
) -> tuple[float, dict[str, object]]:
    """The chosen cut and the figures: leave-one-split-out predictions at every cut, the
    hand-built rule at ``hand_cut`` and each split at the chosen cut."""
    p = np.zeros(len(rows.right))
    for s in splits:
        test = rows.split == s
        weights, bias = fit(rows.x[~test], rows.right[~test])
        p[test] = predict(weights, bias, rows.x[test])
    scores = {cut: sum(figures(p >= cut, rows.right, rows.answerable)) for cut in CUTS}
    top = max(scores.values())
    plateau = [cut for cut in CUTS if scores[cut] >= top - PLATEAU]
    best = plateau[len(plateau) // 2]
    hand = rows.x[:, 0] >= hand_cut
    return best, {
        "queries": len(rows.right),
        "splits": len(splits),
        "cuts": {f"{c:.3f}": figures(p >= c, rows.right, rows.answerable) for c in CUTS},
        "chosen": figures(p >= best, rows.right, rows.answerable),
        "hand_built": figures(hand, rows.right, rows.answerable),
        "per_split": {
            s: (
                figures(hand[m], rows.right[m], rows.answerable[m]),
                figures(p[m] >= best, rows.right[m], rows.answerable[m]),
            )
            for s in splits
            for m in [rows.split == s]
        },
    }


def figures(accepted: np.ndarray, right: np.ndarray, answerable: np.ndarray) -> tuple[float, float]:
    """(recall@1 accepted, no-answer refusal) of a set of accept decisions."""
    recall = (accepted & right).sum() / max(answerable.sum(), 1)
    refusal = (~accepted & ~answerable).sum() / max((~answerable).sum(), 1)
    return float(recall), float(refusal)


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))
