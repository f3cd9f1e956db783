"""The local executor: the job runs on the worker's own thread (the default)."""

from __future__ import annotations

from typing import Any

from reelrag.jobs.runner import JobContext, run_generate_job
from reelrag.settings import Settings
from reelrag.types import Job


class LocalExecutor:
    """Runs each job in the worker process with :func:`run_generate_job`."""

    name = "local"

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalExecutor:
        return cls()

    def run(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        return run_generate_job(job, ctx)

    def capacity(self, backend: str) -> int | None:
        return None

    def close(self) -> None:
        """Nothing to free."""
