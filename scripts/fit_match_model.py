"""Fit MiniLM's caption model (:class:`reelrag.matching.decision.MatchModel`) on labelled queries.

    PYTHONPATH=src .venv/bin/python scripts/fit_match_model.py [--splits dev,heldout,...]

Ingests the retrieval set (``reelrag/data/retrieval_set``, with captions) into a temporary
workspace, takes each query's decision pool (the candidates a search weighs) and fits a logistic
regression of "this candidate is the right photo" on the caption's standout, whether it names
the query's object, their product, and the weakest word's standout. Candidates whose caption
names something else are left out (they are capped at PARTIAL whatever the model says). The
bias is then shifted so that the default threshold (0.45) sits at the best balance of the
fitted splits: the highest ``min(r, f) + 0.1 * (r + f)``, r = recall@1 accepted, f = no-answer
refusal. It prints a leave-one-split-out cross-validation (fit on the other splits, measure on
the one left out) and the model fitted on all given splits, as a line for ``decision.py``.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from reelrag.evaluation.devset import devset_queries, write_devset
from reelrag.evaluation.labels import LabelledQuery
from reelrag.index import scoring
from reelrag.index.base import IndexQuery
from reelrag.library import Library, open_library
from reelrag.matching.decide import assess
from reelrag.matching.decision import MINILM, Evidence, MatchModel, weigh
from reelrag.matching.objects import Naming, asked
from reelrag.retrieval import DECISION_POOL
from reelrag.types import SearchHit

SPLITS = ("dev", "heldout", "test", "test2", "test3", "test4")
THRESHOLD = 0.45
L2 = 1.0  # ridge on the weights, per candidate


@dataclass(frozen=True)
class Query:
    """One labelled query's split, label and its decision pool with the evidence of each."""

    split: str
    label: LabelledQuery
    pool: list[tuple[SearchHit, Evidence]]


def pools(library: Library, splits: Sequence[str]) -> list[Query]:
    found = []
    for split in splits:
        for label in devset_queries(split):
            vector = library.embedder.embed_queries([label.query])[0]
            image = vector if "image" in library.embedder.identity.modalities else None
            wanted = IndexQuery(label.query, vector, DECISION_POOL, image_vector=image)
            hits = library.index.search(wanted)
            pool = assess(hits, label.query, vector, library.index, library.embedder,
                          library.settings)  # fmt: skip
            found.append(Query(split, label, pool))
    return found


def features(ev: Evidence, words: bool = True) -> list[float] | None:
    """(standout, named, named * standout, weakest word) of a caption the model weighs; the
    last is 0 without ``words`` (its weight then fits to 0)."""
    cap = ev.caption
    if cap.standout is None or ev.naming.naming is Naming.OTHER or ev.lacking:
        return None
    named = float(ev.naming.naming is Naming.NAMED)
    word = cap.weakest[1] if cap.weakest else cap.standout
    return [cap.standout, named, named * cap.standout, word if words else 0.0]


def fit(queries: Sequence[Query], words: bool = True) -> np.ndarray:
    """Logistic-regression weights (the last is the bias), by Newton's method."""
    rows, labels = [], []
    for q in queries:
        for hit, ev in q.pool:
            if (x := features(ev, words)) is not None:
                rows.append([*x, 1.0])
                labels.append(float(q.label.matches(hit.asset)))
    x, y = np.asarray(rows), np.asarray(labels)
    ridge = np.diag([L2] * (x.shape[1] - 1) + [0.0]) / len(y)
    w = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-x @ w))
        grad = x.T @ (p - y) / len(y) + 2 * ridge @ w
        hess = (x.T * (p * (1 - p))) @ x / len(y) + 2 * ridge
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def model_of(w: np.ndarray, shift: float = 0.0) -> MatchModel:
    s, named, named_s, word, bias = (round(float(v), 2) for v in w)
    return replace(MINILM, standout=s, named=named, named_standout=named_s, word=word,
                   bias=round(bias + shift, 2))  # fmt: skip


def figures(model: MatchModel, queries: Sequence[Query], library: Library) -> tuple[float, float]:
    """(recall@1 accepted, no-answer refusal) at the default threshold under ``model``."""
    right = answerable = refused = no_answer = 0
    for q in queries:
        best, confidence = _best(model, q, library)
        if q.label.answerable:
            answerable += 1
            right += best is not None and q.label.matches(best) and confidence >= THRESHOLD
        else:
            no_answer += 1
            refused += confidence < THRESHOLD
    return right / max(answerable, 1), refused / max(no_answer, 1)


def _best(model: MatchModel, q: Query, library: Library) -> tuple[object | None, float]:
    settings, terms, wants = library.settings, scoring.terms(q.label.query), asked(q.label.query)
    scored = []
    for hit, ev in q.pool:
        again = weigh(hit, ev.caption, terms, model, settings.hybrid_text_weight, ev.lacking, wants)
        scored.append((round(again.confidence, 2), ev.caption.standout or 0.0, hit.asset))
    if not scored:
        return None, 0.0
    top = max(scored, key=lambda t: (t[0], t[1]))
    return top[2], top[0]


def balanced(w: np.ndarray, queries: Sequence[Query], library: Library) -> MatchModel:
    """``w`` with its bias shifted to the best balance at the default threshold."""
    best: tuple[float, MatchModel] | None = None
    for shift in np.arange(-3.0, 3.01, 0.1):
        model = model_of(w, float(shift))
        r, f = figures(model, queries, library)
        score = min(r, f) + 0.1 * (r + f)
        if best is None or score > best[0] + 1e-9:
            best = (score, model)
    assert best is not None
    return best[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--splits", default=",".join(SPLITS))
    parser.add_argument("--no-words", action="store_true", help="fit without the word term")
    args = parser.parse_args()
    splits, words = args.splits.split(","), not args.no_words
    with tempfile.TemporaryDirectory() as tmp:
        write_devset(Path(tmp) / "photos")
        library = open_library(Path(tmp) / "ws")
        library.ingest([str(Path(tmp) / "photos")], recursive=True)
        queries = pools(library, splits)
        print("leave-one-split-out (recall@1 accepted / no-answer refusal):")
        for split in splits:
            rest = [q for q in queries if q.split != split]
            model = balanced(fit(rest, words), rest, library)
            mine = [q for q in queries if q.split == split]
            r, f = figures(model, mine, library)
            print(f"  {split:8} {r:.3f} / {f:.3f}")
        model = balanced(fit(queries, words), queries, library)
        r, f = figures(model, queries, library)
        print(f"fitted on {', '.join(splits)}: {r:.3f} / {f:.3f}")
        print(f"MatchModel({model.standout}, {model.named}, {model.named_standout}, "
              f"{model.word}, {model.bias}, floor={model.floor}, measured=True)")  # fmt: skip


if __name__ == "__main__":
    main()
