"""The ``compose`` job: finished shot clips -> the reel in every aspect ratio, with its sound,
subtitle sidecars, posters, Content Credentials and a manifest beside each output.

It runs once its shots are done (:func:`reelrag.reel.build.render_reel` queues it then); its
payload holds the storyboard, the clips and the output paths, so any worker can run it.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reelrag.errors import InputError
from reelrag.jobs.runner import JobContext
from reelrag.media import video
from reelrag.reel.compose import Output, compose, overlays_for
from reelrag.reel.shots import ShotClip
from reelrag.reel.sound import Soundtrack, soundtrack
from reelrag.reel.storyboard import Storyboard
from reelrag.reel.subtitles import to_srt, to_vtt
from reelrag.reel.text import font_name
from reelrag.reel.timeline import Timeline, output_size
from reelrag.settings import Settings
from reelrag.storage import atomic_write_bytes, check_replaceable
from reelrag.types import Job

log = logging.getLogger(__name__)

__all__ = ["RUNNERS", "ReelPaths", "compose_job", "reel_paths", "run_compose_job"]


@dataclass(frozen=True)
class ReelPaths:
    """Where a reel writes: a video, manifest and poster per aspect ratio; one pair of sidecars."""

    outputs: tuple[Output, ...]
    manifests: tuple[Path, ...]
    posters: tuple[Path, ...]
    vtt: Path
    srt: Path

    def files(self) -> tuple[Path, ...]:
        return (*(o.path for o in self.outputs), *self.manifests, *self.posters, self.vtt, self.srt)


def reel_paths(out: Path, aspects: tuple[str, ...], size_px: int) -> ReelPaths:
    """``reel.mp4`` for one aspect ratio; ``reel.16x9.mp4``, ``reel.9x16.mp4``... for several."""
    out = Path(out).expanduser()
    if out.suffix.lower() != ".mp4":
        raise InputError(f"output {out} must end in .mp4", hint="e.g. --out reel.mp4")
    base = out.with_suffix("")
    outputs, manifests, posters = [], [], []
    for aspect in aspects:
        stem = base.name if len(aspects) == 1 else f"{base.name}.{aspect.replace(':', 'x')}"
        width, height = output_size(aspect, size_px)
        outputs.append(Output(aspect, width, height, base.with_name(stem + ".mp4")))
        manifests.append(base.with_name(stem + ".json"))
        posters.append(base.with_name(stem + ".poster.jpg"))
    return ReelPaths(
        tuple(outputs),
        tuple(manifests),
        tuple(posters),
        base.with_name(base.name + ".vtt"),
        base.with_name(base.name + ".srt"),
    )


def compose_job(
    job_id: str,
    batch_id: str,
    board: Storyboard,
    clips: list[ShotClip],
    missing: list[str],
    out: Path,
    overwrite: bool,
) -> Job:
    """The durable compose job for a reel whose shots are done."""
    payload = {
        "backend": "compose",
        "storyboard": board.to_dict(),
        "clips": [c.to_dict() for c in clips],
        "missing": missing,
        "out": str(out),
        "overwrite": overwrite,
    }
    return Job(id=job_id, kind="compose", payload=payload, batch_id=batch_id)


def run_compose_job(job: Job, ctx: JobContext) -> dict[str, Any]:
    """The :class:`~reelrag.jobs.runner.JobRunner` of ``compose`` jobs."""
    started = time.perf_counter()
    board = Storyboard.from_dict(job.payload["storyboard"])
    clips = [ShotClip.from_dict(c) for c in job.payload["clips"]]
    paths = reel_paths(Path(job.payload["out"]), board.aspect_ratios, board.size_px)
    check_replaceable(
        paths.files(),
        overwrite=bool(job.payload.get("overwrite")),
        inputs=board.inputs(),
        out_hint="--out",
    )
    paths.vtt.parent.mkdir(parents=True, exist_ok=True)
    timeline = Timeline(tuple(c.shot for c in clips), board.fps)
    sound = soundtrack(board, timeline, ctx.settings)
    timings = {"audio_s": round(time.perf_counter() - started, 4)}
    ctx.check()
    overlays = {
        o.aspect: overlays_for(
            timeline.placements,
            sound.cues,
            o,
            board.fps,
            burn_subtitles=board.burn_subtitles,
            subtitle_px=board.subtitle_px,
        )
        for o in paths.outputs
    }
    step = time.perf_counter()
    settings = ctx.settings
    kept = compose(
        timeline,
        [Path(c.video) for c in clips],
        list(paths.outputs),
        sound.mix.samples,
        overlays,
        crf=settings.video_crf,
        preset=settings.video_preset,
        x264_params=settings.video_x264_params,
        report=ctx.report,
    )
    timings["compose_s"] = round(time.perf_counter() - step, 4)
    _sidecars(paths, sound)
    result = _finish(job, board, clips, timeline, paths, sound, kept, timings, settings)
    log.info("reel %s composed in %.2fs", job.id, time.perf_counter() - started)
    return result


def _sidecars(paths: ReelPaths, sound: Soundtrack) -> None:
    for path in (paths.vtt, paths.srt):
        path.unlink(missing_ok=True)
    if sound.cues:
        atomic_write_bytes(paths.vtt, to_vtt(sound.cues).encode())
        atomic_write_bytes(paths.srt, to_srt(sound.cues).encode())


def _finish(
    job: Job,
    board: Storyboard,
    clips: list[ShotClip],
    timeline: Timeline,
    paths: ReelPaths,
    sound: Soundtrack,
    kept: dict[str, dict[str, float]],
    timings: dict[str, float],
    settings: Settings,
) -> dict[str, Any]:
    """Posters, Content Credentials and manifests, output by output."""
    manifests: list[dict[str, Any]] = []
    for out, manifest_path, poster in zip(
        paths.outputs, paths.manifests, paths.posters, strict=True
    ):
        video.write_poster(out.path, poster)
        step = time.perf_counter()
        credentials = _sign(out.path, board, clips, sound, settings)
        sign_s = round(time.perf_counter() - step, 4)
        manifest = _manifest(
            job,
            board,
            clips,
            timeline,
            out,
            poster,
            paths,
            sound,
            kept,
            credentials,
            {**timings, "sign_s": sign_s},
        )
        text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str)
        atomic_write_bytes(manifest_path, text.encode("utf-8"))
        manifests.append(manifest)
    return {
        "reel_id": job.id,
        "videos": [str(o.path) for o in paths.outputs],
        "manifests": [str(m) for m in paths.manifests],
        "subtitles": [str(p) for p in (paths.vtt, paths.srt) if p.is_file()],
        "frames": timeline.frames,
        "duration_s": timeline.duration_s,
        "shots": len(clips),
        "missing": list(job.payload.get("missing", [])),
        "loudness_lufs": sound.mix.report()["integrated_lufs"],
        "signed": all(m["provenance"].get("signed") for m in manifests),
        "timings_s": timings,
    }


def _sign(
    path: Path, board: Storyboard, clips: list[ShotClip], sound: Soundtrack, settings: Settings
) -> dict[str, Any]:
    if not settings.sign_outputs:
        return {"signed": False, "reason": "--no-sign"}
    from reelrag.provenance import sign_reel  # lazy: c2pa loads only to sign

    music = [board.resolve(board.music) or ""] if board.music else []
    return sign_reel(
        path,
        settings,
        title=board.title or path.stem,
        clips=[c.video for c in clips],
        audio=music + sound.voice_files,
        tts_model=sound.voice_model,
    )


def _manifest(
    job: Job,
    board: Storyboard,
    clips: list[ShotClip],
    timeline: Timeline,
    out: Output,
    poster: Path,
    paths: ReelPaths,
    sound: Soundtrack,
    kept: dict[str, dict[str, float]],
    credentials: dict[str, Any],
    timings: dict[str, float],
) -> dict[str, Any]:
    return {
        "reelrag_manifest": 1,
        "kind": "reel",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "request": {"prompt": board.title or f"reel of {len(clips)} shots"},
        "backend": "reel",
        "model": "",
        "video": out.path.name,
        "poster": poster.name,
        "aspect_ratio": out.aspect,
        "width": out.width,
        "height": out.height,
        "fps": board.fps,
        "frames": timeline.frames,
        "duration_s": timeline.duration_s,
        "shots": [
            _shot_entry(c, p.start, p.frames, board.fps)
            for c, p in zip(clips, timeline.placements, strict=True)
        ],
        "missing_shots": list(job.payload.get("missing", [])),
        "reframing_kept_saliency": kept.get(out.aspect, {}),
        "titles_font": font_name(),
        "audio": {
            **sound.mix.report(),
            "music": board.music,
            "voice_files": sound.voice_files,
            "tts": sound.voice_model,
        },
        "subtitles": [p.name for p in (paths.vtt, paths.srt) if p.is_file()],
        "storyboard": board.to_dict(),
        "provenance": credentials,
        "timings_s": timings,
        "job": job.id,
    }


def _shot_entry(clip: ShotClip, start: int, frames: int, fps: int) -> dict[str, Any]:
    return {
        "index": clip.shot.index,
        "start_s": round(start / fps, 4),
        "duration_s": round(frames / fps, 4),
        "transition": clip.shot.transition,
        "clip": clip.video,
        "clip_manifest": clip.manifest,
        "source": clip.source,
        "asset_id": clip.asset_id,
        "score": clip.score,
    }


RUNNERS = {"compose": run_compose_job}  # job kinds this package adds (Worker(runners=...))
