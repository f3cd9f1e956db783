"""API: jobs (list, show, cancel, retry) and their live progress as server-sent events.

``GET /api/events`` streams the job store's event log (the same one ``reelrag jobs wait``
follows), so jobs queued from the CLI show up live in the browser too.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from reelrag.jobs import ACTIVE_STATES, JobStore
from reelrag.server.api_outputs import file_url, served_roots
from reelrag.server.security import BadRequestError
from reelrag.server.state import ServerState, get_state
from reelrag.types import JOB_STATES, Job

router = APIRouter(tags=["jobs"])
State = Annotated[ServerState, Depends(get_state)]
JobId = Annotated[str, Query(min_length=1, max_length=200)]
POLL_S = 0.25
STATE_PATTERN = "^(" + "|".join(JOB_STATES) + ")$"
KEEPALIVE_S = 15.0


def job_view(job: Job, state: ServerState) -> dict[str, Any]:
    """A job plus the URLs of its outputs."""
    result, roots = job.result or {}, served_roots(state)
    links = {k: file_url(result.get(k), roots) for k in ("video", "poster", "manifest")}
    return {**job.to_dict(), "links": {k: v for k, v in links.items() if v}}


@router.get("/jobs")
def list_jobs(
    state: State,
    batch_id: Annotated[str | None, Query(max_length=200)] = None,
    job_state: Annotated[
        str | None, Query(alias="state", pattern="^(" + "|".join(JOB_STATES) + ")$")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> dict[str, Any]:
    """Jobs, newest first, with per-state counts."""
    jobs = state.store.list(batch_id=batch_id, states=[job_state] if job_state else None)
    return {"jobs": [job_view(j, state) for j in reversed(jobs)][:limit],
            "counts": state.store.counts(batch_id=batch_id)}  # fmt: skip


@router.get("/jobs/{job_id}")
def get_job(job_id: str, state: State) -> dict[str, Any]:
    """One job with its events."""
    job = state.store.get(job_id)
    events = state.store.events(batch_id=job.batch_id, limit=100_000)
    return {**job_view(job, state), "events": [e.to_dict() for e in events if e.job_id == job.id]}


@router.post("/jobs/{job_id}/cancel")
def cancel_job(job_id: str, state: State) -> dict[str, Any]:
    """Cancel a queued or running job."""
    return job_view(state.store.cancel(job_id), state)


@router.post("/jobs/{job_id}/retry")
def retry_job(job_id: str, state: State) -> dict[str, Any]:
    """Queue a failed, cancelled or skipped job again."""
    return job_view(state.store.retry(job_id), state)


@router.get("/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})  # fmt: skip
async def events(
    request: Request,
    state: State,
    since: Annotated[int | None, Query(ge=0, le=2**62, description="default: from now")] = None,
    batch_id: Annotated[str | None, Query(max_length=200)] = None,
    until_idle: Annotated[bool, Query(description="end once no job in scope is active")] = False,
    timeout_s: Annotated[float, Query(gt=0, le=86_400)] = 3600.0,
) -> StreamingResponse:
    """Server-sent events: one ``job`` event per state change or progress report (``id`` is the
    cursor to resume from with ``since`` or Last-Event-ID)."""
    last = _last_event_id(request.headers.get("last-event-id", ""))
    cursor = since if last is None else last
    if cursor is None:
        cursor = await asyncio.to_thread(latest_seq, state.store)
    stream = _stream(request, state, cursor, batch_id, until_idle, timeout_s)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)


async def _stream(
    request: Request, state: ServerState, cursor: int, batch_id: str | None,
    until_idle: bool, timeout_s: float,
) -> AsyncIterator[str]:  # fmt: skip
    started = last_sent = time.monotonic()
    yield "retry: 2000\n\n"
    while time.monotonic() - started < timeout_s and not await request.is_disconnected():
        # Idle is judged before reading events, so a job that finishes in between still has
        # its last events sent before "idle".
        idle = until_idle and not await asyncio.to_thread(_active, state, batch_id)
        for event in await asyncio.to_thread(state.store.events, cursor, batch_id=batch_id):
            cursor = event.seq
            last_sent = time.monotonic()
            yield f"id: {event.seq}\nevent: job\ndata: {json.dumps(event.to_dict())}\n\n"
        if idle:
            yield "event: idle\ndata: {}\n\n"
            return
        if time.monotonic() - last_sent > KEEPALIVE_S:
            last_sent = time.monotonic()
            yield ": keep-alive\n\n"
        await asyncio.sleep(POLL_S)


def _last_event_id(header: str) -> int | None:
    """The Last-Event-ID header as a cursor: ASCII digits only (``str.isdigit`` accepts '²')."""
    text = header.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise BadRequestError(
            f"Last-Event-ID {header[:40]!r} is not an event number", hint="send the id of an event"
        )
    return int(text)


def _active(state: ServerState, batch_id: str | None) -> bool:
    counts = state.store.counts(batch_id=batch_id)
    return any(counts[s] for s in ACTIVE_STATES)


def latest_seq(store: JobStore) -> int:
    """The newest event's number (0 when none): where a stream "from now" starts."""
    cursor = 0
    while page := store.events(cursor, limit=10_000):
        cursor = page[-1].seq
    return cursor
