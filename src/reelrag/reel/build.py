"""``render_reel``: a storyboard -> shot jobs -> a compose job -> finished, signed reels.

>>> from reelrag.reel import render_reel                                # doctest: +SKIP
>>> result = render_reel("storyboard.yaml", settings, out="reel.mp4")  # doctest: +SKIP
>>> result.videos                                                      # doctest: +SKIP
('reel.16x9.mp4', 'reel.9x16.mp4')
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelrag.batch.plan import check_budget, generator_cache
from reelrag.errors import BackendError, ReelragError
from reelrag.events import ProgressCallback, ignore_progress
from reelrag.jobs import JobStore, Worker, open_job_store
from reelrag.reel.job import RUNNERS, compose_job, reel_paths
from reelrag.reel.shots import clips_of, plan_shots, shot_formats, shot_jobs, shots_id
from reelrag.reel.storyboard import Storyboard, load_storyboard
from reelrag.settings import Settings
from reelrag.storage import check_replaceable
from reelrag.types import Job, Record

log = logging.getLogger(__name__)

__all__ = ["ReelResult", "default_out", "render_reel"]


@dataclass(frozen=True)
class ReelResult(Record):
    """What :func:`render_reel` made: one video (and manifest) per aspect ratio."""

    reel_id: str
    videos: tuple[str, ...]
    manifests: tuple[str, ...]
    subtitles: tuple[str, ...] = ()
    frames: int = 0
    duration_s: float = 0.0
    shots: int = 0
    missing: tuple[str, ...] = ()
    loudness_lufs: float | None = None
    signed: bool = False
    timings_s: dict[str, float] = field(default_factory=dict)


def default_out(settings: Settings, board: Storyboard) -> Path:
    """``<outputs>/reels/<reel id>/reel.mp4`` (the gallery shows what is under outputs)."""
    return settings.outputs_dir / "reels" / board.reel_id / "reel.mp4"


def render_reel(
    storyboard: Storyboard | str | Path,
    settings: Settings,
    *,
    out: Path | str | None = None,
    library: Any = None,
    overwrite: bool = False,
    progress: ProgressCallback = ignore_progress,
    store: JobStore | None = None,
    budget_usd: float | None = None,
) -> ReelResult:
    """Render every shot as a durable job, then compose the reel in each aspect ratio.

    Re-running an interrupted reel resumes it: finished shots and a finished composition are
    not redone. Raises :class:`~reelrag.errors.NoMatchError` listing the shots without footage
    unless the storyboard's ``skip_missing`` is set, and :class:`~reelrag.errors.BudgetError`
    before any work when the shots' estimated cost exceeds ``budget_usd``.
    """
    board = storyboard if isinstance(storyboard, Storyboard) else load_storyboard(storyboard)
    target = Path(out).expanduser() if out else default_out(settings, board)
    paths = reel_paths(target, board.aspect_ratios, board.size_px)
    make = generator_cache(settings)  # one build of each backend for planning and formats
    plan = plan_shots(board, settings, library, make)
    check_budget(plan, budget_usd)
    formats = shot_formats(plan, board, make)
    batch = shots_id(plan, board, formats)
    compose_id = _compose_id(batch, board, target)
    store = store or open_job_store(settings)
    if not _done(store, compose_id):
        check_replaceable(
            paths.files(), overwrite=overwrite, inputs=board.inputs(), out_hint="--out"
        )
    worker = Worker(store, settings, library=library, runners=RUNNERS)
    store.add_many(shot_jobs(plan, board, formats))
    shots = worker.run(batch_id=batch, progress=progress)
    clips, missing = clips_of(
        [*shots.succeeded, *shots.failed, *shots.skipped, *shots.cancelled],
        board,
        skip_missing=board.skip_missing,
    )
    added = store.add(compose_job(compose_id, batch, board, clips, missing, target, overwrite))
    if not added and store.get(compose_id).state in ("failed", "cancelled"):
        store.retry(compose_id)  # a fixed storyboard file (a voice line) may pass now
    worker.run(batch_id=batch, progress=progress)
    return _result(store.get(compose_id))


def _compose_id(batch: str, board: Storyboard, out: Path) -> str:
    blob = json.dumps({"board": board.to_dict(), "out": str(out.resolve())}, sort_keys=True)
    return f"{batch}-reel-{hashlib.sha256(blob.encode()).hexdigest()[:8]}"


def _done(store: JobStore, job_id: str) -> bool:
    try:
        return store.get(job_id).state == "succeeded"
    except ReelragError:
        return False


def _result(job: Job) -> ReelResult:
    if job.state != "succeeded" or not job.result:
        error = job.error or {}
        raise BackendError(
            f"composing the reel failed: {error.get('message') or job.message or job.state}",
            hint=error.get("hint") or f"see `reelrag jobs show {job.id}`",
        )
    r = job.result
    return ReelResult(
        reel_id=job.id,
        videos=tuple(r["videos"]),
        manifests=tuple(r["manifests"]),
        subtitles=tuple(r.get("subtitles", ())),
        frames=int(r["frames"]),
        duration_s=float(r["duration_s"]),
        shots=int(r["shots"]),
        missing=tuple(r.get("missing", ())),
        loudness_lufs=r.get("loudness_lufs"),
        signed=bool(r.get("signed")),
        timings_s=dict(r.get("timings_s", {})),
    )
