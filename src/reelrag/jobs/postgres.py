"""The job store on PostgreSQL, for many workers on many machines sharing one queue.

Same contract as :class:`reelrag.jobs.sqlite_store.SQLiteJobStore`: claims take the oldest
runnable job with ``FOR UPDATE SKIP LOCKED`` (claimers never wait on each other), leases and
heartbeats use the database clock, per-backend caps (``backend_caps``, e.g. ``bedrock=20``) hold
across every worker, and every state change is fenced by the lease owner (and by attempt when
finishing).
psycopg is imported here only, so ``import reelrag`` never loads it (extra ``reelrag[postgres]``).
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from reelrag.errors import BackendError, InputError, MissingDependencyError, NotFoundError
from reelrag.jobs import pgsql
from reelrag.jobs.sql import check_state
from reelrag.jobs.store import (
    TERMINAL_STATES,
    JobEvent,
    JobStore,
    check_finish_state,
    job_backend,
)
from reelrag.settings import Settings, redact_url
from reelrag.types import JOB_STATES, Job

Clock = Callable[[], float]


def _psycopg() -> Any:
    try:
        import psycopg
    except ModuleNotFoundError as exc:
        raise MissingDependencyError(
            "a postgresql:// jobs_url needs psycopg", hint="pip install 'reelrag[postgres]'"
        ) from exc
    return psycopg


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class PostgresJobStore(JobStore):
    """Jobs in two tables of a PostgreSQL database (``reelrag_jobs``, ``reelrag_job_events``).

    One connection per store, serialised by a lock: open one store per process (or thread pool).
    ``clock`` is for tests only; by default every time is the database's ``now()``.
    """

    def __init__(
        self,
        url: str,
        *,
        caps: Mapping[str, int] | None = None,
        clock: Clock | None = None,
        connect_timeout_s: float = 10.0,
    ):
        self.url = url
        self.caps = dict(caps or {})
        self._clock = clock
        self._lock = threading.RLock()
        self._timeout_s = connect_timeout_s
        self._db = self._connect(connect_timeout_s)
        with self._tx() as cur:
            cur.execute(pgsql.SCHEMA_LOCK)
            cur.execute(pgsql.SCHEMA)

    @classmethod
    def from_settings(cls, settings: Settings) -> PostgresJobStore:
        return cls(settings.jobs_url, caps=settings.backend_cap_limits)

    def _connect(self, timeout_s: float) -> Any:
        psycopg = _psycopg()
        from psycopg.rows import dict_row

        try:
            return psycopg.connect(
                self.url, autocommit=True, row_factory=dict_row, connect_timeout=int(timeout_s)
            )
        except psycopg.OperationalError as exc:
            raise BackendError(
                f"cannot reach the job database {redact_url(self.url)}: {_first_line(exc)}",
                hint="check jobs_url and that PostgreSQL accepts connections",
                retryable=True,
            ) from exc

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        """One transaction; a connection lost before (a database restart, a failover) is opened
        again, one lost during it fails this call with a retryable error."""
        psycopg = _psycopg()
        with self._lock:
            if self._db.closed or self._db.broken:
                self._db = self._connect(self._timeout_s)
            try:
                with self._db.transaction(), self._db.cursor() as cur:
                    yield cur
            except psycopg.OperationalError as exc:
                raise BackendError(
                    f"lost the job database {redact_url(self.url)}: {_first_line(exc)}",
                    hint="the next call reconnects; check the database if this repeats",
                    retryable=True,
                ) from exc

    def _p(self, **params: Any) -> dict[str, Any]:
        """Statement parameters with the clock (NULL: the database's own)."""
        return {"now": None if self._clock is None else self._clock(), **params}

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writes ---------------------------------------------------------------------------

    def add_many(self, jobs: Sequence[Job]) -> builtins.list[str]:
        from psycopg.types.json import Jsonb

        added: builtins.list[Job] = []
        with self._tx() as cur:
            for job in jobs:
                check_state(job.state)
                row = {
                    **job.to_dict(),
                    "backend": job_backend(job),
                    "payload": Jsonb(job.payload),
                    "error": None if job.error is None else Jsonb(job.error),
                    "result": None if job.result is None else Jsonb(job.result),
                    "created_at": job.created_at or None,
                }
                if cur.execute(pgsql.INSERT_JOB, self._p(**row)).fetchone() is not None:
                    added.append(job)
            for job in added:  # events last: the event lock is held until the commit
                self._event(cur, job.id, job.batch_id, job.state, job.progress, job.message)
        return [job.id for job in added]

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
        filters = {
            "kinds": None if kinds is None else list(kinds),
            "backends": None if backends is None else list(backends),
            "batch_id": batch_id,
        }
        with self._tx() as cur:
            row = self._claimable(cur, filters, list(exclude_backends))
            if row is None:
                return None
            note = "lease expired; taken over" if row["state"] == "running" else "started"
            params = self._p(id=row["id"], worker=worker_id, lease_s=float(lease_s), note=note)
            job = pgsql.row_job(cur.execute(pgsql.CLAIM_JOB, params).fetchone())
            self._event(cur, job.id, job.batch_id, "running", job.progress, note)
        return job

    def _claimable(
        self, cur: Any, filters: dict[str, Any], excluded: builtins.list[str]
    ) -> dict[str, Any] | None:
        """The oldest claimable row (locked) whose backend is under its account-wide cap."""
        while True:
            row = cur.execute(pgsql.CLAIMABLE, self._p(**filters, excluded=excluded)).fetchone()
            if row is None or row["backend"] not in self.caps:
                return row
            cur.execute(pgsql.CAP_LOCK, {"backend": row["backend"]})
            running = cur.execute(pgsql.RUNNING, self._p(**row)).fetchone()["n"]
            if running < self.caps[row["backend"]]:
                return row
            excluded.append(row["backend"])  # at its cap: look at other backends' jobs

    def heartbeat(self, job_id: str, worker_id: str, lease_s: float) -> bool:
        return self._owned(job_id, worker_id, pgsql.HEARTBEAT_SETS, {"lease_s": float(lease_s)})

    def set_remote(self, job_id: str, worker_id: str, remote_id: str) -> bool:
        msg = f"submitted as {remote_id}"
        params = {"remote_id": remote_id, "message": msg}
        return self._owned(job_id, worker_id, pgsql.REMOTE_SETS, params, event=msg)

    def update_progress(self, job_id: str, worker_id: str, progress: float, message: str) -> bool:
        params = {"progress": min(1.0, max(0.0, float(progress))), "message": message}
        return self._owned(job_id, worker_id, pgsql.PROGRESS_SETS, params, event=message)

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
        from psycopg.types.json import Jsonb

        check_finish_state(state)
        params = {
            "state": state,
            "result": None if result is None else Jsonb(result),
            "error": None if error is None else Jsonb(error),
            "message": message,
            "progress": 1.0 if state == "succeeded" else None,
        }
        return self._owned(
            job_id, worker_id, pgsql.FINISH_SETS, params, event=message, attempt=attempt
        )

    def release(
        self, job_id: str, worker_id: str, *, delay_s: float, error: dict[str, Any]
    ) -> bool:
        from psycopg.types.json import Jsonb

        msg = f"retrying in {delay_s:.1f}s: {error.get('message', '')}"
        params = {"delay_s": max(0.0, float(delay_s)), "error": Jsonb(error), "message": msg}
        return self._owned(job_id, worker_id, pgsql.RELEASE_SETS, params, event=msg)

    def cancel(self, job_id: str) -> Job:
        with self._tx() as cur:
            job = self._get(cur, job_id, lock=True)
            if job.state in TERMINAL_STATES:
                raise InputError(
                    f"job {job_id} is already {job.state}",
                    hint="only queued or running jobs cancel",
                )
            cur.execute(pgsql.CANCEL_JOB, self._p(id=job_id))
            self._event(cur, job_id, job.batch_id, "cancelled", job.progress, "cancelled by user")
            return self._get(cur, job_id)

    def retry(self, job_id: str) -> Job:
        with self._tx() as cur:
            job = self._get(cur, job_id, lock=True)
            if job.state not in ("failed", "cancelled", "skipped"):
                raise InputError(
                    f"job {job_id} is {job.state}",
                    hint="only failed, cancelled or skipped jobs retry",
                )
            cur.execute(pgsql.RETRY_JOB, self._p(id=job_id))
            self._event(cur, job_id, job.batch_id, "queued", 0.0, "queued again")
            return self._get(cur, job_id)

    # -- reads ----------------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        with self._tx() as cur:
            return self._get(cur, job_id)

    def list(
        self,
        *,
        batch_id: str | None = None,
        states: Collection[str] | None = None,
        limit: int | None = None,
    ) -> list[Job]:
        params = {"batch_id": batch_id, "states": list(states) if states else None, "limit": limit}
        with self._tx() as cur:
            return [pgsql.row_job(r) for r in cur.execute(pgsql.LIST, params).fetchall()]

    def counts(self, *, batch_id: str | None = None) -> dict[str, int]:
        out = dict.fromkeys(JOB_STATES, 0)
        with self._tx() as cur:
            for row in cur.execute(pgsql.COUNTS, {"batch_id": batch_id}).fetchall():
                out[row["state"]] = row["n"]
        return out

    def events(
        self, since: int = 0, *, batch_id: str | None = None, limit: int = 1000
    ) -> builtins.list[JobEvent]:
        params = {"since": since, "batch_id": batch_id, "limit": limit}
        with self._tx() as cur:
            rows = cur.execute(pgsql.EVENTS, params).fetchall()
        return [JobEvent(**{**r, "at": pgsql.iso(r["at"])}) for r in rows]

    def next_due_in(self, *, batch_id: str | None = None) -> float | None:
        with self._tx() as cur:
            row = cur.execute(pgsql.NEXT_DUE, self._p(batch_id=batch_id)).fetchone()
        return None if row is None else max(0.0, float(row["due"]))

    # -- helpers --------------------------------------------------------------------------

    def _get(self, cur: Any, job_id: str, *, lock: bool = False) -> Job:
        query = pgsql.SELECT_JOB + (" FOR UPDATE" if lock else "")
        row = cur.execute(query, {"id": job_id}).fetchone()
        if row is None:
            raise NotFoundError(f"no job {job_id!r}", hint="`reelrag jobs list` shows the ids")
        return pgsql.row_job(row)

    def _owned(
        self,
        job_id: str,
        worker_id: str,
        sets: str,
        params: dict[str, Any],
        *,
        event: str | None = None,
        attempt: int | None = None,
    ) -> bool:
        """Apply ``sets`` only while ``worker_id`` holds the lease (and to ``attempt``)."""
        query = pgsql.OWNED_UPDATE.format(sets=sets)
        args = self._p(**params, id=job_id, worker=worker_id, attempt=attempt)
        with self._tx() as cur:
            row = cur.execute(query, args).fetchone()
            if row is None:
                return False
            if event is not None:
                self._event(cur, job_id, row["batch_id"], row["state"], row["progress"], event)
        return True

    def _event(
        self,
        cur: Any,
        job_id: str,
        batch_id: str | None,
        state: str,
        progress: float,
        message: str,
    ) -> None:
        """Append an event. Event numbers must be committed in the order they are drawn, or a
        reader that has seen ``seq`` 11 (committed first) never sees 10: the transaction-scoped
        lock makes writers of events take turns from their first event to their commit, so it is
        the last thing a transaction does."""
        params = self._p(
            job_id=job_id, batch_id=batch_id, state=state, progress=progress, message=message
        )
        cur.execute(pgsql.EVENT_ORDER_LOCK)
        cur.execute(pgsql.INSERT_EVENT, params)
