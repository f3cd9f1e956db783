"""The actor that hosts one generator on a Ray cluster (see :mod:`reelrag.jobs.executors.ray`).

The generator is created once, in the actor's constructor, and kept: a diffusers pipeline loads
once per GPU, not once per job. :meth:`GenerationActor.run` runs one job with the ordinary
:func:`run_generate_job` on a thread and streams what the driver must record, in order:
``("progress", (fraction, message))``, ``("remote", remote_id)`` as soon as a paid remote job is
submitted, ``("remote_done", None)``, then ``("result", dict)``. The actor never touches the job
store: the driver records, and fences, everything.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

from reelrag.generation.base import Generator
from reelrag.jobs.runner import JobContext, run_generate_job
from reelrag.plugins import registry
from reelrag.settings import Settings
from reelrag.types import Job

Event = tuple[str, Any]


class GenerationActor:
    """One generator instance (``cls.from_settings(settings)``) serving jobs of ``backend``."""

    def __init__(self, settings: Settings, backend: str, cls: Any):
        self.settings = settings
        self.backend = backend
        self.generator: Generator = cls.from_settings(settings)
        self._others: dict[str, Generator] = {}
        self._cancels: dict[str, threading.Event] = {}
        self._library: Any = None
        self._lock = threading.Lock()

    def info(self) -> dict[str, Any]:
        """Where this actor lives: process, GPUs Ray gave it, and the generator's identity."""
        return {
            "pid": os.getpid(),
            "gpu": os.environ.get("CUDA_VISIBLE_DEVICES", ""),
            "generator": id(self.generator),
        }

    def cancel(self, job_id: str) -> None:
        """Stop ``job_id`` at its next check (the driver lost the job or it was cancelled)."""
        with self._lock:
            event = self._cancels.get(job_id)
        if event is not None:
            event.set()

    def run(self, job_data: dict[str, Any]) -> Iterator[Event]:
        """Run one job, yielding the events the driver records (see the module docstring)."""
        job = Job.from_dict(job_data)
        events: queue.Queue[Event] = queue.Queue()
        cancel = threading.Event()
        with self._lock:
            self._cancels[job.id] = cancel
        ctx = self._context(events, cancel)
        threading.Thread(target=_work, args=(job, ctx, events), daemon=True).start()
        try:
            while True:
                kind, value = events.get()
                if kind == "error":
                    raise value
                yield kind, value
                if kind == "result":
                    return
        finally:
            with self._lock:
                self._cancels.pop(job.id, None)

    def _context(self, events: queue.Queue[Event], cancel: threading.Event) -> JobContext:
        def store_remote(remote_id: str) -> bool:
            events.put(("remote", remote_id))
            return True

        def report(fraction: float, message: str) -> None:
            events.put(("progress", (fraction, message)))
            # A cancelled job stops at its next progress report (a diffusion step), so the GPU
            # is free for the next job instead of finishing a render nobody will keep.
            ctx.check()

        ctx = JobContext(
            settings=self.settings,
            generator_for=self._generator,
            report=report,
            store_remote=store_remote,
            cancelled=cancel,
            deadline=time.monotonic() + self.settings.job_timeout_s,
            library=self._open_library,
            remote_done=lambda: events.put(("remote_done", None)),
        )
        return ctx

    def _generator(self, name: str) -> Generator:
        if name == self.backend:
            return self.generator
        with self._lock:
            if name not in self._others:
                self._others[name] = registry.create("generator", name, self.settings)
            return self._others[name]

    def _open_library(self) -> Any:
        with self._lock:
            if self._library is None:
                from reelrag.library import Library  # the library must be on shared storage

                self._library = Library(self.settings)
            return self._library


def _work(job: Job, ctx: JobContext, events: queue.Queue[Event]) -> None:
    try:
        events.put(("result", run_generate_job(job, ctx)))
    except BaseException as err:  # handed to the driver, which decides retry or failure
        events.put(("error", err))
