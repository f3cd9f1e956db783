"""Retrieval: query -> embed -> index search -> threshold -> diversity -> ranked hits.

Owns :func:`search` and :class:`SearchResults`. Scoring and fusion live in the index backends
(:mod:`reelrag.index.scoring` explains the absolute score). With a multimodal embedder (CLIP,
SigLIP, Titan) the query's vector is compared with caption AND image vectors, so an asset is
found by what it shows even without a caption; this module decides what counts as a
good match (``min_score``), spreads results with maximal marginal relevance when asked, and
packages the answer for the CLI, the server, the pipeline and Jupyter.

>>> SearchResults([], SearchRequest("red shoes"), min_score=0.35).no_match
True
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, overload

from reelrag.diversity import mmr
from reelrag.embeddings.base import Embedder
from reelrag.errors import InputError, NoMatchError
from reelrag.index.base import Index, IndexQuery
from reelrag.index.filters import check_filters
from reelrag.matching.decide import decide
from reelrag.matching.rule import Rule
from reelrag.settings import Settings
from reelrag.types import SearchHit, SearchRequest

if TYPE_CHECKING:
    from reelrag.storage.base import ObjectStore

log = logging.getLogger(__name__)

MODES = ("hybrid", "vector", "text")
MAX_LIMIT = 1000
MAX_QUERY_CHARS = 2000
# With diversity on, MMR picks from a wider pool than the final list.
MMR_POOL_FACTOR = 4
# The match decision weighs at least this many candidates (hybrid order is RRF's, not its own).
DECISION_POOL = 10
REJECTED_SHOWN = 3  # candidates shown with a "no good match"


class SearchResults(Sequence[SearchHit]):
    """Ranked hits (a sequence of :class:`SearchHit`) plus what was asked and whether it matched.

    ``nearest`` is the best candidate that fell below ``min_score``; it explains a "no match",
    with ``rejected`` (the best few below it, each with its ``why``). ``verdicts``: the user's
    verdicts that applied to this query (asset id -> right | wrong), so a photo left out is
    never a mystery.
    """

    def __init__(
        self,
        hits: Sequence[SearchHit],
        request: SearchRequest,
        *,
        min_score: float,
        nearest: SearchHit | None = None,
        store: ObjectStore | None = None,
        rejected: Sequence[SearchHit] = (),
        verdicts: Mapping[str, str] | None = None,
    ) -> None:
        self.hits = list(hits)
        self.verdicts = dict(verdicts or {})
        self.request = request
        self.min_score = min_score
        self.nearest = nearest
        self.store = store
        self.rejected = list(rejected)

    @overload
    def __getitem__(self, index: int) -> SearchHit: ...
    @overload
    def __getitem__(self, index: slice) -> list[SearchHit]: ...
    def __getitem__(self, index: int | slice) -> SearchHit | list[SearchHit]:
        return self.hits[index]

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Iterator[SearchHit]:
        return iter(self.hits)

    def __repr__(self) -> str:
        return f"SearchResults({self.request.query!r}, {len(self)} hits, no_match={self.no_match})"

    @property
    def no_match(self) -> bool:
        return not self.hits

    @property
    def best(self) -> SearchHit | None:
        return self.hits[0] if self.hits else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.request.query,
            "request": self.request.to_dict(),
            "min_score": self.min_score,
            "no_match": self.no_match,
            "hits": [hit.to_dict() for hit in self.hits],
            "nearest": None if self.nearest is None else self.nearest.to_dict(),
            "rejected": [hit.to_dict() for hit in self.rejected],
            "verdicts": self.verdicts,
        }

    def _repr_html_(self) -> str:
        from reelrag.contactsheet import results_html

        return results_html(self, self.store, standalone=False)


def search(
    index: Index,
    embedder: Embedder,
    request: SearchRequest,
    settings: Settings,
    *,
    store: ObjectStore | None = None,
    verdicts: Callable[[str], Mapping[str, str]] | None = None,
    rule: Rule | None = None,
) -> SearchResults:
    """Find the assets that best show ``request.query``.

    Hits scoring below ``request.min_score`` (default ``settings.min_score``) are dropped; when
    none is left, ``results.no_match`` is true and ``results.nearest`` holds the best reject.
    ``store`` (an object store) lets the results render thumbnails in Jupyter. ``verdicts``
    looks up the user's verdicts on a query (asset id -> right | wrong); unless the request
    leaves them out, they override the match rule (:func:`apply_verdicts`). ``rule`` is the
    acceptance rule and its verifier (default: the built-in one, :mod:`reelrag.matching.rule`).
    """
    min_score = check_request(request, settings)
    vector = None if request.mode == "text" else embedder.embed_queries([request.query])[0]
    # Text and images share one space: the query's vector is also compared with image vectors.
    image_vector = vector if "image" in embedder.identity.modalities else None
    pool = request.limit * MMR_POOL_FACTOR if request.diversity > 0 else request.limit
    pool = max(pool, DECISION_POOL) if request.mode != "text" else pool
    query = IndexQuery(request.query, vector, pool, request.filters, request.mode, image_vector)
    candidates = index.search(query)
    if vector is not None and request.mode != "text":
        candidates = decide(candidates, request.query, vector, index, embedder, settings, rule)
    applied = verdicts(request.query) if verdicts and request.verdicts else {}
    if applied:
        candidates = apply_verdicts(candidates, applied)
    kept = [hit for hit in candidates if hit.score >= min_score]
    nearest = max(candidates, key=lambda h: h.score) if candidates and not kept else None
    rejected = [] if kept else sorted(candidates, key=lambda h: -h.score)[:REJECTED_SHOWN]
    if request.diversity > 0 and len(kept) > 1:
        kept = mmr(
            kept, index.vectors([h.asset.id for h in kept]), request.diversity, request.limit
        )
    hits = [hit.replace(rank=i) for i, hit in enumerate(kept[: request.limit], start=1)]
    log.debug("search %r: %d candidates, %d kept", request.query, len(candidates), len(hits))
    return SearchResults(hits, request, min_score=min_score, nearest=nearest, store=store,
                         rejected=rejected, verdicts=applied)  # fmt: skip


def apply_verdicts(candidates: Sequence[SearchHit], verdicts: Mapping[str, str]) -> list[SearchHit]:
    """The candidates less those marked wrong, with those marked right first at score 1.0
    (their ``why`` says so and keeps the rule's own score)."""
    right = [
        hit.replace(score=1.0, why=f"marked right (rule {hit.score:.2f}) · {hit.why}")
        for hit in candidates
        if verdicts.get(hit.asset.id) == "right"
    ]
    rest = [hit for hit in candidates if verdicts.get(hit.asset.id) is None]
    return [*right, *rest]


class Searcher(Protocol):
    """Anything with a library's ``search`` (a :class:`~reelrag.library.Library`)."""

    def search(self, request: SearchRequest) -> SearchResults: ...


def best_matches(
    library: Searcher,
    query: str,
    settings: Settings,
    *,
    limit: int = 1,
    min_score: float | None = None,
) -> list[SearchHit]:
    """The library images that are good matches for ``query``, best first: THE match decision.

    The pipeline, batch planning and the web app all call this, so "good enough" has one
    meaning and one message. Raises :class:`NoMatchError` (saying how close the best
    candidate came) when nothing qualifies, rather than returning a wrong image.
    """
    if not query.strip():
        raise InputError("the object query is empty", hint='describe the object, e.g. "red shoes"')
    threshold = settings.min_score if min_score is None else min_score
    found = library.search(SearchRequest(query=query, limit=limit, min_score=threshold))
    hits = [hit for hit in found if hit.score >= threshold]
    if hits:
        return hits
    nearest = getattr(found, "nearest", None)
    seen = f"best score {nearest.score:.3f}" if nearest is not None else "no candidates"
    coverage = getattr(library, "coverage_warning", None)  # a Library knows its captions
    warning = coverage() if callable(coverage) else None
    raise NoMatchError(
        f"no good match for {query!r}: {seen}, threshold {threshold:.2f}",
        hint=warning or "ingest a matching image, rephrase the object, or lower min_score",
    )


def check_request(request: SearchRequest, settings: Settings) -> float:
    """Validate ``request``; return the score threshold that applies."""
    if not request.query.strip():
        raise InputError("the search query is empty", hint='describe the object, e.g. "red shoes"')
    if len(request.query) > MAX_QUERY_CHARS:
        raise InputError(f"the search query is longer than {MAX_QUERY_CHARS} characters")
    if request.mode not in MODES:
        raise InputError(f"unknown search mode {request.mode!r}", hint="use hybrid, vector or text")
    if not 1 <= request.limit <= MAX_LIMIT:
        raise InputError(f"limit must be between 1 and {MAX_LIMIT}, not {request.limit}")
    if not 0.0 <= request.diversity <= 1.0:
        raise InputError(f"diversity must be between 0 and 1, not {request.diversity}")
    min_score = settings.min_score if request.min_score is None else request.min_score
    if not 0.0 <= min_score <= 1.0:
        raise InputError(f"min_score must be between 0 and 1, not {min_score}")
    check_filters(request.filters)
    return float(min_score)
