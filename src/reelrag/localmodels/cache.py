"""A process-wide cache of loaded local models, one per slot.

Loading a video pipeline takes tens of seconds and most of a GPU's memory; reloading it for every
clip of a batch is the main waste users report. :data:`MODELS` keeps the last model loaded in
each *slot* (``"diffusion"`` for video and in-painting pipelines, ``"caption"``, ``"embed"``):
the next use with the same key gets it back at once; a use with another key frees the old model
first (two large pipelines rarely fit together); a model unused for ``idle_s`` seconds is freed
by a timer. Use is exclusive per slot -- diffusers pipelines keep per-call state (scheduler
timesteps), so two threads must not run one pipeline at the same time.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    key: Hashable | None = None
    value: Any = None
    last_used: float = 0.0
    timer: threading.Timer | None = None
    loads: int = 0
    hits: int = 0


@dataclass(frozen=True)
class Use:
    """What :meth:`ModelCache.use` hands out: the model, whether it was already loaded, and
    how long loading took (0 when reused)."""

    value: Any
    reused: bool
    load_s: float


class ModelCache:
    """Keeps one loaded model per slot; frees on idle timeout or when another model is needed."""

    def __init__(self) -> None:
        self._slots: dict[str, _Slot] = {}
        self._guard = threading.Lock()

    def _slot(self, name: str) -> _Slot:
        with self._guard:
            return self._slots.setdefault(name, _Slot())

    @contextmanager
    def use(
        self, slot: str, key: Hashable, loader: Callable[[Any], Any], idle_s: float = 0.0
    ) -> Iterator[Use]:
        """Hold the model ``key`` of ``slot`` for the ``with`` block, loading it if needed.

        ``loader(previous)`` builds the model; ``previous`` is the model the slot held (or None),
        so a loader can reuse its parts (diffusers ``from_pipe``) before it is dropped.
        ``idle_s`` > 0 frees the model that long after its last use.
        """
        state = self._slot(slot)
        with state.lock:
            _cancel(state)
            use = self._acquire(slot, state, key, loader)
            try:
                yield use
            finally:
                state.last_used = time.monotonic()
                if idle_s > 0:
                    self._arm(slot, state, idle_s)

    def _acquire(self, slot: str, state: _Slot, key: Hashable, loader: Callable[[Any], Any]) -> Use:
        if state.key == key and state.value is not None:
            state.hits += 1
            return Use(state.value, True, 0.0)
        previous, state.key, state.value = state.value, None, None
        started = time.perf_counter()
        try:
            value = loader(previous)
        finally:
            del previous  # the old model goes before anything else is allocated
            release_memory()
        state.key, state.value, state.loads = key, value, state.loads + 1
        load_s = time.perf_counter() - started
        log.info("loaded %s model %s in %.2fs", slot, key, load_s)
        return Use(value, False, round(load_s, 4))

    def _arm(self, slot: str, state: _Slot, idle_s: float) -> None:
        timer = threading.Timer(idle_s, self._expire, args=(slot, idle_s))
        timer.daemon = True
        state.timer = timer
        timer.start()

    def _expire(self, slot: str, idle_s: float) -> None:
        state = self._slot(slot)
        with state.lock:
            idle = time.monotonic() - state.last_used
            if state.value is not None and idle >= idle_s * 0.999:
                log.info("freeing %s model %s after %.0fs idle", slot, state.key, idle)
                state.key, state.value = None, None
                release_memory()

    def loaded(self, slot: str) -> Hashable | None:
        """The key of the model ``slot`` holds now, or None."""
        return self._slot(slot).key

    def stats(self, slot: str) -> dict[str, int]:
        state = self._slot(slot)
        return {"loads": state.loads, "hits": state.hits}

    def clear(self, slot: str | None = None) -> None:
        """Free the model of ``slot`` (all slots when None), waiting for a running use to end."""
        names = [slot] if slot else list(self._slots)
        for name in names:
            state = self._slot(name)
            with state.lock:
                _cancel(state)
                state.key, state.value = None, None
        release_memory()


def _cancel(state: _Slot) -> None:
    if state.timer is not None:
        state.timer.cancel()
        state.timer = None


def release_memory() -> None:
    """Collect garbage and hand cached GPU memory back, without importing torch."""
    gc.collect()
    torch: Any = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


MODELS = ModelCache()
