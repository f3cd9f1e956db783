"""The SQL side of :class:`reelrag.jobs.postgres.PostgresJobStore`: schema and statement text.

Times come from the database clock (``now()``, the transaction's start), never from a worker's,
so leases mean the same thing on every machine. ``%(now)s`` is NULL in production; tests pass an
epoch to drive the clock. Filters are static SQL with NULL-able array parameters, so every
statement text is fixed and prepared once per connection.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reelrag.types import Job

NOW = "COALESCE(to_timestamp(%(now)s::float8), now())"

SCHEMA = """
CREATE TABLE IF NOT EXISTS reelrag_jobs (
    id TEXT PRIMARY KEY,
    ord BIGSERIAL NOT NULL,
    kind TEXT NOT NULL,
    batch_id TEXT,
    backend TEXT NOT NULL DEFAULT '',
    payload JSONB NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    progress DOUBLE PRECISION NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    error JSONB,
    remote_id TEXT,
    result JSONB,
    lease_owner TEXT,
    lease_until TIMESTAMPTZ,
    not_before TIMESTAMPTZ NOT NULL DEFAULT to_timestamp(0),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS reelrag_jobs_state ON reelrag_jobs (state, ord);
CREATE INDEX IF NOT EXISTS reelrag_jobs_batch ON reelrag_jobs (batch_id, ord);
CREATE INDEX IF NOT EXISTS reelrag_jobs_running ON reelrag_jobs (backend) WHERE state = 'running';
CREATE TABLE IF NOT EXISTS reelrag_job_events (
    seq BIGSERIAL PRIMARY KEY,
    job_id TEXT NOT NULL,
    batch_id TEXT,
    state TEXT NOT NULL,
    progress DOUBLE PRECISION NOT NULL,
    message TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS reelrag_job_events_batch ON reelrag_job_events (batch_id, seq);
"""

# Event numbers are drawn at INSERT but seen at COMMIT: writers take turns until they commit.
EVENT_ORDER_LOCK = "SELECT pg_advisory_xact_lock(hashtext('reelrag-job-events'))"

# Two workers starting at once must not race on CREATE TABLE IF NOT EXISTS.
SCHEMA_LOCK = "SELECT pg_advisory_xact_lock(hashtext('reelrag-jobs-schema'))"

INSERT_JOB = f"""
INSERT INTO reelrag_jobs (id, kind, batch_id, backend, payload, state, attempts, progress,
    message, error, remote_id, result, created_at, updated_at)
VALUES (%(id)s, %(kind)s, %(batch_id)s, %(backend)s, %(payload)s, %(state)s, %(attempts)s,
    %(progress)s, %(message)s, %(error)s, %(remote_id)s, %(result)s,
    COALESCE(%(created_at)s::timestamptz, {NOW}), {NOW})
ON CONFLICT (id) DO NOTHING RETURNING id
"""

# ``seq`` comes from a sequence at insert time, so two transactions may commit out of seq order
# and a follower's cursor can skip an event: events drive progress displays only; job states are
# always read from reelrag_jobs.
INSERT_EVENT = f"""
INSERT INTO reelrag_job_events (job_id, batch_id, state, progress, message, at)
VALUES (%(job_id)s, %(batch_id)s, %(state)s, %(progress)s, %(message)s, {NOW})
"""

SELECT_JOB = "SELECT * FROM reelrag_jobs WHERE id = %(id)s"

# SKIP LOCKED: a row another worker is claiming right now is passed over, not waited on.
CLAIMABLE = f"""
SELECT id, state, backend FROM reelrag_jobs
WHERE ((state = 'queued' AND not_before <= {NOW})
       OR (state = 'running' AND lease_until < {NOW}))
  AND (%(kinds)s::text[] IS NULL OR kind = ANY(%(kinds)s::text[]))
  AND (%(backends)s::text[] IS NULL OR backend = ANY(%(backends)s::text[]))
  AND NOT (backend = ANY(%(excluded)s::text[]))
  AND (%(batch_id)s::text IS NULL OR batch_id = %(batch_id)s::text)
ORDER BY ord LIMIT 1
FOR UPDATE SKIP LOCKED
"""

# Claims of one capped backend queue on this lock until the claimer before them commits, so the
# count below always sees their running jobs: the cap holds across every worker.
CAP_LOCK = "SELECT pg_advisory_xact_lock(hashtext('reelrag-cap:' || %(backend)s))"

RUNNING = f"""
SELECT COUNT(*) AS n FROM reelrag_jobs
WHERE backend = %(backend)s AND state = 'running' AND lease_until >= {NOW} AND id <> %(id)s
"""

CLAIM_JOB = f"""
UPDATE reelrag_jobs SET state = 'running', lease_owner = %(worker)s,
    lease_until = {NOW} + make_interval(secs => %(lease_s)s), attempts = attempts + 1,
    message = %(note)s, updated_at = {NOW}
WHERE id = %(id)s RETURNING *
"""

# Fencing: the update applies only while the worker holds the lease (and, when given, only to
# the attempt that produced the result).
OWNED_UPDATE = (
    "UPDATE reelrag_jobs SET {sets}, updated_at = " + NOW + " WHERE id = %(id)s "
    "AND state = 'running' AND lease_owner = %(worker)s "
    "AND (%(attempt)s::int IS NULL OR attempts = %(attempt)s::int) "
    "RETURNING batch_id, state, progress"
)

HEARTBEAT_SETS = "lease_until = " + NOW + " + make_interval(secs => %(lease_s)s)"
REMOTE_SETS = "remote_id = %(remote_id)s, message = %(message)s"
PROGRESS_SETS = "progress = %(progress)s, message = %(message)s"
FINISH_SETS = (
    "state = %(state)s, result = %(result)s, error = %(error)s, message = %(message)s, "
    "lease_owner = NULL, lease_until = NULL, progress = COALESCE(%(progress)s, progress)"
)
RELEASE_SETS = (
    "state = 'queued', not_before = " + NOW + " + make_interval(secs => %(delay_s)s), "
    "error = %(error)s, message = %(message)s, lease_owner = NULL, lease_until = NULL"
)

CANCEL_JOB = f"""
UPDATE reelrag_jobs SET state = 'cancelled', message = 'cancelled by user', lease_owner = NULL,
    lease_until = NULL, updated_at = {NOW}
WHERE id = %(id)s
"""

# A retried job gets a new idempotency generation so it never reattaches to the failed run.
RETRY_JOB = f"""
UPDATE reelrag_jobs SET state = 'queued', attempts = 0, progress = 0, error = NULL,
    remote_id = NULL, result = NULL, not_before = to_timestamp(0), message = 'queued again',
    updated_at = {NOW},
    payload = jsonb_set(payload, '{{retry}}',
                        to_jsonb(COALESCE((payload->>'retry')::int, 0) + 1))
WHERE id = %(id)s
"""

LIST = """
SELECT * FROM reelrag_jobs
WHERE (%(batch_id)s::text IS NULL OR batch_id = %(batch_id)s::text)
  AND (%(states)s::text[] IS NULL OR state = ANY(%(states)s::text[]))
ORDER BY ord LIMIT %(limit)s
"""

COUNTS = """
SELECT state, COUNT(*) AS n FROM reelrag_jobs
WHERE (%(batch_id)s::text IS NULL OR batch_id = %(batch_id)s::text) GROUP BY state
"""

EVENTS = """
SELECT seq, job_id, batch_id, state, progress, message, at FROM reelrag_job_events
WHERE seq > %(since)s AND (%(batch_id)s::text IS NULL OR batch_id = %(batch_id)s::text)
ORDER BY seq LIMIT %(limit)s
"""

NEXT_DUE = f"""
SELECT EXTRACT(EPOCH FROM GREATEST(
    MIN(CASE WHEN state = 'queued' THEN not_before ELSE lease_until END), {NOW}) - {NOW}) AS due
FROM reelrag_jobs
WHERE state IN ('queued', 'running')
  AND (%(batch_id)s::text IS NULL OR batch_id = %(batch_id)s::text)
HAVING COUNT(*) > 0
"""


def iso(value: datetime | None) -> str:
    """A database timestamp in the format the SQLite store uses for ``created_at``."""
    if value is None:
        return ""
    return value.astimezone(UTC).isoformat(timespec="milliseconds")


def row_job(row: dict[str, Any]) -> Job:
    """The :class:`Job` stored in ``row`` (JSONB columns arrive decoded)."""
    return Job(
        id=row["id"],
        kind=row["kind"],
        payload=row["payload"],
        state=row["state"],
        batch_id=row["batch_id"],
        attempts=row["attempts"],
        progress=row["progress"],
        message=row["message"],
        error=row["error"],
        remote_id=row["remote_id"],
        result=row["result"],
        created_at=iso(row["created_at"]),
        updated_at=iso(row["updated_at"]),
    )
