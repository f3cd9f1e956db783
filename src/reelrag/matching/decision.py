"""The match confidence that ``min_score`` cuts: one number in [0, 1] per hit.

Evidence, combined as a probabilistic OR (each can accept alone, none is diluted by another):

- caption: a logistic model of the caption's standout (how far its cosine stands out from the
  query's cohort background, :mod:`reelrag.matching.cohort`), whether it names the query's
  object (:mod:`reelrag.matching.objects`: "tower" does not name "skyscrapers at night") and
  how far the query's weakest word stands out against it (:mod:`reelrag.matching.words`:
  *moon* against an astronaut's portrait, for "an astronaut standing on the moon"), times a
  ramp that silences cosines below ``floor`` (a near-zero cosine is no match however unusual).
  A caption that names something else (another colour, another individual, an owner it does
  not show: "the moon" for "mars surface") is capped at ``PARTIAL`` (0.25), and so, with
  ``match_every_word``, is one that leaves a word of a multi-word query unsupported
  (:mod:`reelrag.matching.support`);
- image: the calibrated image score of a multimodal embedder (:mod:`reelrag.index.scoring`);
- keywords: ``text_weight * coverage**3`` of the query's terms in the caption and metadata
  keywords;
- file and folder names: the caption evidence of a vector made only of path words, or the
  coverage of the query's terms in the path words, whichever is higher, capped at ``WEAK``
  (0.4): below the default threshold, so names never decide a match alone.

The caption model's weights are per embedder family (:data:`MODELS`). MiniLM's were fitted by
logistic regression on six splits of ``reelrag/data/retrieval_set``
(``scripts/fit_match_model.py``), its bias set so that the default threshold (0.45) sits at the
best balance of right answers accepted and no-answer queries refused. CLIP, SigLIP and Titan
keep the earlier hand-set model (slope 2 around a standout of 2.5, 2.2 more when the object is
not named, no word term) as ESTIMATES (no weights reachable here): check them with ``reelrag
calibrate`` on your own labelled queries.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from reelrag.captioning.evidence import has_caption, strong_text, weak_text
from reelrag.index import scoring
from reelrag.matching.objects import NAMED, NOTHING_ASKED, Asked, Check, Naming, check
from reelrag.matching.support import PARTIAL
from reelrag.types import SearchHit

WEAK = 0.4  # the most that file and folder names can add


@dataclass(frozen=True)
class MatchModel:
    """How a caption's evidence maps to confidence for one embedder family: the logistic
    ``bias + standout * s + named * (named + named_standout * s) + word * w`` of the caption's
    standout ``s``, whether it names the query's object, and its weakest word's standout ``w``.
    """

    standout: float
    named: float
    named_standout: float
    word: float
    bias: float
    floor: tuple[float, float]  # cosines below floor[0] count 0, above floor[1] fully
    measured: bool  # fitted on labelled data here (False: an estimate)

    def caption(
        self, cosine: float, standout: float, named: bool = True, word: float | None = None
    ) -> float:
        """The caption evidence; ``word`` defaults to ``standout`` (a query of one word)."""
        low, high = self.floor
        ramp = min(max((cosine - low) / (high - low), 0.0), 1.0)
        weakest = standout if word is None else word
        logit = self.bias + self.standout * standout + self.word * weakest
        if named:
            logit += self.named + self.named_standout * standout
        return ramp / (1.0 + math.exp(-logit))


# Fitted by scripts/fit_match_model.py on the dev, heldout, test, test2, test3 and test4 splits.
MINILM = MatchModel(1.08, 2.9, -0.23, 0.54, -6.59, floor=(0.2, 0.3), measured=True)
# The hand-set model of earlier rounds: slope 2 around standout 2.5, 2.2 further when unnamed.
_ESTIMATE = MatchModel(2.0, 4.4, 0.0, 0.0, -9.4, floor=(0.0, 0.05), measured=False)
# The first whose word appears in the embedder's name or model id wins (as scoring.CROSS_MODAL).
MODELS: tuple[tuple[str, MatchModel], ...] = (
    ("minilm", MINILM),
    ("siglip", _ESTIMATE),
    ("clip", _ESTIMATE),
    ("titan", _ESTIMATE),
)


def match_model(name: str, model: str) -> MatchModel:
    label = f"{name} {model}".lower()
    return next((m for word, m in MODELS if word in label), MINILM)


@dataclass(frozen=True)
class CaptionMatch:
    """How a hit's caption vector compares with the query: its cosine, its standout over the
    cohort, and the query's weakest word against it (:mod:`reelrag.matching.words`)."""

    cosine: float | None = None
    standout: float | None = None
    weakest: tuple[str, float] | None = None


NO_CAPTION = CaptionMatch()


@dataclass(frozen=True)
class Evidence:
    """One hit's evidence and its confidence."""

    confidence: float
    caption: CaptionMatch
    text: float
    names: float
    matched: tuple[str, ...]  # query terms in the caption and keywords
    named: tuple[str, ...] = ()  # query terms in the file and folder names
    lacking: tuple[str, ...] = ()  # query terms the caption does not support
    naming: Check = NAMED  # whether the caption names the query's object

    def why(self, image: float | None) -> str:
        parts = [f"match {self.confidence:.2f}"]
        cosine, standout, weakest = self.caption.cosine, self.caption.standout, self.caption.weakest
        if cosine is not None and standout is not None:
            parts.append(f"caption {cosine:.2f} (stands out {standout:+.1f})")
        if weakest is not None and cosine is not None:
            parts.append(f"weakest word {weakest[0]} ({weakest[1]:+.1f})")
        if self.lacking:
            parts.append(f"caption lacks {', '.join(self.lacking)}")
        if reason := self.naming.why():
            parts.append(reason)
        if image is not None:
            parts.append(f"image {image:.2f}")
        words = f" ({', '.join(self.matched)})" if self.matched else ""
        parts.append(f"keywords {self.text:.2f}{words}")
        if self.names:
            named = f" ({', '.join(self.named)})" if self.named else ""
            parts.append(f"file/folder names {self.names:.2f}{named}")
        return " · ".join(parts)


def weigh(
    hit: SearchHit,
    caption: CaptionMatch,
    query_terms: Sequence[str],
    model: MatchModel,
    text_weight: float,
    lacking: Sequence[str] = (),
    asked: Asked = NOTHING_ASKED,
) -> Evidence:
    """The confidence that ``hit`` shows what the query asks for; ``caption``: how its caption
    vector compares with the query; ``lacking``: the query terms its caption does not support
    (the caption evidence is then at most ``PARTIAL``); ``asked``: what the query asks for
    (:func:`reelrag.matching.objects.asked`), which the caption should name (PARTIAL at most
    when it names something else)."""
    asset = hit.asset
    captioned = has_caption(asset)
    strong = strong_text(asset)
    naming = check(asked, strong) if captioned else NAMED
    similar = 0.0
    if caption.cosine is not None and caption.standout is not None:
        named = naming.naming is Naming.NAMED
        word = caption.weakest[1] if caption.weakest else None
        similar = model.caption(caption.cosine, caption.standout, named, word)
    if lacking or naming.naming is Naming.OTHER:
        similar = min(similar, PARTIAL)
    vector = max(similar if captioned else 0.0, hit.image_score or 0.0)
    text, matched = scoring.text_score(query_terms, strong)
    names, named_terms = scoring.text_score(query_terms, weak_text(asset))
    names = min(WEAK, max(names, 0.0 if captioned else similar))
    doubt = (1.0 - vector) * (1.0 - text_weight * text) * (1.0 - names)
    return Evidence(1.0 - doubt, caption, text, names, tuple(matched), tuple(named_terms),
                    tuple(lacking), naming)  # fmt: skip
