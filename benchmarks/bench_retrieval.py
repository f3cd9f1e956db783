"""Retrieval you can trust: recall@1 accepted and no-answer refusal, new decision vs old fusion.

Run: PYTHONPATH=src .venv/bin/python benchmarks/bench_retrieval.py [--old-ref COMMIT] [--json]

Data: the development set in ``reelrag/data/retrieval_set`` (40 real photos from scikit-image
and matplotlib, half in an iPhone camera roll ``DCIM/100APPLE/IMG_01xx.jpg``, captions as
sidecars; 1817 answerable queries phrased as users do and 1386 with no answer) in 37
splits: ``dev`` (the decision's constants were fitted on it), ``heldout``, ``test`` and
``test2`` to ``test27`` (each held out in one round of work, measured once, then seen), and
``test28`` to ``test35`` (50 + 40 queries each, written by a helper who saw only the photos'
captions and the earlier queries, committed unread, never tuned on).
``test3`` to ``test27`` were written the same way. For ``test9`` to ``test35``, whose
no-answer queries are labelled near neighbours or everyday searches (``no_answer_kinds.csv``),
``test32/near`` and ``test32/far`` are the split with only one kind of no-answer query.
Also run on the same photos WITHOUT captions (only file and folder names): there, refusing is
right.

For every built-in embedder configuration that works offline (MiniLM with each runtime that is
installed; CLIP/SigLIP/Titan need weights or AWS and are reported as skipped), at the default
settings: figures of the new decision, and of the OLD fusion on the same photos and queries,
run from the old source tree (``git archive OLD_REF src``) in a subprocess, at its own default
threshold (0.45). ``--every-word`` measures the opt-in word-by-word check
(``match_every_word``, :mod:`reelrag.matching.support`) instead; ``--no-objects`` turns the
object check off (``match_objects``, :mod:`reelrag.matching.objects`). Targets on the splits
never tuned on (``test28`` to ``test35``, pooled as ``blind`` and printed with 95 % Wilson
intervals; ``test10``, ``test12`` to ``test27`` before), with captions: recall@1 accepted >=
0.90 and no-answer refusal >= 0.90.
``--verifier auto|minilm|none`` sets the verifier setting (:mod:`reelrag.matching.verifier`;
``minilm`` is the bundled one, with its shipped rule); ``--verifier MODEL --rule FILE`` adds an
onnx verifier's folder with the rule ``reelrag fit-rule`` fitted for it; ``--runtime`` measures
one MiniLM runtime only.
``--old-ref REF`` measures an earlier round's decision in place of the old fusion: ``9cd0d07``
(second round), ``51a05b7`` (third), ``2e11c14`` (fourth), ``870a07c`` (fifth), ``91c4c7b``
(sixth, dropped), ``472f6c3`` (seventh), ``e573aa7`` (eighth), ``22bde13`` (ninth).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

from reelrag.evaluation.devset import BLIND, devset_queries, no_answer_kinds, write_devset
from reelrag.evaluation.devset import SPLITS as DEVSET_SPLITS
from reelrag.evaluation.metrics import EvalReport, Outcome, measure, run_queries, wilson
from reelrag.library import open_library
from reelrag.matching.rule import RULE_FILE
from reelrag.types import Asset, SearchHit

ROOT = Path(__file__).resolve().parents[1]
OLD_REF = "09ece41"  # the base of issue 17: hybrid absolute score >= 0.45
K = 5
FIGURES = ("recall@1", "recall@1 accepted", "no-answer refusal", "precision")
SETTINGS = ("auto", "minilm", "none")  # --verifier values that are settings, not models
OLD_SCRIPT = """
import json, sys
from reelrag.library import open_library
from reelrag.types import SearchRequest
photos, workspace, runtime = sys.argv[1], sys.argv[2], sys.argv[3]
lib = open_library(workspace, minilm_runtime=runtime)
lib.ingest([photos], recursive=True)
out = {"min_score": lib.settings.min_score, "hits": {}}
for query in json.loads(sys.stdin.read()):
    found = lib.search(SearchRequest(query=query, limit=int(sys.argv[4]), min_score=0.0))
    out["hits"][query] = [[h.asset.source, h.score] for h in found]
print(json.dumps(out))
"""


def runtimes() -> list[str]:
    from reelrag.embeddings.minilm.onnx_runtime import onnxruntime_available

    return (["onnx"] if onnxruntime_available() else []) + ["numpy"]


SPLITS = tuple(split for split in DEVSET_SPLITS if split != "all")


def new_reports(
    photos: Path,
    workspace: Path,
    runtime: str,
    every_word: bool = False,
    objects: bool = True,
    verifier: tuple[str, Path | None] | None = None,
) -> dict[str, EvalReport]:
    """The new decision's reports; with ``verifier`` (a setting of ``verifier`` with its shipped
    rule, or an onnx verifier's model and the rule ``reelrag fit-rule`` fitted for it)."""
    extra: dict[str, object] = {}
    if verifier is not None and verifier[1] is None:
        extra = {"verifier": "" if verifier[0] == "none" else verifier[0]}
    elif verifier is not None and verifier[1] is not None:
        (workspace / RULE_FILE).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(verifier[1], workspace / RULE_FILE)
        extra = {"verifier": "onnx", "verifier_model": verifier[0]}
    library = open_library(workspace, minilm_runtime=runtime, match_every_word=every_word,
                           match_objects=objects, **extra)  # fmt: skip
    library.ingest([str(photos)], recursive=True)
    outcomes = {split: run_queries(library, devset_queries(split), K) for split in SPLITS}
    threshold = library.settings.min_score
    library.close()
    return _reports(outcomes, threshold)


def _reports(outcomes: dict[str, list[Outcome]], threshold: float) -> dict[str, EvalReport]:
    """Each split's figures at ``threshold`` (with its near and far views), and the blind
    splits pooled as "blind"."""
    kinds = no_answer_kinds()
    reports = {name: measure(view, threshold, K) for split, found in outcomes.items()
               for name, view in _views(split, found, kinds)}  # fmt: skip
    reports["blind"] = measure([o for split in BLIND for o in outcomes[split]], threshold, K)
    return reports


def _views(
    split: str, outcomes: list[Outcome], kinds: dict[tuple[str, str], str]
) -> list[tuple[str, list[Outcome]]]:
    """The split, and for a split whose no-answer queries are labelled near or far
    (``kinds``), the split with only its near neighbours ("test32/near") and only its everyday
    ones ("test32/far")."""
    views = [(split, outcomes)]
    for kind in ("near", "far"):
        kept = [o for o in outcomes if kinds.get((split, o.query.query), kind) == kind]
        if len(kept) < len(outcomes):
            views.append((f"{split}/{kind}", kept))
    return views


def old_reports(
    photos: Path, workspace: Path, runtime: str, old_src: Path
) -> dict[str, EvalReport]:
    queries = [q.query for q in devset_queries("all")]
    env = {**os.environ, "PYTHONPATH": str(old_src), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", OLD_SCRIPT, str(photos), str(workspace), runtime, str(K)],
        input=json.dumps(queries), capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    data = json.loads(done.stdout)
    outcomes: dict[str, list[Outcome]] = {}
    for split in SPLITS:
        outcomes[split] = []
        for query in devset_queries(split):
            hits = tuple(_hit(source, score) for source, score in data["hits"][query.query])
            rank = next((i for i, h in enumerate(hits, 1) if query.matches(h.asset)), None)
            outcomes[split].append(Outcome(query, hits, rank))
    return _reports(outcomes, data["min_score"])


def _hit(source: str, score: float) -> SearchHit:
    return SearchHit(Asset(id=source, source=source, width=1, height=1, format="jpeg"), score)


def old_tree(ref: str, into: Path) -> Path:
    """The old ``src`` tree of ``ref``, unpacked under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "src"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-ref", default=OLD_REF, help="commit of the old fusion")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--every-word", action="store_true", help="new decision with match_every_word = true"
    )
    parser.add_argument(
        "--no-objects", action="store_true", help="new decision with match_objects = false"
    )
    parser.add_argument("--runtime", choices=("onnx", "numpy"), help="only this MiniLM runtime")
    parser.add_argument(
        "--verifier",
        help=f"{', '.join(SETTINGS)} (the setting, with its shipped rule), or an onnx "
        "verifier's model (folder or hub id) with --rule",
    )
    parser.add_argument(
        "--rule", type=Path, help="the rule `reelrag fit-rule` fitted for --verifier"
    )
    args = parser.parse_args()
    verifier = (args.verifier, args.rule) if args.verifier else None
    if verifier and args.verifier not in SETTINGS and not args.rule:
        parser.error("--verifier MODEL needs --rule (run `reelrag fit-rule` with that verifier)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-retrieval-") as tmp:
        base = Path(tmp)
        old_src = old_tree(args.old_ref, base / "old")
        for captions in (True, False):
            photos = base / ("captioned" if captions else "uncaptioned")
            write_devset(photos, captions=captions)
            for runtime in [r for r in runtimes() if args.runtime in (None, r)]:
                label = f"minilm/{runtime}" + ("+words" if args.every_word else "")
                label += "-objects" if args.no_objects else ""
                label += f"+verifier={args.verifier}" if args.verifier in SETTINGS else ""
                label += "+verifier" if args.verifier and args.verifier not in SETTINGS else ""
                tag = f"{photos.name}-{runtime}"
                new = new_reports(photos, base / f"new-{tag}", runtime, args.every_word,
                                  not args.no_objects, verifier)  # fmt: skip
                old = old_reports(photos, base / f"old-{tag}", runtime, old_src)
                for split in new:
                    rows.append(_row(label, captions, split, new[split], old[split]))
    skipped = {
        "clip / siglip": "needs model weights (none reachable offline here)",
        "titan": "needs AWS Bedrock",
    }
    if args.json:
        print(json.dumps({"rows": rows, "skipped": skipped}, indent=2))
        return
    _print(rows, skipped)


def _row(
    label: str, captions: bool, split: str, new: EvalReport, old: EvalReport
) -> dict[str, object]:
    return {
        "embedder": label, "captions": captions, "split": split,
        "queries": f"{new.answerable}+{new.no_answer}",
        "new": {k: round(v, 3) for k, v in new.figures().items() if k in FIGURES},
        "old": {k: round(v, 3) for k, v in old.figures().items() if k in FIGURES},
        "counts": {"new": {k: new.counts[k] for k in FIGURES},
                   "old": {k: old.counts[k] for k in FIGURES}},
        "threshold": {"new": new.threshold, "old": old.threshold},
    }  # fmt: skip


def _print(rows: list[dict[str, object]], skipped: dict[str, str]) -> None:
    head = f"{'embedder':18} {'captions':8} {'split':11} {'queries':7} "
    head += " ".join(f"{name:>30}" for name in FIGURES)
    print(head)
    print(" " * 47 + " ".join(f"{'new / old (ratio)':>30}" for _ in FIGURES))
    for row in rows:
        new, old = row["new"], row["old"]
        assert isinstance(new, dict) and isinstance(old, dict)
        cells = [f"{new[f]:.3f} / {old[f]:.3f} ({_ratio(new[f], old[f])})" for f in FIGURES]
        yes = "yes" if row["captions"] else "no"
        line = f"{row['embedder']!s:18} {yes:8} {row['split']!s:11} {row['queries']!s:7} "
        print(line + " ".join(f"{c:>30}" for c in cells))
    print(f"\nblind = {', '.join(BLIND)} pooled; 95 % Wilson intervals:")
    for row in rows:
        if row["split"] == "blind":
            for side in ("new", "old"):
                counts = row["counts"][side]  # type: ignore[index]
                yes = "yes" if row["captions"] else "no"
                print(f"{row['embedder']!s:18} captions {yes:3} {side}: {_intervals(counts)}")
    for name, why in skipped.items():
        print(f"{name}: skipped ({why})")


def _intervals(counts: dict[str, tuple[int, int]]) -> str:
    parts = []
    for name, (yes, of) in counts.items():
        if not of:
            parts.append(f"{name} 0/0 (none counted)")
            continue
        low, high = wilson(yes, of)
        parts.append(f"{name} {yes}/{of} = {yes / of:.3f} ({low:.3f}-{high:.3f})")
    return "; ".join(parts)


def _ratio(new: float, old: float) -> str:
    return f"x{new / old:.2f}" if old else "new>0" if new else "="


if __name__ == "__main__":
    main()
