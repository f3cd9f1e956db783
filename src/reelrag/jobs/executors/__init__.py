"""Executors: where a worker runs the jobs it claims. The job store stays the source of truth
(the worker claims, heartbeats and finishes); an executor only runs one claimed job to its result.

``local`` runs jobs on threads of the worker process; ``ray`` ships them to actors on a Ray
cluster, placed by each generator's declared resources. ``settings.executor`` picks one.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol

from reelrag.errors import ConfigError
from reelrag.jobs.runner import JobContext
from reelrag.settings import Settings
from reelrag.types import Job

EXECUTORS = {
    "local": "reelrag.jobs.executors.threads:LocalExecutor",
    "ray": "reelrag.jobs.executors.ray:RayExecutor",
}


class Executor(Protocol):
    """Runs one claimed job; says how many jobs of a backend it can run at once."""

    name: str

    def run(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        """Run ``job`` to its JSON-ready result (a :class:`reelrag.jobs.runner.JobRunner`)."""
        ...

    def capacity(self, backend: str) -> int | None:
        """Jobs of ``backend`` it runs at once; None leaves the worker's own limits."""
        ...

    def close(self) -> None:
        """Free what the executor holds (actors, pools)."""
        ...


def open_executor(settings: Settings) -> Executor:
    """The executor ``settings.executor`` names."""
    target = EXECUTORS.get(settings.executor)
    if target is None:
        raise ConfigError(
            f"unknown executor {settings.executor!r}", hint=f"use one of {', '.join(EXECUTORS)}"
        )
    module, _, attr = target.partition(":")
    cls: Any = getattr(importlib.import_module(module), attr)
    executor: Executor = cls.from_settings(settings)
    return executor
