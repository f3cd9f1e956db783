"""Fit the built-in acceptance rule (reelrag.matching.acceptance) on the labelled development set.

The fit itself is :func:`reelrag.matching.fitting.fit_rule`, the code behind ``reelrag fit-rule``:
every query of the tuned splits of ``reelrag/data/retrieval_set`` is searched with the bundled
MiniLM, its best candidate by the hand-built order gives one row (its features, and whether
accepting it is right), and an L2-regularised logistic regression is fitted on the rows. The
operating point is chosen by leave-one-split-out cross-validation (the middle of the plateau of
cuts within 0.005 of the best recall@1 accepted + no-answer refusal) and folded into the bias,
so that the default ``min_score`` is that cut. The script prints the cross-validated figures
per cut and per split and the constant to paste into ``reelrag/matching/acceptance.py``.
``--hold`` names more splits kept out of the fit; the blind ones
(``reelrag.evaluation.devset.BLIND``, ``test28`` to ``test35``: written while this rule was
fitted or weighed, or after) are never fitted on.

Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/fit_acceptance.py [--hold SPLIT,SPLIT,...]
"""

from __future__ import annotations

import argparse

from reelrag.evaluation.devset import BLIND
from reelrag.matching.fitting import CUTS, TUNED, fit_rule
from reelrag.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", default="", help="tuned splits also kept out of the fit")
    args = parser.parse_args()
    held = {s for s in args.hold.split(",") if s}
    splits = [s for s in TUNED if s not in held]
    rule = fit_rule(Settings(), splits=splits)
    cv = rule.figures
    print(f"{cv['queries']} queries from {cv['splits']} splits "
          f"(held out: {', '.join(sorted(held | set(BLIND)))})")  # fmt: skip
    print("cut    CV recall@1 acc. / refusal")
    for cut in CUTS:
        mark = " <- chosen" if abs(cut - rule.cut) < 1e-9 else ""
        print(f"{cut:.3f}  {_pair(cv['cuts'][f'{cut:.3f}'])}{mark}")
    print(f"hand-built rule: {_pair(cv['hand_built'])}")
    print("\nsplit     hand-built       learned (CV)")
    for split, (hand, learned) in cv["per_split"].items():
        print(f"{split:8}  {_pair(hand)}    {_pair(learned)}")
    print("\nMINILM_ACCEPTANCE = Acceptance(")
    print(f"    weights=({', '.join(f'{w:.4f}' for w in rule.weights)}),")
    print(f"    bias={rule.bias:.4f},\n)  # {', '.join(rule.features)}")


def _pair(figures: tuple[float, float]) -> str:
    return f"{figures[0]:.3f} / {figures[1]:.3f}"


if __name__ == "__main__":
    main()
