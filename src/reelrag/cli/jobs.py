"""``reelrag jobs list|show|wait|cancel|retry|worker``: follow and steer durable jobs.

Everything reads the shared job store (SQLite, or PostgreSQL via ``jobs_url``), so a batch
started in one terminal (or on one machine) can be watched from another.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from reelrag.cli.common import console, print_json, progress_bars, settings_from
from reelrag.cli.visible import visible
from reelrag.errors import NotFoundError, NoWorkerError
from reelrag.events import ProgressCallback, ProgressEvent
from reelrag.jobs import (
    TERMINAL_STATES,
    BatchSummary,
    JobStore,
    Worker,
    job_backend,
    open_job_store,
)
from reelrag.types import Job

jobs_app = typer.Typer(
    help="List, follow, cancel and retry jobs; run a worker.", no_args_is_help=True
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ExecutorOption = Annotated[
    str | None, typer.Option("--executor", help="Where jobs run: local or ray.")
]
RayAddressOption = Annotated[
    str | None, typer.Option("--ray-address", help="Ray cluster to join (e.g. auto).")
]
NO_WORKER_S = 15.0  # due jobs unclaimed this long, and no lease anywhere: no worker is running


def register(app: typer.Typer) -> None:
    app.add_typer(jobs_app, name="jobs")


@jobs_app.command("list")
def list_jobs(
    ctx: typer.Context,
    batch: Annotated[str | None, typer.Option("--batch", "-b", help="Only this batch.")] = None,
    state: Annotated[str | None, typer.Option("--state", help="Only this state.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="At most this many jobs.")] = 200,
    as_json: JsonFlag = False,
) -> None:
    """Jobs with their state, progress and errors."""
    store = open_job_store(settings_from(ctx))
    jobs = store.list(batch_id=batch, states=[state] if state else None, limit=limit)
    if as_json:
        print_json([j.to_dict() for j in jobs])
        return
    table = Table("job", "state", "tries", "progress", "backend", "message")
    for job in jobs:
        table.add_row(job.id, job.state, str(job.attempts), f"{job.progress:.0%}",
                      job_backend(job) or "(default)", _reason(job))  # fmt: skip
    console.print(table)
    console.print(_counts_line(store.counts(batch_id=batch)))


@jobs_app.command("show")
def show_job(ctx: typer.Context, job_id: str, as_json: JsonFlag = False) -> None:
    """One job in full, with its events."""
    store = open_job_store(settings_from(ctx))
    job = store.get(job_id)
    events = [e for e in store.events(batch_id=job.batch_id, limit=100_000) if e.job_id == job.id]
    if as_json:
        print_json({**job.to_dict(), "events": [e.to_dict() for e in events]})
        return
    table = Table("field", "value", show_header=False)
    for key, value in job.to_dict().items():
        table.add_row(key, str(value))
    console.print(table)
    for event in events:
        console.print(f"{event.at}  {event.state:<9} {event.progress:4.0%}  {event.message}")


@jobs_app.command("wait")
def wait_jobs(
    ctx: typer.Context,
    target: Annotated[str | None, typer.Argument(help="A job id or batch id; default all.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Give up after this many seconds.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Follow jobs until they finish (progress bars from the shared store); stops with an
    error when no worker is running to run them."""
    store = open_job_store(settings_from(ctx))
    batch_id, job_id = resolve_target(store, target)
    with progress_bars(enabled=not as_json) as bars:
        watch(store, bars, batch_id=batch_id, job_id=job_id, timeout_s=timeout)
    jobs = [store.get(job_id)] if job_id else store.list(batch_id=batch_id)
    render_summary(BatchSummary.of(jobs), as_json)


@jobs_app.command("cancel")
def cancel_job(ctx: typer.Context, job_id: str, as_json: JsonFlag = False) -> None:
    """Cancel a queued or running job."""
    job = open_job_store(settings_from(ctx)).cancel(job_id)
    print_json(job.to_dict()) if as_json else console.print(f"cancelled {job.id}")


@jobs_app.command("retry")
def retry_job(ctx: typer.Context, target: str, as_json: JsonFlag = False) -> None:
    """Queue a failed, cancelled or skipped job again (a batch id retries its failed jobs)."""
    store = open_job_store(settings_from(ctx))
    batch_id, job_id = resolve_target(store, target)
    ids = [job_id] if job_id else [j.id for j in store.list(batch_id=batch_id, states=["failed"])]
    jobs = [store.retry(i) for i in ids]
    if as_json:
        print_json([j.to_dict() for j in jobs])
        return
    console.print(f"queued again: {len(jobs)} job(s); run `reelrag jobs worker` to run them")


@jobs_app.command("worker")
def worker(
    ctx: typer.Context,
    batch: Annotated[str | None, typer.Option("--batch", "-b", help="Only this batch.")] = None,
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="Exit when nothing is left.")
    ] = False,
    concurrency: Annotated[int | None, typer.Option(help="Jobs at once per backend.")] = None,
    executor: ExecutorOption = None,
    ray_address: RayAddressOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Run a worker in the foreground (Ctrl-C stops it; its running jobs go back to the queue)."""
    overrides: dict[str, Any] = {
        "concurrency": concurrency, "executor": executor, "ray_address": ray_address
    }  # fmt: skip
    if concurrency is not None:
        overrides["backend_concurrency"] = ""
    settings = settings_from(ctx, **overrides)
    store = open_job_store(settings)
    stop = threading.Event()
    with progress_bars(enabled=not as_json) as bars:
        try:
            summary = Worker(store, settings, runners=_runners()).run(
                batch_id=batch, until_idle=until_idle, progress=bars, stop=stop
            )
        except KeyboardInterrupt:
            stop.set()
            raise
    render_summary(summary, as_json)


# -- shared with `reelrag batch` ---------------------------------------------------------------


def resolve_target(store: JobStore, target: str | None) -> tuple[str | None, str | None]:
    """(batch id, job id) for a target that is a job id, a batch id or None (everything)."""
    if target is None:
        return None, None
    try:
        return None, store.get(target).id
    except NotFoundError:
        if store.list(batch_id=target, limit=1):
            return target, None
        raise NotFoundError(
            f"no job or batch {target!r}", hint="`reelrag jobs list` shows ids"
        ) from None


def watch(
    store: JobStore,
    progress: ProgressCallback,
    *,
    batch_id: str | None = None,
    job_id: str | None = None,
    timeout_s: float | None = None,
    interval_s: float = 0.3,
    stop: threading.Event | None = None,
    no_worker_s: float = NO_WORKER_S,
) -> None:
    """Turn the store's events into progress events until the jobs in scope are all finished.

    Raises :class:`NoWorkerError` when no worker holds a lease anywhere and jobs that could run
    now stay unclaimed for ``no_worker_s`` (a live worker claims a due job within a second)."""
    cursor, started = 0, time.monotonic()
    idle_since: float | None = None
    while True:
        for event in store.events(cursor, batch_id=batch_id):
            cursor = event.seq
            if job_id in (None, event.job_id):
                progress(
                    ProgressEvent(event.job_id, round(event.progress * 100), 100, event.message)
                )
        jobs = [store.get(job_id)] if job_id else store.list(batch_id=batch_id)
        done = sum(j.state in TERMINAL_STATES for j in jobs)
        progress(ProgressEvent(f"batch {batch_id}" if batch_id else "jobs", done, len(jobs)))
        if done == len(jobs) or (stop is not None and stop.is_set()):
            return
        if timeout_s is not None and time.monotonic() - started > timeout_s:
            return
        idle_since = _unattended_since(store, batch_id, idle_since)
        if idle_since is not None and time.monotonic() - idle_since > no_worker_s:
            raise NoWorkerError(
                "no worker is running: jobs that could run now have not been picked up for "
                f"{no_worker_s:.0f}s",
                hint="start one with `reelrag jobs worker` (another terminal) or re-run the batch",
            )
        time.sleep(interval_s)


def _unattended_since(store: JobStore, batch_id: str | None, since: float | None) -> float | None:
    """When jobs of the scope became runnable with no worker alive to take them (None: a worker
    holds a lease somewhere, or nothing in scope is due now)."""
    live = any(lease.seconds_left > 0 for lease in store.leases())
    if live or store.next_due_in(batch_id=batch_id) != 0:
        return None
    return since if since is not None else time.monotonic()


def render_summary(summary: BatchSummary, as_json: bool) -> None:
    """The end summary: successes, failures with reasons, skipped rows."""
    data = summary.to_dict()
    if as_json:
        print_json(data)
        return
    table = Table("job", "state", "result or reason")
    for name in ("succeeded", "failed", "skipped", "cancelled", "pending"):
        for item in data[name]:
            detail = item["video"] if name == "succeeded" else item["reason"]
            lines = [str(detail or "")]
            if name == "succeeded" and item.get("qa"):
                lines.append(f"QA {item['qa']}")
            cell = Text("\n").join(Text(visible(line)) for line in lines)  # two lines on purpose
            table.add_row(item["id"], name, cell)
    console.print(table)
    console.print(", ".join(f"{len(v)} {k}" for k, v in data.items() if v) or "no jobs")


def _reason(job: Job) -> str:
    if job.state == "succeeded":
        return str((job.result or {}).get("video", ""))
    return str((job.error or {}).get("message") or job.message)


def _counts_line(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {state}" for state, n in counts.items() if n) or "no jobs"


def _runners() -> dict[str, Any]:
    """Job kinds besides ``generate``: a reel's ``compose`` job."""
    from reelrag.reel.job import RUNNERS

    return dict(RUNNERS)
