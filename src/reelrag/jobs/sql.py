"""The SQL side of :class:`reelrag.jobs.sqlite_store.SQLiteJobStore`: the schema, the statement
text, the query builders for filtered reads and claims, and the row <-> :class:`Job` conversion.

Nothing here touches a connection; the store owns connections, locks and transactions.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from reelrag.errors import InputError
from reelrag.types import JOB_STATES, Job

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    ord INTEGER NOT NULL,
    kind TEXT NOT NULL,
    batch_id TEXT,
    backend TEXT NOT NULL DEFAULT '',
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    progress REAL NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    error TEXT,
    remote_id TEXT,
    result TEXT,
    lease_owner TEXT,
    lease_until REAL,
    not_before REAL NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, ord);
CREATE INDEX IF NOT EXISTS jobs_batch ON jobs (batch_id, ord);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL,
    batch_id TEXT,
    state TEXT NOT NULL,
    progress REAL NOT NULL,
    message TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_batch ON events (batch_id, seq);
"""

MAX_ORD = "SELECT COALESCE(MAX(rowid), 0) FROM jobs"

INSERT_JOB = (
    "INSERT OR IGNORE INTO jobs (id, ord, kind, batch_id, backend, payload, state, attempts, "
    "progress, message, error, remote_id, result, created_at, updated_at) "
    "VALUES (:id, :ord, :kind, :batch_id, :backend, :payload, :state, :attempts, :progress, "
    ":message, :error, :remote_id, :result, :created_at, :updated_at)"
)

INSERT_EVENT = (
    "INSERT INTO events (job_id, batch_id, state, progress, message, at) VALUES (?, ?, ?, ?, ?, ?)"
)

SELECT_JOB = "SELECT * FROM jobs WHERE id=?"

CLAIM_JOB = (
    "UPDATE jobs SET state='running', lease_owner=?, lease_until=?, "
    "attempts=attempts+1, message=?, updated_at=? WHERE id=?"
)

# Fencing: the update applies only while the worker still holds the job's lease.
OWNED_UPDATE = (
    "UPDATE jobs SET {sets}, updated_at=? WHERE id=? AND state='running' AND lease_owner=?"
)

# Jobs of a backend holding a live lease (the account-wide cap counts these).
RUNNING = "SELECT COUNT(*) FROM jobs WHERE backend=? AND state='running' AND lease_until>=?"

CANCEL_JOB = (
    "UPDATE jobs SET state='cancelled', message='cancelled by user', lease_owner=NULL, "
    "lease_until=NULL, updated_at=? WHERE id=?"
)

# A new idempotency generation (token) and no remote id: the remote attempt is known dead, so
# the next attempt must not reattach to it.
NEW_TOKEN = (
    "remote_id=NULL, payload=json_set(payload, '$.retry', "
    "COALESCE(json_extract(payload, '$.retry'), 0) + 1)"
)
# The same token and remote id: the remote attempt may still run or finish, so the next attempt
# polls it (or looks the token up) instead of paying for another.
KEEP_TOKEN = "payload=json_set(payload, '$.reattach', 1)"

RETRY_JOB = (
    "UPDATE jobs SET state='queued', attempts=0, progress=0, error=NULL, "
    "result=NULL, not_before=0, message='queued again', updated_at=?, {token} "
    "WHERE id=?"
)

FINISH_SETS = (
    "state=?, result=?, error=?, message=?, lease_owner=NULL, lease_until=NULL"
    ", progress=COALESCE(?, progress)"
)

RELEASE_SETS = (
    "state='queued', not_before=?, error=?, message=?, lease_owner=NULL, lease_until=NULL"
)


def claim_query(
    now: float,
    kinds: Collection[str] | None,
    backends: Collection[str] | None,
    exclude_backends: Collection[str],
    batch_id: str | None,
) -> tuple[str, list[Any]]:
    """The SELECT for the oldest claimable job (queued and due, or running with an expired
    lease) matching the worker's filters, and its parameters."""
    clauses = ["((state='queued' AND not_before<=?) OR (state='running' AND lease_until<?))"]
    params: list[Any] = [now, now]
    for column, values, op in (
        ("kind", kinds, "IN"),
        ("backend", backends, "IN"),
        ("backend", exclude_backends or None, "NOT IN"),
    ):
        if values is not None:
            values = list(values)
            clauses.append(f"{column} {op} ({','.join('?' * len(values))})")
            params.extend(values)
    if batch_id is not None:
        clauses.append("batch_id=?")
        params.append(batch_id)
    return (
        f"SELECT id, state, backend FROM jobs WHERE {' AND '.join(clauses)} ORDER BY ord LIMIT 1",
        params,
    )


def list_query(
    batch_id: str | None, states: Collection[str] | None, limit: int | None
) -> tuple[str, list[Any]]:
    """The SELECT for jobs in creation order, optionally filtered, and its parameters."""
    clauses, params = ["1=1"], []
    if batch_id is not None:
        clauses.append("batch_id=?")
        params.append(batch_id)
    if states:
        clauses.append(f"state IN ({','.join('?' * len(states))})")
        params.extend(states)
    sql = f"SELECT * FROM jobs WHERE {' AND '.join(clauses)} ORDER BY ord"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return sql, params


def counts_query(batch_id: str | None) -> tuple[str, tuple[Any, ...]]:
    """The SELECT for the number of jobs per state."""
    if batch_id is None:
        return "SELECT state, COUNT(*) FROM jobs GROUP BY state", ()
    return "SELECT state, COUNT(*) FROM jobs WHERE batch_id=? GROUP BY state", (batch_id,)


def events_query(since: int, batch_id: str | None, limit: int) -> tuple[str, list[Any]]:
    """The SELECT for events after ``since``, oldest first."""
    sql = "SELECT * FROM events WHERE seq > ?"
    params: list[Any] = [since]
    if batch_id is not None:
        sql += " AND batch_id = ?"
        params.append(batch_id)
    return sql + f" ORDER BY seq LIMIT {int(limit)}", params


def next_due_query(batch_id: str | None) -> tuple[str, tuple[Any, ...]]:
    """The SELECT for the earliest time an active job becomes claimable."""
    sql = (
        "SELECT MIN(CASE WHEN state='queued' THEN not_before ELSE lease_until END) "
        "FROM jobs WHERE state IN ('queued', 'running')"
    )
    if batch_id is None:
        return sql, ()
    return sql + " AND batch_id=?", (batch_id,)


def leases_query(batch_id: str | None) -> tuple[str, tuple[Any, ...]]:
    """The SELECT for (id, lease_owner, lease_until) of running jobs."""
    sql = "SELECT id, lease_owner, lease_until FROM jobs WHERE state='running'"
    if batch_id is None:
        return sql + " ORDER BY ord", ()
    return sql + " AND batch_id=? ORDER BY ord", (batch_id,)


def job_row(job: Job, backend: str, now: str, ord_: int) -> dict[str, Any]:
    """The named parameters of :data:`INSERT_JOB` for ``job``."""
    return {
        "id": job.id,
        "ord": ord_,
        "kind": job.kind,
        "batch_id": job.batch_id,
        "backend": backend,
        "payload": json.dumps(job.payload, sort_keys=True),
        "state": job.state,
        "attempts": job.attempts,
        "progress": job.progress,
        "message": job.message,
        "error": dump(job.error),
        "remote_id": job.remote_id,
        "result": dump(job.result),
        "created_at": job.created_at or now,
        "updated_at": now,
    }


def row_job(row: sqlite3.Row) -> Job:
    """The :class:`Job` stored in ``row``."""
    return Job(
        id=row["id"],
        kind=row["kind"],
        payload=json.loads(row["payload"]),
        state=row["state"],
        batch_id=row["batch_id"],
        attempts=row["attempts"],
        progress=row["progress"],
        message=row["message"],
        error=load(row["error"]),
        remote_id=row["remote_id"],
        result=load(row["result"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def check_state(state: str) -> None:
    """Refuse a job state the schema does not know."""
    if state not in JOB_STATES:
        raise InputError(f"unknown job state {state!r}", hint=f"use one of {', '.join(JOB_STATES)}")


def dump(value: dict[str, Any] | None) -> str | None:
    """A JSON column value (NULL for None)."""
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


def load(text: str | None) -> dict[str, Any] | None:
    """The dict stored in a JSON column (None for NULL)."""
    return None if text is None else json.loads(text)


def iso(ts: float) -> str:
    """A UTC timestamp as stored in ``created_at``/``updated_at``/``at``."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")
