"""How one ``generate`` job runs: the pipeline's steps, split to store a remote id before waiting.

Local generators: prepare -> generator.generate -> finalize. Remote generators: prepare ->
(the job's stored remote id, or the service's record of our idempotency token, or a new submission)
-> store the remote id -> poll on a schedule adapted to the backend's typical latency -> collect ->
finalize. Outputs go to ``<outputs_dir>/<batch_id>/<job dir>/video.mp4`` with ``manifest.json``
and ``poster.jpg`` beside it: each attempt writes them into its own staging folder, which the
worker promotes into the job's folder only for the attempt the store still holds (see
:mod:`reelrag.jobs.staging`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from reelrag.errors import (
    BackendError,
    CancelledError,
    NotFoundError,
    ReelragError,
    RemoteFailedError,
)
from reelrag.generation.base import Generator, RemoteGenerator
from reelrag.jobs import staging
from reelrag.jobs.store import idempotency_token, remote_dead
from reelrag.settings import Settings
from reelrag.types import GeneratePayload, Job, SearchHit

log = logging.getLogger(__name__)


class JobRunner(Protocol):
    """Runs one job to a JSON-ready result; raises ReelragError subclasses on failure."""

    def __call__(self, job: Job, ctx: JobContext) -> dict[str, Any]: ...


@dataclass
class JobContext:
    """What a running job may do besides its work: report, store its remote id, wait, give up."""

    settings: Settings
    generator_for: Callable[[str], Generator]
    report: Callable[[float, str], None]
    store_remote: Callable[[str], bool]
    cancelled: threading.Event = field(default_factory=threading.Event)
    deadline: float = float("inf")  # time.monotonic() after which the job times out
    library: Callable[[], Any] = lambda: None
    remote_done: Callable[[], None] = lambda: None  # frees the backend's concurrency slot

    def check(self) -> None:
        """Raise when the job was cancelled (or its lease lost) or ran past its timeout."""
        if self.cancelled.is_set():
            raise CancelledError("the job was cancelled or taken over by another worker")
        if time.monotonic() > self.deadline:
            raise BackendError(
                f"the job ran longer than job_timeout_s={self.settings.job_timeout_s:g}s",
                hint="raise job_timeout_s or retry it with `reelrag jobs retry ID`",
            )

    def wait(self, seconds: float) -> None:
        """Sleep, waking early on cancellation; then :meth:`check`."""
        remaining = min(seconds, max(0.0, self.deadline - time.monotonic()))
        self.cancelled.wait(remaining)
        self.check()


def job_dir(settings: Settings, job: Job) -> Path:
    """The folder of one job's outputs: ``<outputs_dir>/<batch_id>/<output name or job id>``."""
    name = GeneratePayload.of(job).output or job.id
    return settings.outputs_dir / (job.batch_id or "single") / str(name)


def job_token(job: Job) -> str:
    """The idempotency token: from the job id and its token generation (``payload["retry"]``).

    The generation grows only when the job's remote attempt is known dead (it failed remotely):
    while an invocation may still run or finish, every retry reuses its token, so the provider
    answers with that invocation instead of starting (and billing) another one.
    """
    retry = GeneratePayload.of(job).retry
    return idempotency_token(job.id if not retry else f"{job.id}#retry{retry}")


def poll_delays(typical_latency_s: float, *, resuming: bool) -> Iterator[float]:
    """Waits between polls: first near the typical latency (at once when resuming after a
    restart), then twenty short steps of 1 % of it, then steps growing 1.5x up to a quarter of the
    latency (at most 30 s), so a job is noticed soon after it finishes without polling hot.

    >>> [round(d, 3) for d, _ in zip(poll_delays(10, resuming=False), range(23))][-4:]
    [0.1, 0.1, 0.15, 0.225]
    """
    yield 0.0 if resuming else 0.9 * typical_latency_s
    step = max(0.005, 0.01 * typical_latency_s)
    cap = max(step, min(30.0, 0.25 * typical_latency_s))
    for _ in range(20):
        yield step
    while True:
        step = min(cap, step * 1.5)
        yield step


def run_generate_job(job: Job, ctx: JobContext) -> dict[str, Any]:
    """The default :class:`JobRunner` for ``generate`` jobs, built on :mod:`reelrag.pipeline`."""
    from reelrag import pipeline  # imported late: it pulls imaging and video code

    started = time.perf_counter()
    payload = GeneratePayload.of(job)
    request, hit = payload.request, payload.hit
    if hit is None and payload.query and not (request.image or request.asset_id):
        hit = retrieve(payload.query, ctx)  # a skipped row, retried: search again
        request = request.replace(asset_id=hit.asset.id)
    generator = ctx.generator_for(request.backend or ctx.settings.generator)
    library = ctx.library() if request.asset_id else None
    prepared = pipeline.prepare(request, ctx.settings, library=library, generator=generator)
    if hit is not None:
        prepared.hit = hit
    final = job_dir(ctx.settings, job)
    paths = _paths(pipeline, ctx.settings, job)
    ctx.check()

    def render() -> Any:
        if isinstance(generator, RemoteGenerator):
            retry = len(prepared.qa_history)
            output = _run_remote(job, ctx, generator, prepared, paths.video, retry)
        else:
            output = generator.generate(prepared.resolved, prepared.image, paths.video, ctx.report)
        ctx.check()
        return output

    result = pipeline.render_checked(prepared, paths, render)
    log.info("job %s done in %.2fs", job.id, time.perf_counter() - started)
    return staging.seal(result.to_dict(), paths.video.parent, final)


def retrieve(query: str, ctx: JobContext) -> SearchHit:
    """The best good match for a row whose planning found none (NoMatchError skips it again)."""
    from reelrag.retrieval import best_matches

    return best_matches(ctx.library(), query, ctx.settings, limit=1)[0]


def _paths(pipeline: Any, settings: Settings, job: Job) -> Any:
    """The attempt's staging folder, emptied, and the other attempts' leftovers removed."""
    folder = staging.staging_dir(settings, job)
    staging.clear_stale(settings, job)
    staging.discard(folder)  # partial writes of this attempt's earlier run (a killed worker)
    folder.mkdir(parents=True, exist_ok=True)
    return pipeline.OutputPaths(
        video=folder / "video.mp4",
        manifest=folder / "manifest.json",
        poster=folder / "poster.jpg",
        fitted=folder / "fitted.png",
    )


def _run_remote(
    job: Job, ctx: JobContext, generator: RemoteGenerator, prepared: Any, out: Path, retry: int = 0
) -> Any:
    """Submit (or resume), wait and collect; a QA ``retry`` (1, 2, ...) is a new submission."""
    token = job_token(job)
    token = idempotency_token(f"{token}#qa{retry}") if retry else token  # a QA retry pays anew
    remote_id = None if retry else job.remote_id
    remote_id = remote_id or (generator.find(token) if token_may_be_used(job) else None)
    resuming = remote_id is not None
    if remote_id is None:
        remote_id = generator.submit(prepared.resolved, prepared.image, token)
    if remote_id != job.remote_id and not ctx.store_remote(remote_id):
        raise CancelledError("the job was cancelled or taken over before its remote id was stored")
    _wait_remote(ctx, generator, remote_id, resuming)
    ctx.remote_done()  # the provider's slot is free; collecting is local work
    return generator.collect(remote_id, out)


def token_may_be_used(job: Job) -> bool:
    """Whether a submission with the job's current token may already exist (so look it up first):
    a job claimed before (a crash, a lost lease, an unknown submit outcome) or retried by the user
    with its token kept; never right after its remote attempt died (the token is new then)."""
    if remote_dead(job.error):
        return False
    return job.attempts > 1 or bool(job.payload.get("reattach"))


def _wait_remote(
    ctx: JobContext, generator: RemoteGenerator, remote_id: str, resuming: bool
) -> None:
    latency = max(0.01, generator.capabilities.typical_latency_s)
    started, reported = time.monotonic(), -1
    for delay in poll_delays(latency, resuming=resuming):
        ctx.wait(delay)
        state, message = _poll(ctx, generator, remote_id, latency)
        if state == "succeeded":
            return
        if state == "failed":
            raise RemoteFailedError(
                f"the remote job {remote_id} failed: {message}",
                hint="check the prompt and image, then `reelrag jobs retry ID`",
            )
        fraction = min(0.95, (time.monotonic() - started) / latency)
        if int(fraction * 20) != reported:  # a store write per 5 %, not per poll
            reported = int(fraction * 20)
            ctx.report(fraction, message or "waiting")


def _poll(
    ctx: JobContext, generator: RemoteGenerator, remote_id: str, latency: float
) -> tuple[str, str]:
    """One status answer. A retryable error of the status call itself (throttling, a timeout)
    says nothing about the invocation, which may still finish: wait with exponential backoff and
    ask again (until the job's timeout) rather than fail the job and pay again on a retry. A
    :class:`RemoteFailedError` (the invocation died) is raised at once, and so is an unknown
    remote id (as dead: nothing more can come of it)."""
    base = min(1.0, max(0.02, 0.05 * latency))
    failures = 0
    while True:
        try:
            return generator.poll(remote_id)
        except RemoteFailedError:
            raise
        except NotFoundError as err:  # the service has no such job: it cannot finish any more
            raise RemoteFailedError(
                f"the remote job {remote_id} is unknown to the service: {err.message}",
                hint="`reelrag jobs retry ID` submits it again",
            ) from err
        except ReelragError as err:
            if not err.retryable:
                raise
            failures += 1
            delay = min(30.0, base * 2 ** (failures - 1))
            log.info("status of %s unavailable (%s); asking again in %.2fs", remote_id, err, delay)
            ctx.wait(delay)
