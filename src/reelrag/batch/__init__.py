"""Batches: a prompts file (or rows) -> a plan (retrieval, validation, estimates) -> durable jobs.

The one entry point the CLI, the web app and the demo share:

* :func:`plan_batch` reads the file (:mod:`~reelrag.batch.files`, filling placeholders by the rules
  of :mod:`~reelrag.batch.templates`), retrieves an image per row, validates every request
  against its backend and checks the budget: nothing is generated;
* :func:`queue` records the plan's jobs in a job store (once: re-queueing adds nothing);
* :func:`run_batch` plans, queues and works the batch until it is done.

>>> from reelrag import open_library, run_batch            # doctest: +SKIP
>>> library = open_library("my-workspace")                  # doctest: +SKIP
>>> run_batch("prompts.txt", object="red shoes", action="camera pans down",
...           library=library)                              # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reelrag.batch.files import read_prompt_file
from reelrag.batch.plan import BatchPlan, PlannedRow, check_budget, plan_rows
from reelrag.batch.rows import BatchRow
from reelrag.events import ProgressCallback, ignore_progress
from reelrag.settings import Settings, load_settings

if TYPE_CHECKING:
    from reelrag.jobs import BatchSummary, JobStore
    from reelrag.library import Library

__all__ = [
    "BatchPlan",
    "BatchRow",
    "PlannedRow",
    "plan_batch",
    "plan_prompts",
    "queue",
    "read_prompt_file",
    "run_batch",
    "run_plan",
]


def plan_batch(
    prompts: str | Path | Sequence[BatchRow],
    *,
    object: str | None = None,
    action: str | None = None,
    library: Library | None = None,
    settings: Settings | None = None,
    backend: str | None = None,
    distinct: bool = False,
    retrieve_with: str = "object",
    budget_usd: float | None = None,
) -> BatchPlan:
    """Read a prompts file (or take rows), retrieve images and estimate: nothing is generated.

    Raises :class:`~reelrag.errors.InputError` for a bad file and
    :class:`~reelrag.errors.BudgetError` when the estimate exceeds ``budget_usd``.
    """
    settings = _settings_for(settings, library)
    if isinstance(prompts, (str, Path)):
        rows = read_prompt_file(Path(prompts), object_text=object, action_text=action)
        base_dir: Path | None = Path(prompts).parent
    else:
        rows, base_dir = list(prompts), None
    plan = plan_rows(
        rows, settings, library=library, backend=backend, distinct=distinct,
        retrieve_with=retrieve_with, base_dir=base_dir,
    )  # fmt: skip
    check_budget(plan, budget_usd)
    return plan


plan_prompts = plan_batch  # the name before the batch package; kept for existing callers


def queue(plan: BatchPlan, store: JobStore) -> list[str]:
    """Record the plan's jobs durably; returns the ids that were new (none on a re-run)."""
    return store.add_many(plan.jobs())


def run_plan(
    plan: BatchPlan,
    settings: Settings,
    *,
    library: Library | None = None,
    progress: ProgressCallback = ignore_progress,
) -> BatchSummary:
    """Queue ``plan``'s jobs (once) and work them until the batch is done."""
    from reelrag.jobs import Worker, open_job_store

    store = open_job_store(settings)
    queue(plan, store)
    return Worker(store, settings, library=library).run(batch_id=plan.batch_id, progress=progress)


def run_batch(
    prompts: str | Path | Sequence[BatchRow],
    *,
    object: str | None = None,
    action: str | None = None,
    library: Library | None = None,
    settings: Settings | None = None,
    backend: str | None = None,
    distinct: bool = False,
    budget_usd: float | None = None,
    progress: ProgressCallback = ignore_progress,
) -> BatchSummary:
    """Plan and run a batch; re-running a finished batch does no work."""
    settings = _settings_for(settings, library)
    plan = plan_batch(
        prompts, object=object, action=action, library=library, settings=settings,
        backend=backend, distinct=distinct, budget_usd=budget_usd,
    )  # fmt: skip
    return run_plan(plan, settings, library=library, progress=progress)


def _settings_for(settings: Settings | None, library: Library | None) -> Settings:
    """The given settings, else the library's, else loaded from the config file and environment."""
    if settings is not None:
        return settings
    if library is not None:
        return library.settings
    return load_settings()
