"""The columns of a rows file: each record's cells validated and converted into
:class:`~reelrag.batch.rows.BatchRow` fields (aliases, numbers, output names, the optional
edit step).
"""

from __future__ import annotations

import re
from typing import Any

from reelrag.errors import InputError

EDIT_COLUMNS = ("mask", "box", "polygon", "mask_prompt", "edit_prompt", "edit_negative_prompt",
                "edit_backend", "edit_variants", "edit_variant")  # fmt: skip
COLUMNS = ("object", "action", "prompt", "image", "asset", "backend", "seed", "duration",
           "output", *EDIT_COLUMNS)  # fmt: skip
ALIASES = {"asset_id": "asset", "duration_s": "duration", "template": "prompt", "name": "output",
           "boxes": "box"}  # fmt: skip
_OUTPUT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def row_fields(record: Any, where: str) -> dict[str, Any]:
    """Validate and convert one record's columns to BatchRow fields."""
    if not isinstance(record, dict):
        raise InputError(
            f"{where}: expected a mapping of columns, got {type(record).__name__}",
            hint=f"columns are {', '.join(COLUMNS)}",
        )
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = ALIASES.get(str(key).strip().lower(), str(key).strip().lower())
        if name not in COLUMNS:
            raise InputError(f"{where}: unknown column {key!r}", hint=f"use {', '.join(COLUMNS)}")
        if name == "box" and isinstance(value, list | tuple):
            out[name] = value  # JSON/YAML: a list of boxes
            continue
        text = None if value is None else str(value).strip()
        if text:
            out[name] = text
    return _convert_fields(out, where)


def _convert_fields(fields: dict[str, Any], where: str) -> dict[str, Any]:
    if "seed" in fields:
        fields["seed"] = _number(fields["seed"], int, "seed", where)
    if "duration" in fields:
        fields["duration_s"] = _number(fields.pop("duration"), float, "duration", where)
    if "asset" in fields:
        fields["asset_id"] = fields.pop("asset")
    output = fields.get("output")
    if output is not None and not _OUTPUT_NAME.fullmatch(output):
        raise InputError(
            f"{where}: output name {output!r} is not a plain file name",
            hint="use letters, digits, '.', '_' or '-' (up to 100)",
        )
    if fields.get("image") and fields.get("asset_id"):
        raise InputError(f"{where}: set image or asset, not both", hint="keep one of them")
    edit = _edit_plan({k: fields.pop(k) for k in EDIT_COLUMNS if k in fields}, where)
    if edit is not None:
        fields["edit"] = edit
    return fields


def _edit_plan(cells: dict[str, Any], where: str) -> dict[str, Any] | None:
    """The row's edit step as an ``options["edit"]`` plan, or None when the row has none."""
    if not cells:
        return None
    from reelrag.editing.base import EditRequest  # lazy: plain template batches stay light
    from reelrag.editing.masks import MaskSpec
    from reelrag.editing.step import edit_options

    spec = MaskSpec(mask=cells.get("mask"), boxes=_boxes(cells.get("box"), where),
                    polygon=cells.get("polygon"))  # fmt: skip
    if spec.is_empty() and not cells.get("mask_prompt"):
        raise InputError(
            f"{where}: {', '.join(sorted(cells))} set but no region to edit",
            hint="add mask, box, polygon or mask_prompt to the row",
        )
    variants = cells.get("edit_variants")
    variant = cells.get("edit_variant")
    request = EditRequest(
        prompt=cells.get("edit_prompt"), negative_prompt=cells.get("edit_negative_prompt"),
        mask_prompt=cells.get("mask_prompt"), backend=cells.get("edit_backend"),
        variants=_number(variants, int, "edit_variants", where) if variants else 1,
    )  # fmt: skip
    chosen = _number(variant, int, "edit_variant", where) if variant else None
    return edit_options(spec, request, chosen)


def _boxes(value: Any, where: str) -> tuple[str, ...]:
    """Boxes from a cell ("x,y,w,h" or several joined by ";") or a JSON/YAML list of boxes
    (each "x,y,w,h" or [x, y, w, h]); each is checked now, so a typo names its line."""
    from reelrag.editing.masks import parse_box

    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else str(value).split(";")
    boxes = []
    for item in items:
        text = ",".join(str(v) for v in item) if isinstance(item, list | tuple) else str(item)
        if not text.strip():
            continue
        try:
            boxes.append("{},{},{},{}".format(*parse_box(text)))
        except InputError as err:
            raise InputError(f"{where}: {err.message}", hint=err.hint) from err
    return tuple(boxes)


def _number(text: str, kind: type, name: str, where: str) -> Any:
    try:
        value = kind(text)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{where}: {name} {text!r} is not a number", hint=f"fix the {name}"
        ) from exc
    if value < 0 or value != value:
        raise InputError(f"{where}: {name} must be positive", hint=f"fix the {name}")
    return value
