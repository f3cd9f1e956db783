"""Fit the learned acceptance rule (reelrag.matching.acceptance) on the labelled development set.

For every query of the tuned splits of ``reelrag/data/retrieval_set`` the dev-set library is
searched as ``retrieval.search`` does; the best candidate by the hand-built confidence gives one
row: its features and whether accepting it is right (an answerable query whose best candidate
is the expected photo). An L2-regularised logistic regression (C = 1 on standardised features,
Newton's method) is fitted on those rows.

The operating point is chosen by leave-one-split-out cross-validation: each split is predicted
by a model fitted on the others; the cuts whose recall@1 accepted + no-answer refusal over all
of them comes within ``PLATEAU`` of the best form a plateau, and its middle cut is folded into
the bias, so that the default ``min_score`` is that cut. The script prints the cross-validated
figures per split and the constant to paste into ``reelrag/matching/acceptance.py``.
``--hold`` names the splits kept out of the fit: by default the blind ones
(``reelrag.evaluation.devset.BLIND``, ``test28`` to ``test34``: written while this rule was
fitted or weighed, or after; never fitted on).

Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/fit_acceptance.py [--hold SPLIT,SPLIT,...]
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

import numpy as np

from reelrag.evaluation.devset import BLIND, SPLITS, devset_queries, write_devset
from reelrag.evaluation.labels import LabelledQuery
from reelrag.index.base import IndexQuery
from reelrag.library import Library, open_library
from reelrag.matching.acceptance import FEATURES
from reelrag.matching.decide import rank_key, weigh_all
from reelrag.retrieval import DECISION_POOL
from reelrag.settings import Settings

CUTS = tuple(round(0.30 + 0.025 * i, 3) for i in range(17))
PLATEAU = 0.005  # cuts whose recall + refusal is this close to the best form the plateau


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", default=",".join(BLIND), help="splits kept out of the fit")
    args = parser.parse_args()
    held = set(args.hold.split(","))
    splits = [s for s in SPLITS if s != "all" and s not in held]
    with tempfile.TemporaryDirectory() as tmp:
        write_devset(Path(tmp) / "photos")
        library = open_library(Path(tmp) / "ws")
        library.ingest([str(Path(tmp) / "photos")], recursive=True)
        rows = [row(library, q) for s in splits for q in devset_queries(s)]
    x = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows])
    answerable = np.array([r[2] for r in rows])
    split = np.array([r[3] for r in rows])
    print(f"{len(rows)} queries from {len(splits)} splits (held out: {', '.join(sorted(held))})")
    cut = report_cv(x, y, answerable, split, splits)
    weights, bias = fit(x, y)
    bias += logit(Settings().min_score) - logit(cut)
    print("\nMINILM_ACCEPTANCE = Acceptance(")
    print(f"    weights=({', '.join(f'{w:.4f}' for w in weights)}),")
    print(f"    bias={bias:.4f},\n)  # {', '.join(FEATURES)}")


def row(library: Library, query: LabelledQuery) -> tuple[list[float], bool, bool, str]:
    """The features of ``query``'s best candidate (hand-built order) and whether it is right."""
    vector = library.embedder.embed_queries([query.query])[0]
    hits = library.index.search(IndexQuery(query.query, vector, DECISION_POOL))
    # every multi-word query probed word by word, as when the shipped weights were fitted
    weighed = weigh_all(hits, query.query, vector, library.index, library.embedder,
                        library.settings, probe_floor=0.0)  # fmt: skip
    if not weighed:
        return [0.0] * len(FEATURES), False, query.answerable, query.split
    best = min(enumerate(weighed), key=lambda pair: rank_key(pair[1].evidence, pair[0]))[1]
    right = query.answerable and query.matches(best.hit.asset)
    return best.features(), right, query.answerable, query.split


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


def report_cv(
    x: np.ndarray, y: np.ndarray, answerable: np.ndarray, split: np.ndarray, splits: list[str]
) -> float:
    """Leave-one-split-out predictions; prints the figures and returns the best cut."""
    p = np.zeros(len(y))
    for s in splits:
        test = split == s
        weights, bias = fit(x[~test], y[~test])
        p[test] = predict(weights, bias, x[test])
    hand = x[:, 0] >= Settings().min_score
    scores = {cut: sum(figures(p >= cut, y, answerable)) for cut in CUTS}
    top = max(scores.values())
    plateau = [cut for cut in CUTS if scores[cut] >= top - PLATEAU]
    best = plateau[len(plateau) // 2]
    print("cut    CV recall@1 acc. / refusal")
    for cut in CUTS:
        mark = " <- chosen" if cut == best else ""
        print(f"{cut:.3f}  {_pair(figures(p >= cut, y, answerable))}{mark}")
    print(f"hand-built rule: {_pair(figures(hand, y, answerable))}")
    print("\nsplit     hand-built       learned (CV)")
    for s in splits:
        m = split == s
        old = figures(hand[m], y[m], answerable[m])
        new = figures(p[m] >= best, y[m], answerable[m])
        print(f"{s:8}  {_pair(old)}    {_pair(new)}")
    return best


def figures(accepted: np.ndarray, right: np.ndarray, answerable: np.ndarray) -> tuple[float, float]:
    recall = (accepted & right).sum() / max(answerable.sum(), 1)
    refusal = (~accepted & ~answerable).sum() / max((~answerable).sum(), 1)
    return float(recall), float(refusal)


def _pair(figures: tuple[float, float]) -> str:
    return f"{figures[0]:.3f} / {figures[1]:.3f}"


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


if __name__ == "__main__":
    main()
