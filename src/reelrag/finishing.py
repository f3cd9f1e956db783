"""What one generation leaves behind: the output paths, and finishing a rendered video (poster,
fitted image, output check, manifest, Content Credentials), re-rendering while the check fails.

:mod:`reelrag.pipeline` prepares a :class:`Prepared` request and runs the generator; this module
takes over once a video exists.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image

from reelrag.errors import InputError, ReelragError
from reelrag.generation.base import Generator, ResolvedRequest, VideoOutput
from reelrag.media import fit as imaging
from reelrag.media import video
from reelrag.settings import Settings
from reelrag.storage import atomic_write_bytes, check_replaceable
from reelrag.types import Asset, GenerationResult, SearchHit

log = logging.getLogger(__name__)


@dataclass
class Prepared:
    """Everything checked and resolved before a generator runs.

    ``image`` is what the generator receives (the fitted canvas, with the generator's framing
    margins; None for text-to-video); ``fitted`` holds the nominal first-frame image and the
    explicit fit transform.
    """

    resolved: ResolvedRequest
    generator: Generator
    image: Image.Image | None = None
    fitted: imaging.FittedImage | None = None
    source: str | None = None  # a path, or "asset:<id>"
    source_sha256: str | None = None
    asset: Asset | None = None
    hit: SearchHit | None = None
    timings: dict[str, float] = field(default_factory=dict)
    edit: dict[str, Any] | None = None  # the edit step's manifest, when the request asked for one
    settings: Settings | None = None  # for signing in finalize
    source_file: str | None = None  # the photo's local file (Content Credentials ingredient)
    framing: dict[str, Any] | None = None  # the framing step's choices (mode, focus, from/to)
    qa_check: bool = True  # finalize checks the output (reelrag.qa)
    qa_retries: int = 0  # re-generations with a new seed when the check fails
    qa_history: list[dict[str, Any]] = field(default_factory=list)  # the failed tries


@dataclass(frozen=True)
class OutputPaths:
    """Where one generation writes: the MP4 and, beside it, manifest, poster and fitted image."""

    video: Path
    manifest: Path
    poster: Path
    fitted: Path


def output_paths(settings: Settings, out: Path | None, stem: str) -> OutputPaths:
    """Paths for one output: ``out`` (``clip.mp4`` -> clip.json, clip.poster.jpg,
    clip.fitted.png; the poster is not ``clip.jpg``, which is often the photo itself) or,
    without ``out``, ``<outputs_dir>/<stem>.mp4`` and friends."""
    video_path = Path(out).expanduser() if out else settings.outputs_dir / f"{stem}.mp4"
    if video_path.suffix.lower() != ".mp4":
        raise InputError(f"output {video_path} must end in .mp4", hint="e.g. --out clip.mp4")
    base = video_path.with_suffix("")
    return OutputPaths(
        video=video_path,
        manifest=base.with_name(base.name + ".json"),
        poster=base.with_name(base.name + ".poster.jpg"),
        fitted=base.with_name(base.name + ".fitted.png"),
    )


def default_stem(prepared: Prepared) -> str:
    """A readable, unique default name: time, backend and seed."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{prepared.generator.name}-{prepared.resolved.seed}"


def check_outputs(paths: OutputPaths, overwrite: bool, inputs: tuple[str, ...] = ()) -> None:
    """Refuse to replace any existing file unless asked to, and the input image ever."""
    check_replaceable(_files(paths), overwrite=overwrite, inputs=inputs, out_hint="--out")


def input_files(prepared: Prepared) -> tuple[str, ...]:
    """The user's files this output is made from (the image, or the asset's original)."""
    given = [prepared.source or "", prepared.asset.source if prepared.asset else ""]
    return tuple(g for g in given if g and "://" not in g and not g.startswith("asset:"))


def _files(paths: OutputPaths) -> tuple[Path, ...]:
    return (paths.video, paths.manifest, paths.poster, paths.fitted)


def remove_outputs(paths: OutputPaths) -> None:
    """Remove an unfinished output set (the video without its manifest is no result)."""
    for path in _files(paths):
        path.unlink(missing_ok=True)


def finalize(
    prepared: Prepared, output: VideoOutput, paths: OutputPaths, timings: dict[str, float]
) -> GenerationResult:
    """Write the poster (first frame), the fitted image and the manifest beside the video.

    If one of them cannot be written (a full disk), the whole output set is removed: a video
    without its manifest is not a result."""
    try:
        return _finalize(prepared, output, paths, timings)
    except OSError as exc:
        remove_outputs(paths)
        raise video.disk_error(exc, Path(exc.filename or paths.manifest).parent) from exc
    except ReelragError:  # signing failed: no unsigned video passes for a signed one
        remove_outputs(paths)
        raise


def _finalize(
    prepared: Prepared, output: VideoOutput, paths: OutputPaths, timings: dict[str, float]
) -> GenerationResult:
    poster = video.write_poster(output.video, paths.poster)
    if prepared.fitted is not None:
        imaging.save_png(prepared.fitted.image, paths.fitted)
    qa = _qa(prepared, output, paths)
    job = prepared.resolved
    all_timings = {**prepared.timings, **timings}
    result = GenerationResult(
        video=str(output.video),
        manifest=str(paths.manifest),
        poster=str(poster) if poster else None,
        backend=prepared.generator.name,
        model=output.model,
        width=output.width,
        height=output.height,
        fps=output.fps,
        frames=output.frames,
        duration_s=output.frames / output.fps,
        seed=job.seed,
        elapsed_s=round(sum(all_timings.values()), 4),
        cost_usd=prepared.generator.estimate_cost_usd(job),
        not_rendered=tuple(output.not_rendered),
        qa=qa["summary"] if qa else "",
    )
    manifest = build_manifest(prepared, output, paths, all_timings, result)
    manifest["qa"] = qa
    if prepared.qa_history:
        manifest["qa_retries"] = list(prepared.qa_history)
    manifest["provenance"] = _sign(prepared, output, paths)  # last write to the video
    text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str)
    atomic_write_bytes(paths.manifest, text.encode("utf-8"))
    return result


def _sign(prepared: Prepared, output: VideoOutput, paths: OutputPaths) -> dict[str, Any]:
    """Content Credentials on the finished video (see :mod:`reelrag.provenance`)."""
    settings = prepared.settings
    if settings is None or not settings.sign_outputs:
        return {"signed": False, "reason": "--no-sign"}
    from reelrag.provenance import sign_clip  # lazy: c2pa loads only to sign

    extra = {"asset_id": prepared.asset.id} if prepared.asset else {}
    edited = str(paths.fitted) if prepared.edit and paths.fitted.is_file() else None
    editor = (prepared.edit or {}).get("backend")
    return sign_clip(
        Path(output.video), settings, backend=prepared.generator.name, model=output.model,
        photo=prepared.source_file, photo_extra=extra, edited_image=edited, editor=editor,
    )  # fmt: skip


def _qa(prepared: Prepared, output: VideoOutput, paths: OutputPaths) -> dict[str, Any] | None:
    """The output check's report (reelrag.qa), or None when the check is off."""
    if not prepared.qa_check:
        return None
    from reelrag.qa import Expect, check_video  # lazy: only when outputs are made

    job = prepared.resolved
    expect = Expect(
        prompt=job.request.prompt,
        options={k: v for k, v in job.request.options.items() if k != "edit"},
        duration_s=job.duration_s,
        fps=job.fps,
        frames=job.frames,
        reference=paths.fitted if prepared.fitted is not None else None,
        backend=prepared.generator.name,
    )
    return check_video(output.video, expect)


def render_checked(
    prepared: Prepared, paths: OutputPaths, render: Callable[[], VideoOutput]
) -> GenerationResult:
    """``render()`` then :func:`finalize`; while the QA check fails and retries are left, render
    again with a new seed (the failed tries are listed in the manifest's ``qa_retries``)."""
    while True:
        started = time.perf_counter()
        output = render()
        timings = {"generate_s": round(time.perf_counter() - started, 4)}
        result = finalize(prepared, output, paths, timings)
        if not result.qa.startswith("FAIL") or len(prepared.qa_history) >= prepared.qa_retries:
            return result
        job = prepared.resolved
        prepared.qa_history.append({"seed": job.seed, "qa": result.qa})
        seed = (job.seed + 1_000_003) % 2**31
        log.warning("QA failed (%s); generating again with seed %d", result.qa, seed)
        prepared.resolved = dataclasses.replace(
            job, seed=seed, request=job.request.replace(seed=seed)
        )


def build_manifest(
    prepared: Prepared,
    output: VideoOutput,
    paths: OutputPaths,
    timings: dict[str, float],
    result: GenerationResult,
) -> dict[str, Any]:
    """What reproduces the video: request, source and hash, fit, plan, seed, backend, timings."""
    job = prepared.resolved
    details = dict(output.details)
    adjustments = list(job.adjustments) + list(details.pop("adjustments", []))
    return {
        "reelrag_manifest": 1,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "request": job.request.to_dict(),
        "resolved": {
            "width": job.width,
            "height": job.height,
            "fps": job.fps,
            "duration_s": job.duration_s,
            "frames": job.frames,
        },
        "source": {
            "path_or_asset": prepared.source,
            "asset_id": prepared.asset.id if prepared.asset else None,
            "sha256": prepared.source_sha256,
        },
        "search_hit": prepared.hit.to_dict() if prepared.hit else None,
        "edit": prepared.edit,
        "fitted_image": paths.fitted.name if prepared.fitted else None,
        "fit": prepared.fitted.fit.to_dict() if prepared.fitted else None,
        "framing": prepared.framing,
        "backend": result.backend,
        "model": result.model,
        "seed": job.seed,
        "video": paths.video.name,
        "poster": paths.poster.name if result.poster else None,
        "frames": result.frames,
        "timings_s": timings,
        "cost_usd": result.cost_usd,
        "not_rendered": list(result.not_rendered),
        "adjustments": adjustments,
        "details": details,
    }
