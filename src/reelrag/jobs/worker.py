"""The worker: claims jobs from a :class:`JobStore` and runs them with per-backend concurrency.

Each claimed job runs on its own thread under a lease that one heartbeat thread renews; a lost
lease or a cancellation stops the job at its next check. Retryable errors (``err.retryable``) put
the job back in the queue with exponential backoff and full jitter, up to ``max_attempts``; other
errors fail the job; "no good match" skips it. One failed job never stops the others.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reelrag.errors import (
    CancelledError,
    NoMatchError,
    ReelragError,
    RemoteFailedError,
    from_os_error,
)
from reelrag.events import ProgressCallback, ProgressEvent, ignore_progress
from reelrag.generation.base import Generator
from reelrag.jobs import leases, staging
from reelrag.jobs.executors import Executor, open_executor
from reelrag.jobs.runner import JobContext, JobRunner, job_dir, run_generate_job
from reelrag.jobs.store import JobStore, job_backend
from reelrag.plugins import registry
from reelrag.settings import Settings
from reelrag.types import Job

if TYPE_CHECKING:
    from reelrag.library import Library

log = logging.getLogger(__name__)


@dataclass
class BatchSummary:
    """Where a set of jobs ended: successes, failures with reasons, skipped and cancelled rows."""

    succeeded: list[Job] = field(default_factory=list)
    failed: list[Job] = field(default_factory=list)
    skipped: list[Job] = field(default_factory=list)
    cancelled: list[Job] = field(default_factory=list)
    pending: list[Job] = field(default_factory=list)

    @classmethod
    def of(cls, jobs: list[Job]) -> BatchSummary:
        summary = cls()
        for job in jobs:
            bucket = getattr(summary, job.state, None) if job.state != "running" else None
            (bucket if isinstance(bucket, list) else summary.pending).append(job)
        return summary

    def to_dict(self) -> dict[str, Any]:
        def brief(job: Job) -> dict[str, Any]:
            reason = (job.error or {}).get("message") or job.message
            video, qa = (job.result or {}).get("video"), (job.result or {}).get("qa", "")
            return {"id": job.id, "state": job.state, "reason": reason, "video": video, "qa": qa}

        names = ("succeeded", "failed", "skipped", "cancelled", "pending")
        return {name: [brief(j) for j in getattr(self, name)] for name in names}


def backoff_delay(attempt: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^(attempt-1))].

    >>> 0 <= backoff_delay(3, 1.0, 60.0, random.Random(0)) <= 4.0
    True
    """
    return rng.uniform(0.0, min(cap_s, base_s * 2 ** max(0, attempt - 1)))


class Worker:
    """Runs jobs from ``store`` until idle (or forever); safe to run several, in any processes."""

    def __init__(
        self,
        store: JobStore,
        settings: Settings,
        *,
        worker_id: str | None = None,
        runner: JobRunner | None = None,
        executor: Executor | None = None,
        runners: dict[str, JobRunner] | None = None,
        generators: dict[str, Generator] | None = None,
        library: Library | None = None,
        backoff_base_s: float = 2.0,
        backoff_cap_s: float = 120.0,
        rng: random.Random | None = None,
    ):
        self.store = store
        self.settings = settings
        self.worker_id = worker_id or leases.worker_id()
        # The executor runs claimed jobs (local threads, or Ray actors); ``runner`` overrides it.
        self._owns_executor = executor is None and runner is None
        self.executor = executor or (open_executor(settings) if runner is None else None)
        self.runner: JobRunner = runner or (
            self.executor.run if self.executor else run_generate_job
        )
        self._runners = {"generate": self.runner, **(runners or {})}  # by job kind
        self.backoff_base_s, self.backoff_cap_s = backoff_base_s, backoff_cap_s
        self._rng = rng or random.Random()
        self._generators: dict[str, Generator] = dict(generators or {})
        self._library = library
        self._limits = settings.backend_limits
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._active: dict[str, tuple[str, threading.Event]] = {}  # job id -> (backend, cancel)
        self._progress: ProgressCallback = ignore_progress
        self._stopping = False
        self._finishing: set[str] = set()  # jobs past their remote part (collecting locally)

    # -- public -----------------------------------------------------------------------------

    def run(
        self,
        *,
        batch_id: str | None = None,
        until_idle: bool = True,
        stop: threading.Event | None = None,
        progress: ProgressCallback = ignore_progress,
        idle_poll_s: float = 1.0,
    ) -> BatchSummary:
        """Claim and run jobs (of ``batch_id`` when given) until none is left or ``stop`` is set."""
        stop = stop or threading.Event()
        self._progress = progress
        beat = threading.Thread(target=self._heartbeats, args=(stop,), daemon=True)
        beat.start()
        try:
            while not stop.is_set():
                self.free_dead_leases()
                claimed = self._fill_slots(batch_id)
                due = self.store.next_due_in(batch_id=batch_id)
                if until_idle and due is None and not self._active:
                    break
                if due == 0 and not claimed:  # due jobs wait on full slots or caps: no spinning
                    due = idle_poll_s
                self._wake.wait(min(idle_poll_s, due if due is not None else idle_poll_s))
                self._wake.clear()
        finally:
            self._drain(stop)
            if self._owns_executor and self.executor is not None:
                self.executor.close()
        return BatchSummary.of(self.store.list(batch_id=batch_id))

    def free_dead_leases(self, batch_id: str | None = None) -> int:
        """Free the unexpired leases held by worker processes of this host that are gone (a
        killed batch), so their jobs resume now rather than after ``lease_s``; how many."""
        freed = 0
        for lease in self.store.leases(batch_id=batch_id):
            if lease.seconds_left > 0 and leases.owner_gone(lease.owner):
                freed += self.store.free_lease(lease.job_id, lease.owner)
        return freed

    def generator(self, name: str) -> Generator:
        """The shared generator instance for ``name`` (created once per worker)."""
        with self._lock:
            if name not in self._generators:
                self._generators[name] = registry.create("generator", name, self.settings)
            return self._generators[name]

    def limit(self, backend: str) -> int:
        """Jobs of ``backend`` run at once: settings.backend_concurrency, else the backend's own
        ``max_concurrency``, else settings.concurrency; never more than the executor holds."""
        try:
            held = self.executor.capacity(backend) if self.executor is not None else None
        except ReelragError:  # an unknown backend fails its jobs; it needs no slot limit
            held = None
        if held is not None:
            return min(held, self._limits.get(backend, held))
        if backend in self._limits:
            return self._limits[backend]
        try:
            own = int(getattr(self.generator(backend), "max_concurrency", 0) or 0)
        except ReelragError:  # an unknown backend fails its jobs; it needs no slot limit
            own = 0
        return own or max(1, self.settings.concurrency)

    # -- scheduling -------------------------------------------------------------------------

    def _fill_slots(self, batch_id: str | None) -> int:
        claimed = 0
        while True:
            full = self._full_backends()
            job = self.store.claim(
                self.worker_id,
                self.settings.lease_s,
                exclude_backends=full,
                batch_id=batch_id,
                kinds=list(self._runners),
            )
            if job is None:
                return claimed
            self._start(job)
            claimed += 1

    def _full_backends(self) -> list[str]:
        with self._lock:
            running: dict[str, int] = {}
            for job_id, (backend, _) in self._active.items():
                if job_id not in self._finishing:
                    running[backend] = running.get(backend, 0) + 1
        full = [b for b, n in running.items() if n >= self.limit(b)]
        if self.settings.generator in full:
            full.append("")  # jobs stored without a backend use the default one
        return full

    def _start(self, job: Job) -> None:
        backend = job_backend(job) or self.settings.generator
        cancel = threading.Event()
        with self._lock:
            self._active[job.id] = (backend, cancel)
        threading.Thread(target=self._execute, args=(job, cancel), daemon=True).start()

    def _heartbeats(self, stop: threading.Event) -> None:
        interval = max(0.05, self.settings.lease_s / 3)
        while not stop.wait(interval):
            with self._lock:
                active = list(self._active.items())
            for job_id, (_, cancel) in active:
                if not self.store.heartbeat(job_id, self.worker_id, self.settings.lease_s):
                    cancel.set()

    def _drain(self, stop: threading.Event) -> None:
        """On stop, let running jobs notice and leave; their leases expire for others."""
        self._stopping = stop.is_set()
        with self._lock:
            for _, cancel in self._active.values():
                if self._stopping:
                    cancel.set()
        deadline = time.monotonic() + 5.0
        while self._active and time.monotonic() < deadline:
            time.sleep(0.02)
        stop.set()

    # -- one job ----------------------------------------------------------------------------

    def _execute(self, job: Job, cancel: threading.Event) -> None:
        attempt = job.attempts  # fences finish: a late result of an older attempt never lands
        try:
            runner = self._runners.get(job.kind, self.runner)
            result = runner(job, self._context(job, cancel))
            if self._succeed(job, result):
                self._progress(ProgressEvent(job.id, 100, 100, "done"))
        except CancelledError:
            log.info("job %s stopped: cancelled, taken over or worker stopping", job.id)
            if self._stopping:  # hand it back now rather than after the lease expires
                stopped = {"message": "worker stopped"}
                self.store.release(job.id, self.worker_id, delay_s=0.0, error=stopped)
        except ReelragError as err:
            self._on_error(job, err)
        except OSError as err:  # an output folder not writable, a full disk: one line, no trace
            self._on_error(job, from_os_error(err))
        except Exception as err:  # a bug in a backend must not kill the batch
            log.exception("job %s crashed", job.id)
            error: dict[str, Any] = {
                "error": type(err).__name__,
                "message": str(err),
                "retryable": False,
            }
            self.store.finish(
                job.id, self.worker_id, "failed", error=error, message=str(err), attempt=attempt
            )
        finally:
            if job.kind == "generate":  # whatever this attempt staged and did not promote
                staging.discard(staging.staging_dir(self.settings, job))
            with self._lock:
                self._active.pop(job.id, None)
                self._finishing.discard(job.id)
            self._emit(job, "batch")
            self._wake.set()

    def _succeed(self, job: Job, result: dict[str, Any]) -> bool:
        """Promote the attempt's staged outputs and finish the job, both fenced by attempt
        (see :mod:`reelrag.jobs.staging`); False when the attempt lost the job."""
        staged = staging.staging_dir(self.settings, job)
        if job.kind != "generate" or not staged.is_dir():  # nothing staged to promote
            return self._finish_ok(job, result)
        final = job_dir(self.settings, job)
        with staging.promotion_lock(self.settings):
            if not self._holds(job):
                log.info("job %s: attempt %d was taken over; its outputs are dropped", job.id,
                         job.attempts)  # fmt: skip
                return False
            backup = staging.promote(staged, final)
            try:
                finished = self._finish_ok(job, result)
            except BaseException:
                staging.rollback(final, backup)
                raise
            if not finished:
                staging.rollback(final, backup)
            else:
                staging.discard(backup)
                staging.clear_stale(self.settings, job)  # a zombie's late writes
            return finished

    def _holds(self, job: Job) -> bool:
        """The fence: this worker still holds ``job`` at the attempt it claimed (lease renewed)."""
        if not self.store.heartbeat(job.id, self.worker_id, self.settings.lease_s):
            return False
        current = self.store.get(job.id)
        return current.state == "running" and current.attempts == job.attempts

    def _finish_ok(self, job: Job, result: dict[str, Any]) -> bool:
        return self.store.finish(
            job.id, self.worker_id, "succeeded", result=result, message="done",
            attempt=job.attempts,
        )  # fmt: skip

    def _context(self, job: Job, cancel: threading.Event) -> JobContext:
        def report(fraction: float, message: str) -> None:
            self.store.update_progress(job.id, self.worker_id, fraction, message)
            self._progress(ProgressEvent(job.id, round(fraction * 100), 100, message))

        return JobContext(
            settings=self.settings,
            generator_for=self.generator,
            report=report,
            store_remote=lambda rid: self.store.set_remote(job.id, self.worker_id, rid),
            cancelled=cancel,
            deadline=time.monotonic() + self.settings.job_timeout_s,
            library=self._open_library,
            remote_done=lambda: self._free_slot(job.id),
        )

    def _free_slot(self, job_id: str) -> None:
        """The remote part of a job is over: its backend slot goes to the next job."""
        with self._lock:
            if job_id in self._active:
                self._finishing.add(job_id)
        self._wake.set()

    def _on_error(self, job: Job, err: ReelragError) -> None:
        error = err.to_dict()
        if isinstance(err, RemoteFailedError):  # the store then renews the token on a retry
            error["remote"] = "dead"
        if isinstance(err, NoMatchError):
            self.store.finish(
                job.id,
                self.worker_id,
                "skipped",
                error=error,
                message=str(err),
                attempt=job.attempts,
            )
        elif err.retryable and job.attempts < self.settings.max_attempts:
            delay = backoff_delay(job.attempts, self.backoff_base_s, self.backoff_cap_s, self._rng)
            log.info("job %s: %s; retrying in %.2fs", job.id, err, delay)
            self.store.release(job.id, self.worker_id, delay_s=delay, error=error)
        else:
            suffix = f" (after {job.attempts} attempts)" if err.retryable else ""
            self.store.finish(
                job.id, self.worker_id, "failed", error=error, message=f"{err}{suffix}",
                attempt=job.attempts,
            )  # fmt: skip

    def _emit(self, job: Job, task: str) -> None:
        if self._progress is ignore_progress:
            return
        counts = self.store.counts(batch_id=job.batch_id)
        done = sum(counts[s] for s in ("succeeded", "failed", "skipped", "cancelled"))
        self._progress(ProgressEvent(task, done, sum(counts.values()), job.id))

    def _open_library(self) -> Any:
        with self._lock:
            if self._library is None:
                from reelrag.library import Library  # only jobs with library assets need it

                self._library = Library(self.settings)
            return self._library


def run_worker(
    store: JobStore,
    settings: Settings,
    *,
    batch_id: str | None = None,
    until_idle: bool = True,
    progress: ProgressCallback = ignore_progress,
    stop: threading.Event | None = None,
    **options: Any,
) -> BatchSummary:
    """Run one :class:`Worker` in this process (see :meth:`Worker.run`)."""
    worker = Worker(store, settings, **options)
    return worker.run(batch_id=batch_id, until_idle=until_idle, progress=progress, stop=stop)
