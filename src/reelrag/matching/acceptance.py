"""The learned acceptance rule: one logistic model over a hit's evidence, fitted on labels.

The hand-built confidence (:mod:`reelrag.matching.decision`) weighs a caption's cosine, how far
it stands out from the cohort, the object check and the keywords. Near neighbours ("knee mri
scan" against a brain scan) pass it: their caption stands out and names the object. How much
the caption loses on each query word it does not use (the leave-one-word-out deltas of
:mod:`reelrag.matching.support`) and how far its closest word is from the words it lacks tell
many of them from a paraphrase, but a hand-set cut on those refused too many right photos (the
opt-in ``match_every_word``). A logistic model fitted on labelled queries weighs them with the
rest::

    confidence = sigmoid(bias + weights . features(hit))

``FEATURES``: the hand-built confidence, the caption cosine, the object check's verdict (names
something else / names the object but not a detail / names no kind of it), the lacking words'
gap to the closest caption word and the words' summed drop. Every feature is the hit's own:
nothing depends on the rest of the library (a feature such as "how far the best hit leads the
next" was measured and left out: a library with many photos of one product would refuse them
all). The bias folds in the operating point, so the default ``min_score`` is the cut chosen by
cross-validation. ``benchmarks/fit_acceptance.py`` fits it on the tuned splits of
``reelrag/data/retrieval_set`` (with :mod:`reelrag.matching.fitting`) and prints the figures;
only MiniLM's model is built in. With a verifier (:mod:`reelrag.matching.verifier`) its logits
are the last features, in a rule ``reelrag fit-rule`` fits for it (:mod:`reelrag.matching.rule`).
The other embedder families keep the hand-built confidence (their scales differ, and no weights
are reachable here to fit them); so do uncaptioned photos (file and folder names never decide
a match).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from reelrag.matching.decision import MINILM, Evidence, MatchModel
from reelrag.matching.objects import Naming
from reelrag.matching.support import SUPPORTED, Support

FEATURES = ("confidence", "cosine", "other", "partly", "unnamed", "gap", "drop")


@dataclass(frozen=True)
class Acceptance:
    """A logistic model over :func:`features` (weights in ``FEATURES`` order)."""

    weights: tuple[float, ...]
    bias: float

    def confidence(self, values: Sequence[float]) -> float:
        z = self.bias + sum(w * v for w, v in zip(self.weights, values, strict=True))
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def push(self, logits: Sequence[float]) -> float:
        """What a verifier's logits (the last features) add to the logit of the confidence."""
        tail = self.weights[len(self.weights) - len(logits) :]
        return sum(w * v for w, v in zip(tail, logits, strict=True))


def features(
    evidence: Evidence, support: Support = SUPPORTED, logits: Sequence[float] = ()
) -> list[float]:
    """One hit's features: its hand-built evidence, its caption's word support and, with a
    verifier (:mod:`reelrag.matching.verifier`), the verifier's logits for (caption, query)."""
    naming = evidence.naming.naming
    return [
        evidence.confidence,
        evidence.cosine or 0.0,
        float(naming is Naming.OTHER),
        float(naming is Naming.PARTLY),
        float(naming is Naming.UNNAMED),
        support.gap,
        support.drop,
        *logits,
    ]


# Fitted by benchmarks/fit_acceptance.py (see docs/retrieval.md, "The learned acceptance rule").
MINILM_ACCEPTANCE = Acceptance(
    weights=(2.5637, 7.8850, -5.3744, -1.5969, -0.6763, 2.8158, 10.4915),
    bias=-5.5162,
)


def acceptance_for(model: MatchModel) -> Acceptance | None:
    """The fitted acceptance model of an embedder family; ``None``: the hand-built confidence."""
    return MINILM_ACCEPTANCE if model is MINILM else None
