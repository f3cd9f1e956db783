"""The VRAG recipe: check inputs -> resolve the image (path, asset or retrieval) -> fit -> [edit] ->
generate -> poster + manifest.

Each step is a public function so the job worker can run them separately:
:func:`prepare` (validates before any work), :func:`output_paths`, then the generator's own
``generate`` (or submit/poll/collect for remote ones), then :func:`finalize`. :func:`generate` runs
all of them in one call.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reelrag.editing.step import EDIT_OPTION, EditPlan, edit_from_options
from reelrag.errors import InputError
from reelrag.events import ProgressCallback, ProgressEvent, ignore_progress
from reelrag.finishing import (  # re-exported: the pipeline's public steps
    OutputPaths,
    Prepared,
    check_outputs,
    default_stem,
    finalize,
    input_files,
    output_paths,
    render_checked,
)
from reelrag.generation.base import (
    Generator,
    ResolvedRequest,
    VideoOutput,
    resolve_request,
)
from reelrag.plugins import registry
from reelrag.retrieval import best_matches
from reelrag.settings import Settings
from reelrag.types import GenerationRequest, GenerationResult

if TYPE_CHECKING:
    from reelrag.library import Library

log = logging.getLogger(__name__)

__all__ = [
    "OutputPaths",
    "Prepared",
    "build_request",
    "check_outputs",
    "default_stem",
    "finalize",
    "generate",
    "input_files",
    "output_paths",
    "prepare",
    "render_checked",
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
