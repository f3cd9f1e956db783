"""Plan a batch before running it: retrieve an image per row, validate, estimate cost and time.

Retrieval is deduplicated (each distinct query is searched once); with ``distinct`` rows that
share matches get different images while unused matches remain. Rows whose object has no good
match become "skipped" jobs and rows a backend cannot take become "failed" jobs, so one bad row
never stops the batch and the summary still lists it. The plan turns into durable jobs with
deterministic ids: planning the same file again gives the same jobs.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reelrag.batch.rows import BatchRow, batch_id_for, job_id_for
from reelrag.errors import BudgetError, InputError, NoMatchError, ReelragError
from reelrag.generation.base import Generator, resolve_request
from reelrag.pipeline import build_request
from reelrag.plugins import registry
from reelrag.retrieval import best_matches
from reelrag.settings import Settings
from reelrag.types import GeneratePayload, GenerationRequest, Job, Record, SearchHit

if TYPE_CHECKING:
    from reelrag.library import Library

RETRIEVE_WITH = ("object", "prompt")

# A row's retrieval: its hits, why there are none (the no-match message), or None (no query).
Matches = list[SearchHit] | str | None


@dataclass(frozen=True)
class PlannedRow(Record):
    """One row's job: the request it will run and, when retrieved, the chosen hit."""

    job_id: str
    row: BatchRow
    request: GenerationRequest
    backend: str
    state: str = "queued"  # queued | skipped (no good match) | failed (invalid row)
    reason: str = ""
    query: str | None = None
    hit: SearchHit | None = None
    cost_usd: float = 0.0
    time_s: float = 0.0


@dataclass(frozen=True)
class BatchPlan(Record):
    """Rows, their jobs and the batch's estimated cost (USD) and wall time (s)."""

    batch_id: str
    rows: tuple[PlannedRow, ...]
    cost_usd: float = 0.0
    time_s: float = 0.0
    searches: int = 0
    options: dict[str, Any] = field(default_factory=dict)

    def jobs(self) -> list[Job]:
        """Durable job specs (skipped and invalid rows included, already finished)."""
        return [_job(self.batch_id, planned) for planned in self.rows]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for planned in self.rows:
            out[planned.state] = out.get(planned.state, 0) + 1
        return out


def plan_rows(
    rows: list[BatchRow],
    settings: Settings,
    *,
    library: Library | None = None,
    backend: str | None = None,
    distinct: bool = False,
    retrieve_with: str = "object",
    base_dir: Path | None = None,
    generator_for: Callable[[str], Generator] | None = None,
) -> BatchPlan:
    """Plan ``rows``: choose images, validate each row against its backend, estimate.

    ``library`` (a :class:`~reelrag.library.Library`) is opened from ``settings`` when some row
    needs retrieval and none is given.
    """
    if retrieve_with not in RETRIEVE_WITH:
        raise InputError(f"--retrieve-with {retrieve_with!r} is unknown", hint="object or prompt")
    options = {"backend": backend or "", "distinct": distinct, "retrieve_with": retrieve_with}
    batch_id = batch_id_for(rows, options)
    make = generator_for or generator_cache(settings)
    queries = [_query(row, retrieve_with) for row in rows]
    hits, searches = _retrieve_all(queries, settings, library, distinct)
    planned = [
        _plan_row(batch_id, i, row, queries[i], hits[i], settings, backend, base_dir, make)
        for i, row in enumerate(rows)
    ]
    return BatchPlan(
        batch_id=batch_id,
        rows=tuple(planned),
        cost_usd=round(sum(p.cost_usd for p in planned), 4),
        time_s=_wall_time(planned, settings, make),
        searches=searches,
        options=options,
    )


def check_budget(plan: BatchPlan, budget_usd: float | None) -> None:
    """Refuse a batch whose estimated cost exceeds ``budget_usd``."""
    if budget_usd is not None and plan.cost_usd > budget_usd:
        raise BudgetError(
            f"the batch is estimated at ${plan.cost_usd:.2f}, over the budget of ${budget_usd:.2f}",
            hint="raise --budget, drop rows or shorten durations",
        )


# -- retrieval -------------------------------------------------------------------------------


def _query(row: BatchRow, retrieve_with: str) -> str | None:
    if row.image or row.asset_id:
        return None
    text = row.prompt if retrieve_with == "prompt" else row.object
    return " ".join(text.split()) if text and text.strip() else None


def _retrieve_all(
    queries: list[str | None], settings: Settings, library: Library | None, distinct: bool
) -> tuple[list[Matches], int]:
    """Search each distinct query once; hand each row its hit (distinct ones when asked)."""
    wanted = sorted({q.lower(): q for q in queries if q}.items())
    if not wanted:
        return [None] * len(queries), 0
    library = library if library is not None else _open_library(settings)
    per_query = sum(1 for q in queries if q) if distinct else 1
    limit = min(50, max(per_query, settings.search_limit if distinct else 1))
    found = {key: _good_hits(library, text, limit, settings) for key, text in wanted}
    used: set[str] = set()
    chosen: list[Matches] = []
    for q in queries:
        hits = found[q.lower()] if q else None
        chosen.append(_pick(hits, used, distinct) if isinstance(hits, list) else hits)
    return chosen, len(wanted)


def _good_hits(
    library: Library, query: str, limit: int, settings: Settings
) -> list[SearchHit] | str:
    """The good hits for ``query``, or why there are none (the one no-match message)."""
    try:
        return best_matches(library, query, settings, limit=limit)
    except NoMatchError as err:
        return str(err)


def _pick(hits: list[SearchHit], used: set[str], distinct: bool) -> list[SearchHit]:
    """The hit for one row, first in the list; unused ones first when ``distinct``."""
    if distinct:
        fresh = [h for h in hits if h.asset.id not in used]
        hit = fresh[0] if fresh else hits[0]
        used.add(hit.asset.id)
        return [hit]
    return [hits[0]]


def _open_library(settings: Settings) -> Any:
    from reelrag.library import Library  # only batches that retrieve need the library

    return Library(settings)


# -- rows ------------------------------------------------------------------------------------


def _plan_row(
    batch_id: str,
    index: int,
    row: BatchRow,
    query: str | None,
    hits: Matches,
    settings: Settings,
    backend: str | None,
    base_dir: Path | None,
    make: Callable[[str], Generator],
) -> PlannedRow:
    job_id = job_id_for(batch_id, index)
    name = backend_of(row, backend, settings)
    hit = hits[0] if isinstance(hits, list) else None
    request = _request(row, job_id, name, base_dir, hit)
    planned = PlannedRow(job_id, row, request, name, query=query, hit=hit)
    if isinstance(hits, str):
        return planned.replace(state="skipped", reason=hits)
    try:
        _check_image(request)
        _check_edit(request, settings)
        generator = make(name)
        resolved = resolve_request(
            _probe(request), generator.capabilities, request.seed or 0, settings
        )
    except ReelragError as err:
        return planned.replace(state="failed", reason=str(err))
    cost, seconds = generator.estimate_cost_usd(resolved), generator.estimate_time_s(resolved)
    # the budget covers the worst case: every QA retry (generative backends) paid for too
    tries = 1 + (settings.qa_retries if settings.qa_check and generator.name != "camera" else 0)
    return planned.replace(cost_usd=round(cost * tries, 4), time_s=round(seconds, 3))


def _request(
    row: BatchRow, job_id: str, backend: str, base_dir: Path | None, hit: SearchHit | None
) -> GenerationRequest:
    image = row.image
    if image and base_dir is not None and not Path(image).expanduser().is_absolute():
        image = str(base_dir / image)
    seed = row.seed if row.seed is not None else _seed(job_id)
    edit = None
    if row.edit:
        from reelrag.editing.plans import resolve_edit_plan  # only rows with an edit step
        from reelrag.editing.step import EditPlan

        edit = EditPlan.parse(resolve_edit_plan(row.edit, base_dir, seed))
    return build_request(
        row.prompt, image=image, asset_id=row.asset_id or (hit.asset.id if hit else None),
        edit=edit, duration_s=row.duration_s, seed=seed, backend=backend,
    )  # fmt: skip


def _seed(job_id: str) -> int:
    """A fixed seed per job, so a resumed or repeated job renders the same video."""
    return int(hashlib.sha256(job_id.encode()).hexdigest()[:8], 16) % 2**31


def _probe(request: GenerationRequest) -> GenerationRequest:
    """The request as the backend will see it: with an image whenever one will be resolved."""
    has_image = bool(request.image or request.asset_id)
    return request.replace(image="probe" if has_image else None, asset_id=None)


def _check_image(request: GenerationRequest) -> None:
    if request.image and not Path(request.image).expanduser().is_file():
        raise InputError(f"image {request.image} does not exist", hint="fix the row's image path")


def _check_edit(request: GenerationRequest, settings: Settings) -> None:
    """A row's edit step must be runnable: editor, region, mask file (a bad one fails the row)."""
    plan = (request.options or {}).get("edit")
    if not plan:
        return
    from reelrag.editing.plans import check_edit_plan, oriented_size

    size = oriented_size(Path(request.image).expanduser()) if request.image else None
    check_edit_plan(plan, settings, size)


def backend_of(row: BatchRow, backend: str | None, settings: Settings) -> str:
    """The generator backend ``row`` runs on: its own, else the batch's, else the setting."""
    return row.backend or backend or settings.generator


def generator_cache(settings: Settings) -> Callable[[str], Generator]:
    """A generator maker that builds each backend once."""
    made: dict[str, Generator] = {}

    def make(name: str) -> Generator:
        if name not in made:
            made[name] = registry.create("generator", name, settings)
        return made[name]

    return make


def _wall_time(
    planned: list[PlannedRow], settings: Settings, make: Callable[[str], Generator]
) -> float:
    """Backends run side by side; within one, jobs run ``limit`` at a time."""
    limits = settings.backend_limits
    per_backend: dict[str, list[float]] = {}
    for p in planned:
        if p.state == "queued":
            per_backend.setdefault(p.backend, []).append(p.time_s)
    total = 0.0
    for name, times in per_backend.items():
        own = int(getattr(make(name), "max_concurrency", 0) or 0)
        limit = limits.get(name) or own or max(1, settings.concurrency)
        total = max(total, math.ceil(len(times) / limit) * max(times))
    return round(total, 2)


def _job(batch_id: str, planned: PlannedRow) -> Job:
    payload = GeneratePayload(
        planned.request, object=planned.row.object, query=planned.query, hit=planned.hit,
        output=planned.row.output, line=planned.row.line,
    ).to_dict()  # fmt: skip
    error = (
        {"error": "InputError", "message": planned.reason} if planned.state == "failed" else None
    )
    return Job(
        id=planned.job_id, kind="generate", payload=payload, state=planned.state,
        batch_id=batch_id, message=planned.reason, error=error,
    )  # fmt: skip
