"""Bedrock model lifecycles as read from AWS, kept on disk for a while, and the offline fallback.

:class:`LifecycleStore` is a small JSON file (``<workspace>/cache/bedrock-lifecycle.json``) of what
``GetFoundationModel`` returned per (region, model) and when; entries older than
``lifecycle_cache_s`` are read again, so a model that enters its Legacy window (45 days' notice for
models launched after September 2026) is noticed without a ReelRAG release. :data:`BUILTIN` is
used only when AWS cannot be asked (no permission, no network): what AWS's model cards said when
this table was written, marked as such in the result.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelrag.settings import Settings

log = logging.getLogger(__name__)

BUILTIN_AS_OF = "2026-11"
# foundation model id -> (status, end of life); source: each model's card in the Bedrock guide,
# https://docs.aws.amazon.com/bedrock/latest/userguide/model-cards.html
BUILTIN: dict[str, tuple[str, str | None]] = {
    "amazon.nova-reel-v1:0": ("LEGACY", "2026-09-30"),
    "amazon.nova-reel-v1:1": ("LEGACY", "2026-09-30"),
    "amazon.nova-canvas-v1:0": ("LEGACY", "2026-09-30"),
    "luma.ray-v2:0": ("ACTIVE", None),
    "amazon.nova-2-multimodal-embeddings-v1:0": ("ACTIVE", None),
    "amazon.nova-2-lite-v1:0": ("ACTIVE", None),
    "stability.stable-image-inpaint-v1:0": ("ACTIVE", None),
    "stability.stable-image-erase-object-v1:0": ("ACTIVE", None),
    "stability.stable-image-search-replace-v1:0": ("ACTIVE", None),
    "stability.stable-outpaint-v1:0": ("ACTIVE", None),
}


@dataclass(frozen=True)
class Entry:
    status: str
    end_of_life: str | None
    read_at: float  # epoch seconds


class LifecycleStore:
    """A JSON file of lifecycle readings with a time to live; safe to share between processes."""

    def __init__(self, path: Path, ttl_s: float):
        self.path = Path(path)
        self.ttl_s = float(ttl_s)
        self._lock = threading.Lock()

    @classmethod
    def for_settings(cls, settings: Settings) -> LifecycleStore | None:
        ttl = float(settings.lifecycle_cache_s)
        if ttl <= 0:
            return None
        return cls(Path(settings.workspace) / "cache" / "bedrock-lifecycle.json", ttl)

    def get(self, region: str, model: str, now: float) -> Entry | None:
        raw = self._read().get(f"{region}|{model}")
        if not isinstance(raw, dict):
            return None
        try:
            entry = Entry(str(raw["status"]), raw.get("end_of_life"), float(raw["read_at"]))
        except (KeyError, TypeError, ValueError):
            return None
        return entry if 0 <= now - entry.read_at <= self.ttl_s else None

    def put(self, region: str, model: str, entry: Entry) -> None:
        with self._lock:
            data = self._read()
            data[f"{region}|{model}"] = {
                "status": entry.status,
                "end_of_life": entry.end_of_life,
                "read_at": entry.read_at,
            }
            self._write(data)

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring the unreadable lifecycle cache %s: %s", self.path, exc)
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, Any]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".lifecycle-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1, sort_keys=True)
            os.replace(tmp, self.path)  # atomic: readers see the old or the new file
        except OSError as exc:
            log.warning("cannot write the lifecycle cache %s: %s", self.path, exc)


def builtin(model: str) -> tuple[str, str | None] | None:
    """The built-in (offline) lifecycle of a foundation model id, if ReelRAG knows it."""
    return BUILTIN.get(model)
