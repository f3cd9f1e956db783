"""A batch row (:class:`BatchRow`) and the deterministic batch and job ids derived from rows."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from reelrag.types import Record


@dataclass(frozen=True)
class BatchRow(Record):
    """One row of a batch: the filled prompt and what the row sets (None = the default)."""

    line: int  # line (templates, CSV, JSONL) or item number (JSON, YAML), from 1
    prompt: str
    template: str = ""
    object: str | None = None
    action: str | None = None
    image: str | None = None
    asset_id: str | None = None
    backend: str | None = None
    seed: int | None = None
    duration_s: float | None = None
    output: str | None = None
    edit: dict[str, Any] | None = None  # options["edit"] plan; paths as written in the file


def batch_id_for(rows: list[BatchRow], options: dict[str, Any]) -> str:
    """A deterministic batch id: the same rows and options give the same id (so the same jobs)."""
    blob = json.dumps({"rows": [r.to_dict() for r in rows], "options": options}, sort_keys=True)
    return "b" + hashlib.sha256(blob.encode()).hexdigest()[:11]


def job_id_for(batch_id: str, row_index: int) -> str:
    """Job ids are deterministic from the batch id and the row's position."""
    return f"{batch_id}-{row_index + 1:04d}"
