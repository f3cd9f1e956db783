"""Edit plans in batch rows: make their paths absolute and check them before any job runs.

A plan is the JSON-ready ``options["edit"]`` object of :class:`reelrag.editing.run.EditPlan`
(mask spec, edit request, chosen variant). A batch file's rows carry plans whose mask and polygon
paths are relative to the prompts file; :func:`resolve_edit_plan` anchors them (and fixes the
seed) and :func:`check_edit_plan` refuses what cannot run, so one bad row fails alone, at
planning, with a one-line reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from reelrag.editing.base import check_edit_request
from reelrag.editing.masks import build_mask, load_polygons, parse_box
from reelrag.editing.run import make_editor
from reelrag.editing.step import EditPlan
from reelrag.errors import InputError
from reelrag.settings import Settings

__all__ = ["check_edit_plan", "oriented_size", "resolve_edit_plan"]


def resolve_edit_plan(
    plan: dict[str, Any], base_dir: Path | None, seed: int | None = None
) -> dict[str, Any]:
    """A copy of an edit plan with relative mask/polygon paths made absolute against
    ``base_dir`` (a batch file's folder) and, when the request has none, ``seed`` filled in, so
    a job edits the same way wherever and however often it runs."""
    parsed = EditPlan.parse(plan)
    spec, request = parsed.mask, parsed.request
    if base_dir is not None:
        spec = spec.replace(
            mask=_under(spec.mask, base_dir), polygon=_under(spec.polygon, base_dir)
        )
    if request.seed is None and seed is not None:
        request = request.replace(seed=seed)
    return EditPlan(spec, request, parsed.variant).to_dict()


def _under(path: str | None, base_dir: Path) -> str | None:
    if not path or Path(path).expanduser().is_absolute():
        return path
    return str(base_dir / path)


def check_edit_plan(
    plan: dict[str, Any], settings: Settings, image_size: tuple[int, int] | None = None
) -> None:
    """Refuse an edit plan that cannot run, before any job starts (batch planning).

    Checks the editor exists and can honour the request, the mask source is exactly one, and
    the mask file / polygon file / boxes are valid. With ``image_size`` (a local image) the mask
    is built at that size (shape, bounds, coverage); without it, a mask file is checked at its
    own size and boxes and polygons for syntax only.
    """
    parsed = EditPlan.parse(plan)
    spec, request = parsed.mask, parsed.request
    editor = make_editor(request, settings)
    if bool(request.mask_prompt) == (not spec.is_empty()):
        raise InputError(
            "an edit needs exactly one region: mask, box(es), polygon or mask_prompt",
            hint="set one of mask, box, polygon or mask_prompt in the row",
        )
    check_edit_request(request, editor.capabilities)
    variant = parsed.variant
    if variant is not None and not 1 <= variant <= request.variants:
        raise InputError(f"edit variant {variant} does not exist (1..{request.variants})")
    if spec.is_empty():
        return
    threshold = int(settings.mask_threshold)
    if image_size is not None:
        build_mask(spec, image_size, threshold=threshold)
    elif spec.mask:
        build_mask(spec, _picture_size(Path(spec.mask)), threshold=threshold)
    elif spec.polygon:
        load_polygons(Path(spec.polygon))
    else:
        for box in spec.boxes:
            parse_box(box)


def _picture_size(path: Path) -> tuple[int, int]:
    try:
        with Image.open(path) as im:
            return im.size
    except FileNotFoundError as exc:
        raise InputError(
            f"mask {path} does not exist", hint="a row's mask path is relative to the prompts file"
        ) from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(
            f"mask {path} is not a readable image: {exc}", hint="save the mask as PNG"
        ) from exc


def oriented_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of a picture as ReelRAG decodes it (EXIF rotation applied); None when
    PIL cannot read it here (the image check reports that, or the decoder knows the format)."""
    try:
        with Image.open(path) as im:
            width, height = im.size
            orientation = im.getexif().get(0x0112, 1)  # EXIF Orientation
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)
