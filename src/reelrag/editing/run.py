"""The in-painting recipe: check inputs -> load image and mask -> edit -> write outputs.

:func:`inpaint` serves ``reelrag inpaint``: it writes, into one folder, every kept variant
(``variant-N.png``), the exact mask used (``mask.png``, white = edit, the image's size), an
optional side-by-side ``preview.png`` and, last, ``manifest.json`` (request, source hash, mask
report, backend, model, seed, per-variant status and seam score, timings). The video
pipeline's edit step (:mod:`reelrag.editing.step`) reuses its editor, mask and seam scoring.
"""

from __future__ import annotations

import io
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from PIL import Image, ImageDraw

from reelrag.editing.base import Editor, EditRequest, EditResult
from reelrag.editing.masks import (
    MaskBuild,
    MaskSpec,
    build_mask,
)
from reelrag.errors import InputError, OutputExistsError
from reelrag.plugins import registry
from reelrag.settings import Settings
from reelrag.storage import atomic_write_bytes, check_replaceable
from reelrag.types import Record

if TYPE_CHECKING:
    from reelrag.library import Library

log = logging.getLogger(__name__)

__all__ = [
    "InpaintResult",
    "inpaint",
    "make_editor",
    "mask_for",
    "preview_image",
    "score_variants",
]

PREVIEW_HEIGHT_PX = 256


@dataclass(frozen=True)
class InpaintResult(Record):
    """Where one ``inpaint`` wrote its files, and which variant scored best."""

    folder: str
    manifest: str
    mask: str | None
    variants: tuple[str, ...]
    blocked: tuple[str, ...]
    preview: str | None
    best: int | None
    backend: str
    model: str
    seed: int | None
    elapsed_s: float


@dataclass(frozen=True)
class _Source:
    image: Image.Image
    label: str  # a path, or "asset:<id>"
    sha256: str
    stem: str
    path: Path | None


def make_editor(request: EditRequest, settings: Settings) -> Editor:
    """The editor the request (or else the settings) names."""
    editor: Editor = registry.create("editor", request.backend or settings.editor, settings)
    return editor


def inpaint(
    image: str | Path | None,
    mask_spec: MaskSpec,
    request: EditRequest,
    settings: Settings,
    *,
    asset_id: str | None = None,
    library: Library | None = None,
    out: Path | None = None,
    overwrite: bool = False,
    preview: bool = False,
    editor: Editor | None = None,
) -> InpaintResult:
    """Edit one image (a path or a library asset) and write variants, mask, preview, manifest.

    >>> # inpaint("shot.jpg", MaskSpec(boxes=("40,60,120,80",)), EditRequest(), load_settings())
    """
    started = time.perf_counter()
    editor = editor or make_editor(request, settings)
    source = _load_source(image, asset_id, library, settings)
    built = mask_for(mask_spec, request, source.image.size, settings)
    folder = _out_folder(settings, out, source.stem)
    names = _output_names(request.variants, preview)
    _check_outputs(folder, names, overwrite, source.path)
    result = editor.edit(source.image, built.mask if built else None, request)
    best = score_variants(result, source.image, built.mask if built else None)
    files = _write_outputs(folder, source, built, result, preview)
    elapsed = round(time.perf_counter() - started, 4)
    manifest = _manifest(source, mask_spec, built, request, result, best, files, elapsed)
    manifest["provenance"] = _sign_variants(folder, source, result, settings)
    manifest_path = folder / "manifest.json"
    atomic_write_bytes(manifest_path, json.dumps(manifest, indent=2, default=str).encode("utf-8"))
    return InpaintResult(
        folder=str(folder),
        manifest=str(manifest_path),
        mask=str(folder / files["mask"]) if files.get("mask") else None,
        variants=tuple(str(folder / v.file) for v, _ in result.kept if v.file),
        blocked=tuple(f"variant {v.index}: {v.blocked}" for v in result.variants if v.blocked),
        preview=str(folder / files["preview"]) if files.get("preview") else None,
        best=best,
        backend=result.backend,
        model=result.model,
        seed=result.seed,
        elapsed_s=elapsed,
    )


def _load_source(
    image: str | Path | None, asset_id: str | None, library: Library | None, settings: Settings
) -> _Source:
    if (image is None) == (asset_id is None):
        raise InputError(
            "give exactly one of IMAGE and --asset", hint="e.g. reelrag inpaint shot.jpg"
        )
    if asset_id is not None:
        if library is None:
            raise InputError("--asset needs a library", hint="run `reelrag ingest PATH` first")
        asset = library.get(asset_id)
        picture = library.image(asset.id).convert("RGB")
        return _Source(picture, f"asset:{asset.id}", asset.id, asset.id[:12], None)
    path = Path(str(image)).expanduser()
    from reelrag.media.decode import decode_file  # lazy: the decoder pulls HEIC support

    decoded, digest = decode_file(path, max_pixels=settings.max_image_pixels, option="IMAGE")
    return _Source(decoded.image.convert("RGB"), str(path), digest, path.stem, path)


def mask_for(
    spec: MaskSpec, request: EditRequest, size: tuple[int, int], settings: Settings
) -> MaskBuild | None:
    if request.mask_prompt:
        if not spec.is_empty():
            raise InputError("give either a drawn mask or --mask-prompt, not both")
        return None
    if spec.is_empty():
        raise InputError(
            "no mask given", hint="pass --mask FILE, --box x,y,w,h, --polygon FILE or --mask-prompt"
        )
    return build_mask(spec, size, threshold=int(settings.mask_threshold))


def _out_folder(settings: Settings, out: Path | None, stem: str) -> Path:
    if out is not None:
        return Path(out).expanduser()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    base = Path(settings.outputs_dir) / "edits" / f"{stem}-{stamp}"
    folder, n = base, 1
    while folder.exists():  # two edits of one image in the same second get their own folders
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    return folder


def _output_names(variants: int, preview: bool) -> list[str]:
    names = [f"variant-{i}.png" for i in range(1, variants + 1)] + ["mask.png", "manifest.json"]
    return [*names, "preview.png"] if preview else names


def _check_outputs(folder: Path, names: list[str], overwrite: bool, source: Path | None) -> None:
    if folder.exists() and not folder.is_dir():
        raise OutputExistsError(
            f"{folder} exists and is not a folder", hint="pass another --out DIR"
        )
    inputs = [source] if source is not None else []
    check_replaceable(
        (folder / name for name in names), overwrite=overwrite, inputs=inputs, out_hint="--out DIR"
    )


def score_variants(
    result: EditResult, original: Image.Image, mask: Image.Image | None
) -> int | None:
    """Give each kept variant a seam score and return the best one's index (lowest seam).

    The score is the mean gradient magnitude on the mask's boundary band: a fill that blends
    into its surroundings leaves no edge there. Without a drawn mask the first kept one wins.
    """
    kept = result.kept
    if not kept:
        return None
    if mask is None:
        return kept[0][0].index
    band = _boundary_band(np.asarray(mask))
    for i, (variant, picture) in enumerate(zip(result.variants, result.images, strict=True)):
        if picture is not None:
            result.variants[i] = variant.replace(score=round(_seam(picture, band), 4))
    scored = [v for v in result.variants if v.score is not None]
    return min(scored, key=lambda v: (v.score, v.index)).index


def _boundary_band(mask: np.ndarray) -> np.ndarray:
    kernel = np.ones((3, 3), np.uint8)
    return (cv2.dilate(mask, kernel, iterations=2) > 0) & (
        cv2.erode(mask, kernel, iterations=2) == 0
    )


def _seam(picture: Image.Image, band: np.ndarray) -> float:
    gray = cv2.cvtColor(np.asarray(picture.convert("RGB")), cv2.COLOR_RGB2GRAY).astype(np.float32)
    magnitude = cv2.magnitude(cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1))
    return float(magnitude[band].mean()) if band.any() else 0.0


def _write_outputs(
    folder: Path, source: _Source, built: MaskBuild | None, result: EditResult, preview: bool
) -> dict[str, str]:
    files: dict[str, str] = {}
    for i, (variant, picture) in enumerate(zip(result.variants, result.images, strict=True)):
        if picture is not None:
            name = f"variant-{variant.index}.png"
            _save_png(picture, folder / name)
            result.variants[i] = variant.replace(file=name)
    if built is not None:
        files["mask"] = "mask.png"
        _save_png(built.mask, folder / "mask.png")
    if preview:
        files["preview"] = "preview.png"
        mask = built.mask if built else None
        _save_png(
            preview_image(source.image, mask, [im for _, im in result.kept]), folder / "preview.png"
        )
    return files


def _sign_variants(
    folder: Path, source: _Source, result: EditResult, settings: Settings
) -> dict[str, Any]:
    """Content Credentials on each variant (its source photo as the parent ingredient)."""
    if not settings.sign_outputs:
        return {"signed": False, "reason": "--no-sign"}
    from reelrag.provenance import sign_image  # lazy: c2pa loads only to sign

    photo = str(source.path) if source.path else None
    return {
        v.file: sign_image(
            folder / v.file, settings, source=photo, editor=result.backend, model=result.model
        )
        for v, _ in result.kept
        if v.file
    }


def _save_png(picture: Image.Image, path: Path) -> None:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    atomic_write_bytes(path, buffer.getvalue())


def preview_image(
    original: Image.Image, mask: Image.Image | None, variants: list[Image.Image]
) -> Image.Image:
    """Original | mask overlay (red) | each variant, side by side at one height, labelled."""
    panels = [("original", original.convert("RGB"))]
    if mask is not None:
        tint = Image.new("RGB", original.size, (255, 0, 0))
        overlay = Image.composite(
            Image.blend(original.convert("RGB"), tint, 0.55), original.convert("RGB"), mask
        )
        panels.append(("mask", overlay))
    panels += [(f"variant {i}", v) for i, v in enumerate(variants, 1)]
    scale = PREVIEW_HEIGHT_PX / original.height
    width = max(1, round(original.width * scale))
    sheet = Image.new(
        "RGB", (width * len(panels) + 4 * (len(panels) - 1), PREVIEW_HEIGHT_PX), "white"
    )
    draw = ImageDraw.Draw(sheet)
    for n, (label, picture) in enumerate(panels):
        x = n * (width + 4)
        sheet.paste(picture.resize((width, PREVIEW_HEIGHT_PX), Image.Resampling.LANCZOS), (x, 0))
        draw.rectangle((x, 0, x + 7 * len(label) + 6, 14), fill="black")
        draw.text((x + 3, 2), label, fill="white")
    return sheet


def _manifest(
    source: _Source,
    spec: MaskSpec,
    built: MaskBuild | None,
    request: EditRequest,
    result: EditResult,
    best: int | None,
    files: dict[str, str],
    elapsed_s: float,
) -> dict[str, Any]:
    return {
        "reelrag_edit_manifest": 1,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": {
            "path_or_asset": source.label,
            "sha256": source.sha256,
            "size": list(source.image.size),
        },
        "request": request.to_dict(),
        "mask": {
            "spec": spec.to_dict(),
            "file": files.get("mask"),
            "report": built.report if built else {"source": "mask_prompt"},
        },
        **result.to_dict(),
        "best": best,
        "preview": files.get("preview"),
        "elapsed_s": elapsed_s,
    }
