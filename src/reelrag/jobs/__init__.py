"""Durable jobs: the store (SQLite by default), the worker, and how one job runs."""

from __future__ import annotations

from reelrag.jobs.runner import JobContext, job_dir, job_token, poll_delays, run_generate_job
from reelrag.jobs.sqlite_store import SQLiteJobStore
from reelrag.jobs.store import (
    ACTIVE_STATES,
    TERMINAL_STATES,
    JobEvent,
    JobStore,
    idempotency_token,
    job_backend,
)
from reelrag.jobs.worker import BatchSummary, Worker, backoff_delay, run_worker
from reelrag.settings import Settings

__all__ = [
    "ACTIVE_STATES",
    "TERMINAL_STATES",
    "BatchSummary",
    "JobContext",
    "JobEvent",
    "JobStore",
    "SQLiteJobStore",
    "Worker",
    "backoff_delay",
    "idempotency_token",
    "job_backend",
    "job_dir",
    "job_token",
    "open_job_store",
    "poll_delays",
    "run_generate_job",
    "run_worker",
]


def open_job_store(settings: Settings) -> JobStore:
    """The job store ``settings.jobs_url`` names: PostgreSQL for ``postgresql://…``, else the
    SQLite file ``settings.jobs_path``."""
    if settings.jobs_on_postgres:
        from reelrag.jobs.postgres import PostgresJobStore  # psycopg loads only here

        return PostgresJobStore.from_settings(settings)
    return SQLiteJobStore.from_settings(settings)
