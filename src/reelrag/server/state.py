"""What one running server holds: its settings, token, job store, library and job workers.

Created once by :func:`reelrag.server.app.create_app`; routers reach it through
:func:`get_state`. The workers are :class:`reelrag.jobs.Worker` threads on the same SQLite job
store the CLI uses, so ``reelrag jobs list`` in a terminal sees the server's jobs and the server
runs jobs queued from the CLI.
"""

from __future__ import annotations

import gc
import logging
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from reelrag.jobs import JobStore, Worker, open_job_store
from reelrag.library import Library
from reelrag.settings import Settings

log = logging.getLogger(__name__)

WORKER_POLL_S = 0.25  # how soon a job submitted through the API starts


@dataclass
class ServerState:
    """Shared, thread-safe handles for request handlers."""

    settings: Settings
    token: str | None
    store: JobStore
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    _library: Library | None = None
    _facets: tuple[tuple[int, int], dict[str, list[str]]] | None = None
    search_limiter: Any = None  # anyio.CapacityLimiter for searches, made in the event loop
    freeze_gc: bool = False  # see settle(): the process is the server's own (``reelrag serve``)
    _settled: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    @classmethod
    def open(cls, settings: Settings, token: str | None) -> ServerState:
        settings.workspace.mkdir(parents=True, exist_ok=True)
        return cls(settings=settings, token=token, store=open_job_store(settings))

    def library(self) -> Library:
        """The workspace's library, opened on first use and shared by every request."""
        with self._lock:
            if self._library is None:
                self._library = Library(self.settings)
            return self._library

    def settle(self) -> None:
        """Once, after the first search has loaded the model and the index: move every object
        the process holds so far out of the cyclic garbage collector's sight (``gc.freeze``),
        when ``freeze_gc`` says the process is the server's own.

        A full collection otherwise walks those ~200k long-lived objects every few seconds
        under load, a pause of 60-120 ms on 2 busy cores that every request in flight waits
        out; afterwards it walks only what was made since.
        """
        if self.freeze_gc and not self._settled:
            self._settled = True
            gc.freeze()
            log.debug("froze %d objects out of the garbage collector", gc.get_freeze_count())

    def facets(self) -> dict[str, list[str]]:
        """The library's folder and tag facets, cached while the catalog is unchanged (they
        cost a scan of every asset's folder and tag per listing)."""
        library = self.library()
        version = library.catalog.version()
        cached = self._facets
        if cached is None or cached[0] != version:
            cached = self._facets = (version, library.facets())
        return cached[1]

    def start_workers(self) -> None:
        """Run a job worker thread (its own per-backend concurrency applies inside it)."""
        if self._threads:
            return
        from reelrag.reel.job import RUNNERS  # reels' compose jobs run here too

        worker = Worker(self.store, self.settings, library=self.library(), runners=dict(RUNNERS))
        thread = threading.Thread(
            target=self._run_worker, args=(worker,), name="reelrag-worker", daemon=True
        )
        thread.start()
        self._threads.append(thread)

    def _run_worker(self, worker: Worker) -> None:
        try:
            worker.run(until_idle=False, stop=self._stop, idle_poll_s=WORKER_POLL_S)
        except Exception:  # a crashed worker must show in the log, not vanish silently
            log.exception("the job worker stopped")

    def close(self) -> None:
        """Stop the workers (running jobs go back to the queue) and release handles."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()
        if self._library is not None:
            self._library.close()


def get_state(request: Request) -> ServerState:
    """FastAPI dependency: the server's :class:`ServerState`."""
    state: ServerState = request.app.state.reelrag
    return state
