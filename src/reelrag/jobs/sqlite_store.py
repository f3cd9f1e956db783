"""The job store in one SQLite file: the default, for one machine (:class:`SQLiteJobStore`)."""

from __future__ import annotations

import builtins
import sqlite3
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from reelrag.errors import InputError, NotFoundError
from reelrag.jobs import sql
from reelrag.jobs.leases import Lease
from reelrag.jobs.store import (
    TERMINAL_STATES,
    Clock,
    JobEvent,
    JobStore,
    check_finish_state,
    job_backend,
    remote_dead,
)
from reelrag.settings import Settings
from reelrag.sqlite import connect as sqlite_connect
from reelrag.sqlite import immediate
from reelrag.types import JOB_STATES, Job


class SQLiteJobStore(JobStore):
    """Jobs in one SQLite file (WAL, busy timeout); safe across threads and processes.

    The statement text and row conversion live in :mod:`reelrag.jobs.sql`; this class owns the
    connection, the lock and the transactions."""

    def __init__(
        self,
        path: Path | str,
        *,
        clock: Clock = time.time,
        busy_timeout_s: float = 30.0,
        caps: Mapping[str, int] | None = None,
    ):
        self.path = Path(path)
        self.caps = dict(caps or {})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._lock = threading.RLock()
        self._db = sqlite_connect(self.path, busy_timeout_s)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.executescript(sql.SCHEMA)  # idempotent DDL; executescript commits itself

    @classmethod
    def from_settings(cls, settings: Settings) -> SQLiteJobStore:
        return cls(settings.jobs_path, caps=settings.backend_cap_limits)

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate(self._db, self._lock)

    def _now_iso(self) -> str:
        return sql.iso(self._clock())

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writes ---------------------------------------------------------------------------

    def add_many(self, jobs: Sequence[Job]) -> builtins.list[str]:
        added: builtins.list[str] = []
        now = self._now_iso()
        with self._tx() as db:
            seq = db.execute(sql.MAX_ORD).fetchone()[0]
            for job in jobs:
                sql.check_state(job.state)
                row = sql.job_row(job, job_backend(job), now, seq + len(added) + 1)
                cur = db.execute(sql.INSERT_JOB, row)
                if cur.rowcount:
                    added.append(job.id)
                    self._event(db, job.id, job.batch_id, job.state, job.progress, job.message)
        return added

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
        now = self._clock()
        with self._tx() as db:
            row = self._claimable(db, now, kinds, backends, exclude_backends, batch_id)
            if row is None:
                return None
            note = "lease expired; taken over" if row["state"] == "running" else "started"
            db.execute(sql.CLAIM_JOB, (worker_id, now + lease_s, note, sql.iso(now), row["id"]))
            job = self._get(db, row["id"])
            self._event(db, job.id, job.batch_id, "running", job.progress, note)
        return job

    def heartbeat(self, job_id: str, worker_id: str, lease_s: float) -> bool:
        now = self._clock()
        return self._owned_update(job_id, worker_id, "lease_until=?", (now + lease_s,), event=None)

    def set_remote(self, job_id: str, worker_id: str, remote_id: str) -> bool:
        msg = f"submitted as {remote_id}"
        return self._owned_update(
            job_id, worker_id, "remote_id=?, message=?", (remote_id, msg), event=msg
        )

    def update_progress(self, job_id: str, worker_id: str, progress: float, message: str) -> bool:
        value = min(1.0, max(0.0, float(progress)))
        return self._owned_update(
            job_id, worker_id, "progress=?, message=?", (value, message), event=message
        )

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
        check_finish_state(state)
        progress = 1.0 if state == "succeeded" else None
        params = (state, sql.dump(result), sql.dump(error), message, progress)
        return self._owned_update(
            job_id, worker_id, sql.FINISH_SETS, params, event=message, state=state, attempt=attempt
        )

    def release(
        self, job_id: str, worker_id: str, *, delay_s: float, error: dict[str, Any]
    ) -> bool:
        due = self._clock() + max(0.0, delay_s)
        msg = f"retrying in {delay_s:.1f}s: {error.get('message', '')}"
        params = (due, sql.dump(error), msg)
        sets = sql.RELEASE_SETS + (", " + sql.NEW_TOKEN if remote_dead(error) else "")
        return self._owned_update(job_id, worker_id, sets, params, event=msg, state="queued")

    def cancel(self, job_id: str) -> Job:
        with self._tx() as db:
            job = self._get(db, job_id)
            if job.state in TERMINAL_STATES:
                raise InputError(
                    f"job {job_id} is already {job.state}",
                    hint="only queued or running jobs cancel",
                )
            db.execute(sql.CANCEL_JOB, (self._now_iso(), job_id))
            self._event(db, job_id, job.batch_id, "cancelled", job.progress, "cancelled by user")
            return self._get(db, job_id)

    def retry(self, job_id: str) -> Job:
        with self._tx() as db:
            job = self._get(db, job_id)
            if job.state not in ("failed", "cancelled", "skipped"):
                raise InputError(
                    f"job {job_id} is {job.state}",
                    hint="only failed, cancelled or skipped jobs retry",
                )
            token = sql.NEW_TOKEN if remote_dead(job.error) else sql.KEEP_TOKEN
            db.execute(sql.RETRY_JOB.format(token=token), (self._now_iso(), job_id))
            self._event(db, job_id, job.batch_id, "queued", 0.0, "queued again")
            return self._get(db, job_id)

    def free_lease(self, job_id: str, owner: str) -> bool:
        msg = f"lease of worker {owner} freed: its process is gone"
        return self._owned_update(job_id, owner, "lease_until=?", (0.0,), event=msg)

    # -- reads ----------------------------------------------------------------------------

    def leases(self, *, batch_id: str | None = None) -> builtins.list[Lease]:
        query, params = sql.leases_query(batch_id)
        now = self._clock()
        with self._lock:
            rows = self._db.execute(query, params).fetchall()
        return [Lease(r[0], r[1] or "", float(r[2] or 0.0) - now) for r in rows]

    def get(self, job_id: str) -> Job:
        with self._lock:
            return self._get(self._db, job_id)

    def list(
        self,
        *,
        batch_id: str | None = None,
        states: Collection[str] | None = None,
        limit: int | None = None,
    ) -> list[Job]:
        query, params = sql.list_query(batch_id, states, limit)
        with self._lock:
            return [sql.row_job(r) for r in self._db.execute(query, params).fetchall()]

    def counts(self, *, batch_id: str | None = None) -> dict[str, int]:
        out = dict.fromkeys(JOB_STATES, 0)
        query, params = sql.counts_query(batch_id)
        with self._lock:
            for state, count in self._db.execute(query, params):
                out[state] = count
        return out

    def events(
        self, since: int = 0, *, batch_id: str | None = None, limit: int = 1000
    ) -> builtins.list[JobEvent]:
        query, params = sql.events_query(since, batch_id, limit)
        with self._lock:
            rows = self._db.execute(query, params).fetchall()
        return [JobEvent(**dict(r)) for r in rows]

    def next_due_in(self, *, batch_id: str | None = None) -> float | None:
        query, params = sql.next_due_query(batch_id)
        with self._lock:
            due = self._db.execute(query, params).fetchone()[0]
        return None if due is None else max(0.0, float(due) - self._clock())

    # -- helpers --------------------------------------------------------------------------

    def _claimable(
        self,
        db: sqlite3.Connection,
        now: float,
        kinds: Collection[str] | None,
        backends: Collection[str] | None,
        exclude_backends: Collection[str],
        batch_id: str | None,
    ) -> sqlite3.Row | None:
        """The oldest claimable row whose backend is under its cap (``caps``)."""
        excluded = list(exclude_backends)
        while True:
            query, params = sql.claim_query(now, kinds, backends, excluded, batch_id)
            row = db.execute(query, params).fetchone()
            if row is None or row["backend"] not in self.caps:
                return row
            if (
                db.execute(sql.RUNNING, (row["backend"], now)).fetchone()[0]
                < self.caps[row["backend"]]
            ):
                return row
            excluded.append(row["backend"])  # at its cap: look at other backends' jobs

    def _get(self, db: sqlite3.Connection, job_id: str) -> Job:
        row = db.execute(sql.SELECT_JOB, (job_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no job {job_id!r}", hint="`reelrag jobs list` shows the ids")
        return sql.row_job(row)

    def _owned_update(
        self,
        job_id: str,
        worker_id: str,
        sets: str,
        params: tuple[Any, ...],
        *,
        event: str | None,
        state: str | None = None,
        attempt: int | None = None,
    ) -> bool:
        """Apply ``sets`` only while ``worker_id`` holds the job's lease (fencing), and only to
        attempt number ``attempt`` when given."""
        query = sql.OWNED_UPDATE.format(sets=sets)
        args = (*params, self._now_iso(), job_id, worker_id)
        if attempt is not None:
            query, args = query + " AND attempts=?", (*args, attempt)
        with self._tx() as db:
            cur = db.execute(query, args)
            if not cur.rowcount:
                return False
            if event is not None:
                job = self._get(db, job_id)
                self._event(db, job_id, job.batch_id, state or job.state, job.progress, event)
        return True

    def _event(
        self,
        db: sqlite3.Connection,
        job_id: str,
        batch_id: str | None,
        state: str,
        progress: float,
        message: str,
    ) -> None:
        db.execute(sql.INSERT_EVENT, (job_id, batch_id, state, progress, message, self._now_iso()))
