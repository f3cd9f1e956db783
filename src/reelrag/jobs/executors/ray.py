"""The Ray executor: jobs claimed by the worker (the driver) run in actors on a Ray cluster.

The job store stays the source of truth: the driver claims, heartbeats, stores remote ids and
finishes (fenced by attempt); actors only run. Each backend gets a pool of long-lived
:class:`~reelrag.jobs.executors.ray_actor.GenerationActor` placed by the generator's declared
:class:`~reelrag.generation.resources.Resources`: one actor per GPU for GPU generators (the model
loads once per GPU), one per CPU for CPU generators, and one threaded actor for I/O-bound remote
backends with as many slots as the backend's cap. An actor that dies (killed, node lost) fails
only its own jobs, with a retryable error, so the worker retries them on a fresh actor.
Outputs are written by the actors into their attempt's staging folder and promoted into the
job's folder by the driver only for the attempt the store still holds (a zombie actor's files
never land: :mod:`reelrag.jobs.staging`), so ``workspace`` (or ``store``) must be storage every
node mounts. Ray is imported here only (extra ``reelrag[ray]``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reelrag.errors import BackendError, CancelledError, RetryableBackendError
from reelrag.generation.resources import Resources, resources_for
from reelrag.jobs.runner import JobContext
from reelrag.jobs.store import job_backend
from reelrag.plugins import registry
from reelrag.raycluster import connect
from reelrag.settings import Settings
from reelrag.types import Job

WAIT_S = 0.1  # how often the driver checks a running job for cancellation and timeout
STOP_GRACE_S = 10.0  # how long a cancelled job's actor gets to stop before its slot is reused


@dataclass
class _Entry:
    handle: Any
    busy: int = 0


class ActorPool:
    """Up to ``size`` actors of one backend with ``slots`` jobs each, created on first use."""

    def __init__(self, make: Callable[[], Any], size: int, slots: int, kill: Callable[[Any], None]):
        self.size, self.slots = size, slots
        self._make, self._kill = make, kill
        self._entries: list[_Entry] = []
        self._cond = threading.Condition()

    @property
    def capacity(self) -> int:
        return self.size * self.slots

    @property
    def actors(self) -> list[Any]:
        with self._cond:
            return [e.handle for e in self._entries]

    def acquire(self, ctx: JobContext) -> Any:
        """An actor with a free slot (new ones up to ``size``); waits, checking ``ctx``."""
        with self._cond:
            while True:
                free = next((e for e in self._entries if e.busy < self.slots), None)
                if free is None and len(self._entries) < self.size:
                    free = _Entry(self._make())
                    self._entries.append(free)
                if free is not None:
                    free.busy += 1
                    return free.handle
                self._cond.wait(WAIT_S)
                ctx.check()

    def release(self, handle: Any, *, dead: bool) -> None:
        """Give the slot back; a dead actor leaves the pool (a new one replaces it on demand)."""
        with self._cond:
            entry = next((e for e in self._entries if e.handle == handle), None)
            if entry is not None and dead:
                self._entries.remove(entry)
                self._kill(handle)
            elif entry is not None:
                entry.busy -= 1
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            for entry in self._entries:
                self._kill(entry.handle)
            self._entries.clear()


class RayExecutor:
    """Runs claimed jobs on a Ray cluster (see the module docstring)."""

    name = "ray"

    def __init__(self, settings: Settings, *, address: str = ""):
        self.settings = settings
        self.ray = connect(address)
        self._pools: dict[str, ActorPool] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> RayExecutor:
        return cls(settings, address=settings.ray_address)

    def capacity(self, backend: str) -> int:
        return self.pool(backend or self.settings.generator).capacity

    def pool(self, backend: str) -> ActorPool:
        """The actor pool of ``backend`` (sized from its resources and the cluster's)."""
        with self._lock:
            if backend not in self._pools:
                self._pools[backend] = self._new_pool(backend)
            return self._pools[backend]

    def close(self) -> None:
        with self._lock:
            for pool in self._pools.values():
                pool.close()
            self._pools.clear()

    def run(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        pool = self.pool(job_backend(job) or ctx.settings.generator)
        actor = pool.acquire(ctx)
        dead = False
        try:
            return self._follow(actor.run.remote(job.to_dict()), actor, job, ctx)
        except self.ray.exceptions.RayTaskError as err:  # the job itself raised
            raise _cause(err) from None
        except self.ray.exceptions.RayError as err:  # the actor or its node is gone
            dead = True
            raise RetryableBackendError(
                f"Ray lost the actor running job {job.id} ({type(err).__name__})",
                hint="the job is retried on another actor",
            ) from err
        finally:
            pool.release(actor, dead=dead)

    # -- helpers --------------------------------------------------------------------------

    def _new_pool(self, backend: str) -> ActorPool:
        from reelrag.jobs.executors.ray_actor import GenerationActor

        cls = registry.get("generator", backend)
        res = resources_for(backend, cls)
        size, slots = self._sizing(backend, res, cls)
        options = {**res.ray_options(), "max_concurrency": slots + 2, "max_restarts": 0}
        remote = self.ray.remote(GenerationActor).options(**options)
        return ActorPool(
            lambda: remote.remote(self.settings, backend, cls),
            size,
            slots,
            lambda handle: self.ray.kill(handle, no_restart=True),
        )

    def _sizing(self, backend: str, res: Resources, cls: Any) -> tuple[int, int]:
        """(actors, slots per actor): I/O backends share one actor up to their cap; others get
        one single-slot actor per unit of their scarcest resource."""
        if res.io:
            limit = (
                self.settings.backend_cap_limits.get(backend)
                or self.settings.backend_limits.get(backend)
                or int(getattr(cls, "max_concurrency", 0) or 0)
                or self.settings.concurrency
            )
            return 1, max(1, limit)
        total = self.ray.cluster_resources()
        needs = {"GPU": res.gpus, "CPU": res.cpus, **dict(res.custom)}
        fits = [int(total.get(name, 0) // amount) for name, amount in needs.items() if amount]
        size = min(fits) if fits else self.settings.concurrency
        return max(1, size), 1

    def _follow(self, stream: Any, actor: Any, job: Job, ctx: JobContext) -> dict[str, Any]:
        """Record the actor's events for ``job`` until its result; stop it when the job is
        cancelled, taken over or past its timeout."""
        while True:
            ready, _ = self.ray.wait([stream], timeout=WAIT_S)
            if not ready:
                if ctx.cancelled.is_set() or time.monotonic() > ctx.deadline:
                    self._stop(stream, actor, job.id)
                    ctx.check()
                continue
            try:
                kind, value = self.ray.get(next(stream))
            except StopIteration:
                raise BackendError(f"the actor ended job {job.id} without a result") from None
            if kind == "result":
                return dict(value)
            if kind == "progress":
                ctx.report(*value)
            elif kind == "remote_done":
                ctx.remote_done()
            elif kind == "remote" and not ctx.store_remote(value):
                self._stop(stream, actor, job.id)
                raise CancelledError("the job was cancelled or taken over after its submission")

    def _stop(self, stream: Any, actor: Any, job_id: str) -> None:
        """Ask the actor to stop ``job_id`` and wait (bounded) until its stream ends."""
        actor.cancel.remote(job_id)
        deadline = time.monotonic() + STOP_GRACE_S
        try:
            while time.monotonic() < deadline:
                ready, _ = self.ray.wait([stream], timeout=WAIT_S)
                if ready:
                    self.ray.get(next(stream))
        except (StopIteration, self.ray.exceptions.RayError):
            return


def _cause(err: Any) -> BaseException:
    """The exception a job raised inside an actor (ReelragErrors keep their type and hint)."""
    cause = getattr(err, "cause", None)
    return cause if isinstance(cause, BaseException) else err
