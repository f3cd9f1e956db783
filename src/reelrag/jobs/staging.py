"""Attempt-fenced outputs: each attempt renders into its own staging folder, promoted on finish.

A job's attempt writes ``video.mp4``, ``manifest.json`` and the rest into
``<outputs_dir>/.staging/<job id>.attempt-<n>/`` (the same file system as the job's folder, out
of the batch folders), never into the job's folder. The worker that claimed the attempt (the
driver) then, holding the promotion lock (``<outputs_dir>/.staging/.lock``):

1. checks the fence: it renews the lease and the store still says the job runs attempt ``n``;
2. promotes: renames the job's folder aside (if any) and the staging folder into its place, one
   rename of the whole output set;
3. finishes the job in the store, fenced by attempt;
4. on success drops the set it replaced; on refusal (or an error) puts it back.

So a finished job always has its files (they are in place before the store says "succeeded"), and
a zombie (an actor or worker of an older attempt that ends after a newer attempt took the job
over) never replaces them: its fence check or its finish is refused, its staging folder removed.
Results and manifests name the final paths, so nothing points into a staging folder.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reelrag.settings import Settings
from reelrag.types import Job

log = logging.getLogger(__name__)

STAGING = ".staging"


def staging_root(settings: Settings) -> Path:
    """The folder of every attempt's staged outputs (and of the promotion lock)."""
    return settings.outputs_dir / STAGING


def staging_dir(settings: Settings, job: Job) -> Path:
    """Where attempt ``job.attempts`` of ``job`` writes its outputs."""
    return staging_root(settings) / f"{job.id}.attempt-{job.attempts}"


def clear_stale(settings: Settings, job: Job) -> None:
    """Remove the staging folders of ``job``'s other attempts (killed or taken over)."""
    for folder in staging_root(settings).glob(f"{job.id}.attempt-*"):
        if folder != staging_dir(settings, job):
            discard(folder)


def relocate(value: Any, staged: Path, final: Path) -> Any:
    """``value`` with every path string under ``staged`` moved under ``final`` (recursively)."""
    if isinstance(value, str):
        return str(final) + value[len(str(staged)) :] if value.startswith(str(staged)) else value
    if isinstance(value, dict):
        return {k: relocate(v, staged, final) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [relocate(v, staged, final) for v in value]
    return value


def seal(result: dict[str, Any], staged: Path, final: Path) -> dict[str, Any]:
    """Point the staged manifest and the job's result at the final folder (before promotion)."""
    manifest = staged / "manifest.json"
    if manifest.is_file():
        data = relocate(json.loads(manifest.read_text(encoding="utf-8")), staged, final)
        text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
        tmp = manifest.with_name(f".tmp-{uuid.uuid4().hex}")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(manifest)
    relocated: dict[str, Any] = relocate(result, staged, final)
    return relocated


def promote(staged: Path, final: Path) -> Path | None:
    """Put ``staged`` in place of ``final``; the replaced folder (kept aside) or None."""
    backup = None
    if final.exists():
        backup = staged.with_name(f"{staged.name}.replaced-{uuid.uuid4().hex[:8]}")
        final.rename(backup)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        staged.rename(final)
    except OSError:
        if backup is not None:  # the job's folder stays as it was
            backup.rename(final)
        raise
    return backup


def rollback(final: Path, backup: Path | None) -> None:
    """Undo :func:`promote`: remove the promoted set and put the replaced one back."""
    discard(final)
    if backup is not None:
        backup.rename(final)


def discard(folder: Path | None) -> None:
    """Remove a staging (or replaced) folder; missing is fine."""
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def promotion_lock(settings: Settings) -> Iterator[None]:
    """Serialise promotions (an advisory lock, held for a few renames and one store write;
    where the file system has none, the lease renewed by the fence check still keeps two
    attempts apart)."""
    root = staging_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(root / ".lock", "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError as err:  # a mount without locks
            log.debug("no promotion lock on %s: %s", root, err)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(handle, fcntl.LOCK_UN)
