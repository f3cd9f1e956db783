"""The VRAG recipes as plain functions: the Python API behind ``reelrag batch`` and ``demo``.

>>> from reelrag import open_library, run_batch            # doctest: +SKIP
>>> library = open_library("my-workspace")                  # doctest: +SKIP
>>> library.ingest("photos/", recursive=True)               # doctest: +SKIP
>>> run_batch("prompts.txt", object="red shoes", action="camera pans down",
...           library=library)                              # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reelrag.batch import BatchRow, read_prompt_file
from reelrag.batch_plan import BatchPlan, check_budget, plan_batch
from reelrag.events import ProgressCallback, ignore_progress
from reelrag.jobs import BatchSummary, Worker, open_job_store
from reelrag.settings import Settings


def plan_prompts(
    prompts: str | Path | list[BatchRow],
    *,
    object: str | None = None,
    action: str | None = None,
    library: Any = None,
    settings: Settings | None = None,
    backend: str | None = None,
    distinct: bool = False,
    budget_usd: float | None = None,
) -> BatchPlan:
    """Read a prompts file (or take rows), retrieve images and estimate: nothing is generated."""
    settings = _settings_for(settings, library)
    if isinstance(prompts, list):
        rows, base_dir = prompts, None
    else:
        rows = read_prompt_file(Path(prompts), object_text=object, action_text=action)
        base_dir = Path(prompts).parent
    plan = plan_batch(
        rows, settings, library=library, backend=backend, distinct=distinct, base_dir=base_dir
    )
    check_budget(plan, budget_usd)
    return plan


def run_plan(
    plan: BatchPlan,
    settings: Settings,
    *,
    library: Any = None,
    progress: ProgressCallback = ignore_progress,
) -> BatchSummary:
    """Queue ``plan``'s jobs durably (once) and work them until the batch is done."""
    store = open_job_store(settings)
    store.add_many(plan.jobs())
    return Worker(store, settings, library=library).run(batch_id=plan.batch_id, progress=progress)


def run_batch(
    prompts: str | Path | list[BatchRow],
    *,
    object: str | None = None,
    action: str | None = None,
    library: Any = None,
    settings: Settings | None = None,
    backend: str | None = None,
    distinct: bool = False,
    budget_usd: float | None = None,
    progress: ProgressCallback = ignore_progress,
) -> BatchSummary:
    """Plan and run a batch; re-running a finished batch does no work."""
    settings = _settings_for(settings, library)
    plan = plan_prompts(
        prompts, object=object, action=action, library=library, settings=settings,
        backend=backend, distinct=distinct, budget_usd=budget_usd,
    )  # fmt: skip
    return run_plan(plan, settings, library=library, progress=progress)


def _settings_for(settings: Settings | None, library: Any) -> Settings:
    """The given settings, else the library's, else loaded from the config file and environment."""
    if settings is not None:
        return settings
    if library is not None:
        return library.settings
    from reelrag.settings import load_settings

    return load_settings()
