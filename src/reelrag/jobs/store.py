"""The durable job store's contract (:class:`JobStore`); implementations in
:mod:`reelrag.jobs.sqlite_store` (one file) and :mod:`reelrag.jobs.postgres` (shared).

A job is written before any work or remote call. Workers take jobs with :meth:`JobStore.claim`
under a lease that they renew with :meth:`JobStore.heartbeat`; a job whose lease expired (its
worker crashed) can be claimed again. Every state change is fenced by the lease owner, runs in one
transaction and appends an event, so other processes can follow a batch through
:meth:`JobStore.events`.
"""

from __future__ import annotations

import abc
import builtins
import hashlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from reelrag.errors import InputError
from reelrag.jobs.leases import Lease
from reelrag.types import JOB_STATES, GeneratePayload, Job

TERMINAL_STATES = ("succeeded", "failed", "cancelled", "skipped")
ACTIVE_STATES = ("queued", "running")
Clock = Callable[[], float]


@dataclass(frozen=True)
class JobEvent:
    """One state change or progress report, numbered by ``seq`` (a cursor for :meth:`events`)."""

    seq: int
    job_id: str
    batch_id: str | None
    state: str
    progress: float
    message: str
    at: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def idempotency_token(job_id: str) -> str:
    """The token sent with a remote submission; the same job always gets the same token.

    >>> idempotency_token("b1-0001") == idempotency_token("b1-0001")
    True
    """
    return "rr-" + hashlib.sha256(f"reelrag-job:{job_id}".encode()).hexdigest()[:40]


def check_finish_state(state: str) -> None:
    """Refuse to finish a job in a state other than succeeded | failed | skipped."""
    if state not in ("succeeded", "failed", "skipped"):
        raise InputError(f"cannot finish a job as {state!r}", hint="succeeded|failed|skipped")


def remote_dead(error: dict[str, Any] | None) -> bool:
    """Whether a job's error says its remote attempt is over (failed remotely), so the next
    attempt needs a new idempotency token; otherwise the old invocation may still finish and a
    retry must reuse the token (never pay twice)."""
    return error is not None and error.get("remote") == "dead"


def job_backend(job: Job) -> str:
    """The generator backend a job needs ("" when the default applies)."""
    if job.kind != "generate":
        return str(job.payload.get("backend") or "")
    return GeneratePayload.of(job).request.backend or ""


class JobStore(abc.ABC):
    """Jobs by id with leases, fenced state changes and an event log."""

    @abc.abstractmethod
    def add_many(self, jobs: Sequence[Job]) -> builtins.list[str]:
        """Insert jobs whose ids are new; return those ids (existing ids are left untouched)."""

    def add(self, job: Job) -> bool:
        """Insert one job; False when its id already exists."""
        return bool(self.add_many([job]))

    @abc.abstractmethod
    def get(self, job_id: str) -> Job:
        """The job; :class:`NotFoundError` when absent."""

    @abc.abstractmethod
    def list(
        self,
        *,
        batch_id: str | None = None,
        states: Collection[str] | None = None,
        limit: int | None = None,
    ) -> list[Job]:
        """Jobs in creation order, optionally filtered."""

    @abc.abstractmethod
    def claim(
        self,
        worker_id: str,
        lease_s: float,
        *,
        kinds: Collection[str] | None = None,
        backends: Collection[str] | None = None,
        exclude_backends: Collection[str] = (),
        batch_id: str | None = None,
    ) -> Job | None:
        """Atomically take the oldest runnable job (queued and due, or running with an expired
        lease) for ``worker_id``; count an attempt. None when nothing is runnable."""

    @abc.abstractmethod
    def heartbeat(self, job_id: str, worker_id: str, lease_s: float) -> bool:
        """Extend the lease; False when the worker lost the job (cancelled, taken over)."""

    @abc.abstractmethod
    def set_remote(self, job_id: str, worker_id: str, remote_id: str) -> bool:
        """Record the remote id before waiting on it; False when the lease was lost."""

    @abc.abstractmethod
    def update_progress(self, job_id: str, worker_id: str, progress: float, message: str) -> bool:
        """Record progress in [0, 1]; False when the lease was lost."""

    @abc.abstractmethod
    def finish(
        self,
        job_id: str,
        worker_id: str,
        state: str,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
        message: str = "",
        attempt: int | None = None,
    ) -> bool:
        """Move a running job to succeeded | failed | skipped; False when the lease was lost, or
        when ``attempt`` is given and the job has been claimed again since (a zombie's result)."""

    @abc.abstractmethod
    def release(
        self, job_id: str, worker_id: str, *, delay_s: float, error: dict[str, Any]
    ) -> bool:
        """Put a running job back in the queue, runnable after ``delay_s`` (retry with backoff)."""

    @abc.abstractmethod
    def cancel(self, job_id: str) -> Job:
        """Cancel a queued or running job (a running job's worker notices at its next heartbeat)."""

    @abc.abstractmethod
    def retry(self, job_id: str) -> Job:
        """Queue a failed, cancelled or skipped job again with a fresh attempt count; a new
        idempotency token only when its remote attempt is known dead (:func:`remote_dead`)."""

    @abc.abstractmethod
    def events(
        self, since: int = 0, *, batch_id: str | None = None, limit: int = 1000
    ) -> builtins.list[JobEvent]:
        """Events with ``seq > since``, oldest first."""

    @abc.abstractmethod
    def next_due_in(self, *, batch_id: str | None = None) -> float | None:
        """Seconds until some active job becomes claimable (0 = now); None when none is active."""

    def leases(self, *, batch_id: str | None = None) -> builtins.list[Lease]:
        """The leases of running jobs (of ``batch_id`` when given)."""
        return []

    def free_lease(self, job_id: str, owner: str) -> bool:
        """End ``owner``'s lease on a running job now (its process is gone) so the job can be
        claimed at once; False when ``owner`` no longer holds it."""
        return False

    def counts(self, *, batch_id: str | None = None) -> dict[str, int]:
        """Number of jobs per state (every state present, zero when none)."""
        out = dict.fromkeys(JOB_STATES, 0)
        for job in self.list(batch_id=batch_id):
            out[job.state] = out.get(job.state, 0) + 1
        return out

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
