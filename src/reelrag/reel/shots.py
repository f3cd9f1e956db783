"""A reel's shots as jobs: one ``generate`` job per shot in the job store, planned like a batch.

Each shot becomes a batch row, so retrieval follows the library's match rule (one search per
distinct object, ``distinct`` photos when asked, "no good match" rows skipped rather than
animated from a wrong photo), requests are validated against the backend and estimated, and
jobs are durable, resumable and leased like any other. Shots render at a 16:9 size (other
outputs are reframed from it): the reel's own, or, when it has a 9:16 output and the shot's
backend renders any size that large (the camera backend does), the one whose height is the
vertical output's, so its window needs no upscaling. In a reel without a 16:9 output, a model
that cannot render that large renders upright shots instead. Each backend gets the size and
frame rate nearest to that which it accepts (a model's fixed sizes, sides in multiples of 32,
16 fps only) and the shortest clip that lasts the shot: the composition crops, retimes and
trims every clip to the reel (:func:`shot_formats`, :func:`shot_size`, :func:`plan_shots`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelrag.batch.plan import BatchPlan, backend_of, generator_cache, plan_rows
from reelrag.batch.rows import BatchRow
from reelrag.batch.templates import DEFAULT_TEMPLATE, fill_template
from reelrag.errors import InputError, NoMatchError, ReelragError
from reelrag.generation.base import Capabilities, Generator
from reelrag.reel.storyboard import Shot, Storyboard
from reelrag.reel.timeline import output_size
from reelrag.settings import Settings
from reelrag.types import Job, Record

Format = tuple[int, int, int]  # width, height, fps a backend's shots render at

__all__ = ["Format", "ShotClip", "clips_of", "plan_shots", "shot_formats", "shot_jobs", "shot_size"]


@dataclass(frozen=True)
class ShotClip(Record):
    """A rendered shot: its storyboard entry, clip, manifest and where its photo came from."""

    shot: Shot
    video: str
    manifest: str
    source: str | None = None
    asset_id: str | None = None
    score: float | None = None


def shot_rows(board: Storyboard) -> list[BatchRow]:
    """The storyboard's shots as batch rows (paths resolved against the storyboard's folder)."""
    rows = []
    for shot in board.shots:
        action = shot.action or "The camera holds still"
        prompt = fill_template(DEFAULT_TEMPLATE, shot.object, action) if shot.object else action
        rows.append(
            BatchRow(
                line=shot.index,
                prompt=prompt,
                template=DEFAULT_TEMPLATE,
                object=shot.object,
                action=action,
                image=board.resolve(shot.image),
                asset_id=shot.asset_id,
                backend=shot.backend,
                seed=shot.seed,
                duration_s=shot.duration_s,
                output=f"shot-{shot.index:02d}",
            )
        )
    return rows


def plan_shots(
    board: Storyboard,
    settings: Settings,
    library: Any = None,
    make: Callable[[str], Generator] | None = None,
) -> BatchPlan:
    """Retrieve, validate and estimate every shot (nothing is rendered), building backends with
    ``make`` (a :func:`~reelrag.batch.plan.generator_cache`). A shot shorter than its backend
    renders (Luma Ray2: 5 or 9 s) asks for the shortest clip that lasts it: the reel shows the
    shot's own duration of it."""
    make = make or generator_cache(settings)
    rows = [_lasting(r, backend_of(r, board.backend, settings), make) for r in shot_rows(board)]
    return plan_rows(
        rows,
        settings,
        generator_for=make,
        library=library,
        backend=board.backend,
        distinct=board.distinct,
        base_dir=Path(board.base_dir) if board.base_dir else None,
    )


def _lasting(row: BatchRow, backend: str, make: Callable[[str], Generator]) -> BatchRow:
    """``row`` asking ``backend`` for the shortest clip that lasts its shot."""
    if row.duration_s is None:
        return row
    try:
        caps = make(backend).capabilities
    except ReelragError:
        return row  # planning reports the backend's error on this row
    return row.replace(duration_s=caps.clip_duration(row.duration_s))


def shot_formats(
    plan: BatchPlan, board: Storyboard, make: Callable[[str], Generator]
) -> dict[str, Format]:
    """The size (:func:`shot_size`) and fps each backend's shots render at: the nearest to the
    reel's that the backend accepts (backends built by ``make``, as the plan's were)."""
    formats = {}
    for name in sorted({p.backend for p in plan.rows if p.state == "queued"}):
        caps = make(name).capabilities
        formats[name] = (*shot_size(caps, board), caps.nearest_fps(board.fps))
    return formats


def shot_size(caps: Capabilities, board: Storyboard) -> tuple[int, int]:
    """The size a backend's shots render at, the nearest it accepts to: the reel's 16:9 size;
    with a 9:16 output, as tall as that output when the backend renders any size that large
    (3.2x the pixels; the other outputs are averaged down), else, when the reel has no 16:9
    output, upright at the 9:16 output's size. A 9:16 output from shots at the reel's own 16:9
    size shows a 405x720 window of 1280x720, upscaled 1.78x."""
    base = output_size("16:9", board.size_px)
    if "9:16" not in board.aspect_ratios:
        return caps.nearest_size(base)
    upright = output_size("9:16", board.size_px)
    tall = output_size("16:9", upright[1])
    if not caps.sizes and max(tall) <= caps.max_side_px:
        return caps.nearest_size(tall)
    if "16:9" not in board.aspect_ratios:
        size = caps.nearest_size(upright)
        if size[1] > size[0]:  # the model renders upright: Luma 720x1280, Wan 480x832
            return size
    return caps.nearest_size(base)


def shots_id(plan: BatchPlan, board: Storyboard, formats: dict[str, Format]) -> str:
    """The shots' batch id: the plan's rows and choices plus the formats they render at."""
    shown = sorted(
        {f"{w}x{h}" + ("" if fps == board.fps else f"@{fps}") for w, h, fps in formats.values()}
    )
    blob = f"{plan.batch_id}:{board.size_px}:{board.fps}:{','.join(shown)}"
    return "s" + hashlib.sha256(blob.encode()).hexdigest()[:11]


def shot_jobs(plan: BatchPlan, board: Storyboard, formats: dict[str, Format]) -> list[Job]:
    """Durable jobs for the shots, each rendering in its backend's format (:func:`shot_formats`)."""
    batch = shots_id(plan, board, formats)
    fallback = (*output_size("16:9", board.size_px), board.fps)  # rows that will not render
    jobs = []
    for i, (planned, job) in enumerate(zip(plan.rows, plan.jobs(), strict=True), start=1):
        width, height, fps = formats.get(planned.backend, fallback)
        request = dict(job.payload["request"], width=width, height=height, fps=fps)
        payload = {**job.payload, "request": request, "shot": i}
        jobs.append(job.replace(id=f"{batch}-{i:04d}", batch_id=batch, payload=payload))
    return jobs


def clips_of(
    jobs: list[Job], board: Storyboard, *, skip_missing: bool
) -> tuple[list[ShotClip], list[str]]:
    """Clips of the finished shots and a line per missing one; raises when shots are missing
    and ``skip_missing`` is off, or when none is left."""
    by_shot = {int(job.payload.get("shot", 0)): job for job in jobs}
    clips: list[ShotClip] = []
    missing: list[str] = []
    for shot in board.shots:
        job = by_shot.get(shot.index)
        if job is None or job.state != "succeeded" or not job.result:
            missing.append(_missing_line(shot, job))
            continue
        clips.append(_clip(shot, job))
    if missing and not skip_missing:
        raise NoMatchError(
            f"{len(missing)} of {len(board.shots)} shots have no footage: " + "; ".join(missing),
            hint="fix or rephrase those shots, or pass --skip-missing to leave them out",
        )
    if not clips:
        raise InputError("no shot could be rendered: " + "; ".join(missing))
    return clips, missing


def _missing_line(shot: Shot, job: Job | None) -> str:
    what = shot.object or shot.image or shot.asset_id or "?"
    reason = (job.error or {}).get("message") or job.message if job else "not planned"
    return f"shot {shot.index} ({what}): {job.state if job else 'missing'}, {reason}"


def _clip(shot: Shot, job: Job) -> ShotClip:
    result = job.result or {}
    hit = job.payload.get("hit") or {}
    request = job.payload.get("request") or {}
    return ShotClip(
        shot=shot,
        video=str(result["video"]),
        manifest=str(result["manifest"]),
        source=request.get("image"),
        asset_id=request.get("asset_id"),
        score=hit.get("score"),
    )
