"""Bedrock model lifecycle: warn on Legacy models, refuse end-of-life ones before paying.

``GetFoundationModel`` (control-plane ``bedrock`` client) returns ``modelLifecycle`` with ``status``
ACTIVE | LEGACY and, for Legacy models, an ``endOfLifeTime``. After that time requests fail for
most accounts, so :func:`check_model` refuses with a message naming active alternatives. Results are
cached per (region, model) for the life of the process and, through :func:`check_for_settings`, on
disk for ``lifecycle_cache_s`` (:mod:`reelrag.aws.lifecycle_cache`), so a model that turns Legacy is
noticed without a release. When AWS cannot be asked (no ``bedrock:GetFoundationModel``, no network)
the built-in table (``lifecycle_cache.BUILTIN``) is the fallback, marked ``source="built-in"``.
``lifecycle_check = false`` skips it all.

Cross-region inference profile ids (``us.amazon.nova-2-lite-v1:0``) are looked up by their
foundation model id (``amazon.nova-2-lite-v1:0``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reelrag.aws.clients import region_of, translate
from reelrag.aws.lifecycle_cache import BUILTIN_AS_OF, Entry, LifecycleStore, builtin
from reelrag.errors import AccessDeniedError, CapabilityError, NotFoundError, ReelragError
from reelrag.settings import Settings

log = logging.getLogger(__name__)

PROFILE_PREFIXES = ("us.", "eu.", "apac.", "us-gov.", "global.", "jp.", "au.", "ca.")

# Active replacements to name when a model is refused, by model family.
ALTERNATIVES: dict[str, tuple[str, ...]] = {
    "amazon.nova-reel": ("luma.ray-v2:0",),
    "amazon.titan-embed-image": ("amazon.nova-2-multimodal-embeddings-v1:0",),
    "amazon.nova-lite": ("us.amazon.nova-2-lite-v1:0",),
    "amazon.nova-pro": ("us.amazon.nova-2-lite-v1:0",),
    "amazon.nova-canvas": (
        "us.stability.stable-image-inpaint-v1:0",
        "us.stability.stable-image-erase-object-v1:0",
        "us.stability.stable-image-search-replace-v1:0",
        "us.stability.stable-outpaint-v1:0",
    ),
}


@dataclass(frozen=True)
class Lifecycle:
    """What the check found; ``warning`` is recorded in output manifests."""

    model: str
    status: str  # ACTIVE | LEGACY | UNKNOWN | SKIPPED
    end_of_life: str | None = None  # ISO date
    warning: str = ""
    source: str = "aws"  # aws (GetFoundationModel, maybe cached) | built-in (offline) | unread

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "status": self.status,
            "end_of_life": self.end_of_life,
            "warning": self.warning,
            "source": self.source,
        }


_cache: dict[tuple[str, str], Lifecycle] = {}
_lock = threading.Lock()


def foundation_model_id(model: str) -> str:
    """The foundation-model id behind an inference profile id.

    >>> foundation_model_id("us.amazon.nova-2-lite-v1:0")
    'amazon.nova-2-lite-v1:0'
    """
    for prefix in PROFILE_PREFIXES:
        if model.startswith(prefix):
            return model[len(prefix) :]
    return model


def alternatives_for(model: str) -> tuple[str, ...]:
    base = foundation_model_id(model)
    for family, alts in ALTERNATIVES.items():
        if base.startswith(family):
            return alts
    return ()


def check_model(
    control: Any,
    model: str,
    *,
    enabled: bool = True,
    now: datetime | None = None,
    store: LifecycleStore | None = None,
    fresh: bool = False,
) -> Lifecycle:
    """Check ``model``'s lifecycle once per process; raise if it is past end of life.

    ``control`` is a boto3 ``bedrock`` client; ``store`` keeps readings between processes;
    ``fresh`` asks AWS even when a reading is cached (``reelrag doctor``) and caches the answer.
    Missing permission to read the lifecycle (or no network) falls back to the built-in table and
    only logs a warning: it must not block accounts that lack ``bedrock:GetFoundationModel``.
    """
    if not enabled:
        return Lifecycle(model, "SKIPPED")
    key = (region_of(control), model)
    with _lock:
        cached = None if fresh else _cache.get(key)
    if cached is None:
        cached = (None if fresh else _from_store(store, key)) or _fetch(control, model)
        if store is not None and cached.source == "aws" and cached.status != "UNKNOWN":
            store.put(key[0], model, Entry(cached.status, cached.end_of_life, time.time()))
        with _lock:
            _cache[key] = cached
    _enforce(cached, now or datetime.now(UTC))
    return cached


def check_for_settings(
    control: Any, model: str, settings: Settings, *, now: datetime | None = None
) -> Lifecycle:
    """:func:`check_model` as configured: ``lifecycle_check`` and the on-disk store."""
    if not settings.lifecycle_check:
        return Lifecycle(model, "SKIPPED")
    return check_model(control, model, now=now, store=LifecycleStore.for_settings(settings))


class FirstCallCheck:
    """A backend's lifecycle check, once, before its first paid call.

    Skipped for a backend built without settings (tests, library use); ``control`` makes the
    ``bedrock`` client only when the check really runs.
    """

    def __init__(self, model: str) -> None:
        self.model = model
        self.result: Lifecycle | None = None

    def __call__(self, settings: Settings | None, control: Callable[[], Any]) -> Lifecycle | None:
        if self.result is None and settings is not None:
            if not settings.lifecycle_check:
                self.result = Lifecycle(self.model, "SKIPPED")
            else:
                self.result = check_for_settings(control(), self.model, settings)
        return self.result


def _from_store(store: LifecycleStore | None, key: tuple[str, str]) -> Lifecycle | None:
    entry = store.get(key[0], key[1], time.time()) if store is not None else None
    if entry is None:
        return None
    model = key[1]
    return Lifecycle(
        model, entry.status, entry.end_of_life, _warning(model, entry.status, entry.end_of_life)
    )


def clear_cache() -> None:
    """Forget cached lifecycle checks (tests, long-lived servers)."""
    with _lock:
        _cache.clear()


def _fetch(control: Any, model: str) -> Lifecycle:
    base = foundation_model_id(model)
    try:
        details = control.get_foundation_model(modelIdentifier=base)["modelDetails"]
    except (ClientError, BotoCoreError) as exc:
        error = translate(exc, action="bedrock:GetFoundationModel", model=base)
        if isinstance(error, NotFoundError):
            raise _refusal(model, f"{base} is not offered in {region_of(control)}") from exc
        if isinstance(error, AccessDeniedError) or error.retryable:
            log.warning("cannot read the lifecycle of %s from AWS: %s", model, error)
            return _offline(model, error)
        raise error from exc
    lifecycle = details.get("modelLifecycle") or {}
    status = str(lifecycle.get("status", "UNKNOWN"))
    eol = lifecycle.get("endOfLifeTime")
    eol_iso = eol.date().isoformat() if isinstance(eol, datetime) else None
    return Lifecycle(model, status, eol_iso, _warning(model, status, eol_iso))


def _offline(model: str, error: ReelragError) -> Lifecycle:
    """The built-in table's answer when AWS cannot be asked (``source="built-in"``)."""
    known = builtin(foundation_model_id(model))
    if known is None:
        warning = f"lifecycle not checked: {error.message}"
        return Lifecycle(model, "UNKNOWN", warning=warning, source="unread")
    status, eol = known
    note = f"from ReelRAG's built-in table as of {BUILTIN_AS_OF} (AWS not asked: {error.message})"
    warning = "; ".join(p for p in (_warning(model, status, eol), note) if p)
    return Lifecycle(model, status, eol, warning, source="built-in")


def _warning(model: str, status: str, eol: str | None) -> str:
    if status != "LEGACY":
        return ""
    alts = ", ".join(alternatives_for(model)) or "an Active model"
    until = f" with end of life {eol}" if eol else ""
    return f"{model} is Legacy on Bedrock{until}; plan a move to {alts}"


def _enforce(info: Lifecycle, now: datetime) -> None:
    if info.status != "LEGACY":
        return
    if info.end_of_life and now.date() >= datetime.fromisoformat(info.end_of_life).date():
        raise _refusal(info.model, f"{info.model} reached end of life on {info.end_of_life}")
    log.warning(info.warning)


def _refusal(model: str, reason: str) -> CapabilityError:
    alts = alternatives_for(model)
    hint = f"use an Active model such as {', '.join(alts)}" if alts else "choose an Active model"
    return CapabilityError(
        reason, hint=hint + " (or set lifecycle_check = false if your account keeps access)"
    )
