"""The VRAG recipe: check inputs -> resolve the image (path, asset or retrieval) -> fit -> [edit] ->
generate -> poster + manifest.

Each step is a public function so the job worker can run them separately:
:func:`prepare` (validates before any work), :func:`output_paths`, then the generator's own
``generate`` (or submit/poll/collect for remote ones), then :func:`finalize`. :func:`generate` runs
all of them in one call.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from reelrag.editing.run import EDIT_OPTION, EditPlan, edit_from_options
from reelrag.errors import InputError, ReelragError
from reelrag.events import ProgressCallback, ProgressEvent, ignore_progress
from reelrag.generation.base import (
    Generator,
    ResolvedRequest,
    VideoOutput,
    resolve_request,
)
from reelrag.media import fit as imaging
from reelrag.media import video
from reelrag.plugins import registry
from reelrag.retrieval import best_matches
from reelrag.settings import Settings
from reelrag.storage import atomic_write_bytes, check_replaceable
from reelrag.types import Asset, GenerationRequest, GenerationResult, SearchHit

if TYPE_CHECKING:
    from reelrag.library import Library

log = logging.getLogger(__name__)

__all__ = [
    "OutputPaths",
    "Prepared",
    "build_request",
    "finalize",
    "generate",
    "output_paths",
    "prepare",
]

CAMERA_KEYS = ("move", "speed", "easing", "atmosphere")  # the camera engine's explicit controls
# Every explicit control a request may carry in its options: camera moves, then framing
# (--fit, --focus) and the output check's re-generations (--qa-retry).
CONTROL_KEYS = (*CAMERA_KEYS, "fit", "focus", "qa_retry")


def build_request(
    prompt: str,
    *,
    image: str | None = None,
    asset_id: str | None = None,
    object_query: str | None = None,
    controls: dict[str, Any] | None = None,
    edit: EditPlan | None = None,
    **fields: Any,
) -> GenerationRequest:
    """The one way the CLI, the web app and batch planning build a :class:`GenerationRequest`.

    At most one image source (``image``, ``asset_id`` or ``object_query`` for retrieval);
    ``controls`` holds the explicit controls (:data:`CONTROL_KEYS`), ``edit`` the edit step
    to run on the fitted image; ``fields`` are the request's own (width, height, duration_s,
    fps, seed, negative_prompt, backend, model).

    >>> build_request("pan left", image="a.jpg", controls={"speed": "slow"}).options
    {'speed': 'slow'}
    """
    given = [n for n, v in (("image", image), ("asset", asset_id), ("object", object_query)) if v]
    if len(given) > 1:
        raise InputError(
            f"give only one image source, not {' and '.join(given)}",
            hint="an image file, a library asset id, or an object to retrieve",
        )
    if not prompt or not prompt.strip():
        raise InputError("the prompt is empty", hint='describe the motion, e.g. "camera pans left"')
    unknown = set(controls or {}) - set(CONTROL_KEYS)
    if unknown:
        raise InputError(f"unknown control(s): {', '.join(sorted(unknown))}")
    options: dict[str, Any] = {k: v for k, v in (controls or {}).items() if v is not None}
    if edit is not None:
        options[EDIT_OPTION] = edit.to_dict()
    return GenerationRequest(
        prompt=prompt, image=image, asset_id=asset_id, options=options, **fields
    )


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


def prepare(
    request: GenerationRequest,
    settings: Settings,
    *,
    library: Library | None = None,
    object_query: str | None = None,
    generator: Generator | None = None,
) -> Prepared:
    """Resolve the generator, seed and image, validating the request before any work.

    ``object_query`` retrieves the best library image for an object ("red shoes") and raises
    :class:`NoMatchError` when nothing clears the score threshold.
    """
    started = time.perf_counter()
    gen = generator or registry.create("generator", request.backend or settings.generator, settings)
    seed = request.seed if request.seed is not None else random.SystemRandom().randrange(2**31)
    wants_image = bool(request.image or request.asset_id or object_query)
    probe_request = request.replace(image=request.image or ("library" if wants_image else None))
    resolved = resolve_request(probe_request, gen.capabilities, seed, settings)
    resolved = ResolvedRequest(request.replace(seed=seed), *_dims(resolved), resolved.adjustments)
    prepared = Prepared(
        resolved=resolved, generator=gen, settings=settings, qa_check=settings.qa_check
    )
    prepared.qa_retries = _qa_retries(request, gen, settings)
    if wants_image:
        _resolve_image(prepared, settings, library, object_query)
        _fit(prepared, settings)
    prepared.timings["prepare_s"] = round(time.perf_counter() - started, 4)
    return prepared


def _qa_retries(request: GenerationRequest, generator: Generator, settings: Settings) -> int:
    """Re-generations allowed when the QA check fails: none for the camera engine (the same
    request renders the same clip), else the request's ``qa_retry`` option or the setting."""
    if generator.name == "camera" or not settings.qa_check:
        return 0
    raw = request.options.get("qa_retry", settings.qa_retries)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = -1
    if not 0 <= value <= 5:
        raise InputError(f"qa retry {raw!r} is not 0..5", hint="e.g. --qa-retry 2")
    return value


def _dims(resolved: ResolvedRequest) -> tuple[int, int, float, int, int, int]:
    r = resolved
    return (r.width, r.height, r.duration_s, r.fps, r.seed, r.frames)


def _resolve_image(
    prepared: Prepared, settings: Settings, library: Library | None, object_query: str | None
) -> None:
    request = prepared.resolved.request
    if request.image:
        from reelrag.media.decode import decode_file  # lazy: keeps `import pipeline` light

        path = Path(request.image).expanduser()
        decoded, digest = decode_file(path, max_pixels=settings.max_image_pixels)
        prepared.source, prepared.source_sha256 = str(path), digest
        prepared.source_file = str(path)
        prepared.image = decoded.image.convert("RGB")
        return
    if library is None:
        raise InputError(
            "an asset or object query needs a library", hint="run `reelrag ingest PATH` first"
        )
    asset_id = request.asset_id or _retrieve(prepared, settings, library, object_query or "")
    asset = prepared.asset = library.get(asset_id)  # ids may be given as a prefix
    prepared.source, prepared.source_sha256 = f"asset:{asset.id}", asset.id
    original = Path(asset.source) if "://" not in asset.source else None
    local = original if original and original.is_file() else library.image_path(asset.id)
    prepared.source_file = str(local) if local else None
    prepared.image = library.image(asset.id).convert("RGB")


def _retrieve(prepared: Prepared, settings: Settings, library: Library, query: str) -> str:
    prepared.hit = best_matches(library, query, settings)[0]
    return prepared.hit.asset.id


def _fit(prepared: Prepared, settings: Settings) -> None:
    from reelrag.generation.framing import fit_for  # lazy: keeps `import pipeline` light

    assert prepared.image is not None
    framed = fit_for(prepared.generator, prepared.resolved, prepared.image, settings)
    job = prepared.resolved = dataclasses.replace(
        framed.job, adjustments=framed.job.adjustments + tuple(framed.adjustments)
    )
    prepared.framing = framed.details
    # Optional edit (in-painting) of the fitted canvas, with the user's mask carried through
    # the fit transform so the edited region is where the user drew it.
    fitted, prepared.edit = edit_from_options(framed.fitted, job.request.options, settings)
    prepared.fitted = fitted
    prepared.image = fitted.canvas


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


def generate(
    request: GenerationRequest,
    settings: Settings,
    *,
    library: Library | None = None,
    object_query: str | None = None,
    out: Path | None = None,
    overwrite: bool = False,
    generator: Generator | None = None,
    progress: ProgressCallback = ignore_progress,
) -> GenerationResult:
    """Prepare, render and finalize one video.

    >>> # generate(GenerationRequest(prompt="slow zoom in", image="photo.jpg"), load_settings())
    """
    prepared = prepare(
        request, settings, library=library, object_query=object_query, generator=generator
    )
    paths = output_paths(settings, out, default_stem(prepared))
    check_outputs(paths, overwrite, input_files(prepared))
    paths.video.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    def report(fraction: float, message: str) -> None:
        progress(ProgressEvent("generate", round(fraction * 100), 100, message))

    def render() -> VideoOutput:
        job, image = prepared.resolved, prepared.image
        return prepared.generator.generate(job, image, paths.video, report)

    result = render_checked(prepared, paths, render)
    timings = {"generate_s": round(time.perf_counter() - started, 4)}
    log.info("wrote %s in %.2fs (%s)", paths.video, timings["generate_s"], result.qa or "no QA")
    return result
