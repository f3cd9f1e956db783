"""Batch prompt files -> rows -> a plan (retrieval, estimates) -> durable job specs.

Two file kinds:

* **templates** (any extension but the ones below): one prompt template per line with the literal
  placeholders ``<object_prompt>`` and ``<action_prompt>`` (either may be absent); blank lines and
  ``#`` comments are ignored; the object and action come from ``--object`` / ``--action``.
* **rows**: CSV (``.csv``), JSON Lines (``.jsonl``/``.ndjson``), JSON (``.json``, a list) or YAML
  (``.yaml``/``.yml``, a list or ``{rows: [...]}``) where each row may set ``object``, ``action``,
  ``prompt`` (a template or a literal prompt), ``image``, ``asset``, ``backend``, ``seed``,
  ``duration`` and ``output``; ``--object``/``--action`` fill what a row leaves empty. A row may
  also edit its image before animating it: a region (``mask``: a mask image path, ``box``: one or
  several "x,y,w,h" -- ";"-separated in CSV, a list in JSON/YAML --, ``polygon``: a polygon JSON
  path, or ``mask_prompt``) and ``edit_prompt``, ``edit_negative_prompt``, ``edit_backend``,
  ``edit_variants``, ``edit_variant``. Paths are relative to the prompts file. The edit becomes
  ``options["edit"]`` of the row's request (:func:`reelrag.editing.run.edit_options`); files are
  checked when the batch is planned, so a bad mask fails that row alone.

Joining rules (:func:`fill_template`), designed so template and values read as one sentence:

1. Values are trimmed and their inner whitespace collapsed.
2. A value's trailing period is dropped when the template puts punctuation right after it
   ("<action_prompt>." with "Camera pans down." gives one period); after a value ending in
   ``!`` or ``?`` the template's period is dropped.
3. A value that starts a sentence gets a capital first letter. An *action* placed mid-sentence in
   sentence case ("Camera pans down") is lower-cased ("... where camera pans down"); objects keep
   their case mid-sentence (they may be names: "Eiffel Tower").
4. An empty value leaves no stray spaces or punctuation: spaces before punctuation go, doubled
   periods collapse (an ellipsis "..." stays), leading punctuation goes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelrag.errors import InputError
from reelrag.types import Record

OBJECT = "<object_prompt>"
ACTION = "<action_prompt>"
DEFAULT_TEMPLATE = f"{OBJECT}. {ACTION}"
MAX_FILE_BYTES = 5_000_000
MAX_ROWS = 10_000
ROW_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
               ".yaml": "yaml", ".yml": "yaml"}  # fmt: skip
EDIT_COLUMNS = ("mask", "box", "polygon", "mask_prompt", "edit_prompt", "edit_negative_prompt",
                "edit_backend", "edit_variants", "edit_variant")  # fmt: skip
COLUMNS = ("object", "action", "prompt", "image", "asset", "backend", "seed", "duration",
           "output", *EDIT_COLUMNS)  # fmt: skip
ALIASES = {"asset_id": "asset", "duration_s": "duration", "template": "prompt", "name": "output",
           "boxes": "box"}  # fmt: skip
_OUTPUT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_BRACKETED = re.compile(r"[<{\[]\s*[A-Za-z][A-Za-z _-]{0,30}\s*[>}\]]")
_BARE = re.compile(r"(?<![<\w])(object_prompt|action_prompt)(?![>\w])")


@dataclass(frozen=True)
class BatchRow(Record):
    """One row of a batch: the filled prompt and what the row sets (None = the default)."""

    line: int  # line (templates, CSV, JSONL) or item number (JSON, YAML), from 1
    prompt: str
    template: str = ""
    object: str | None = None
    action: str | None = None
    image: str | None = None
    asset_id: str | None = None
    backend: str | None = None
    seed: int | None = None
    duration_s: float | None = None
    output: str | None = None
    edit: dict[str, Any] | None = None  # options["edit"] plan; paths as written in the file


# -- joining -------------------------------------------------------------------------------


def fill_template(
    template: str, object_text: str | None = None, action_text: str | None = None
) -> str:
    """Fill the placeholders of ``template`` following the module's joining rules.

    >>> T = "A photo of <object_prompt>. <action_prompt>."
    >>> fill_template(T, "red shoes", "Camera pans down.")
    'A photo of red shoes. Camera pans down.'
    >>> fill_template("<object_prompt> while <action_prompt>", "red shoes", "Camera pans down.")
    'Red shoes while camera pans down.'
    """
    parts = re.split(f"({re.escape(OBJECT)}|{re.escape(ACTION)})", template)
    out = ""
    for i, part in enumerate(parts):
        if part not in (OBJECT, ACTION):
            out += part
            continue
        value = _squash(object_text if part == OBJECT else action_text)
        following = parts[i + 1] if i + 1 < len(parts) else ""
        value, parts[i + 1 : i + 2] = _join_punctuation(value, following, i + 1 < len(parts))
        out += _case(value, out, is_action=part == ACTION)
    return _tidy(out)


def _squash(value: str | None) -> str:
    return " ".join((value or "").split())


def _join_punctuation(value: str, following: str, has_following: bool) -> tuple[str, list[str]]:
    """Rule 2: one mark where value and template meet."""
    nxt = following.lstrip()
    tail = [following] if has_following else []
    ends_strong = value.endswith(("!", "?", "..."))
    if ends_strong and nxt.startswith(".") and not nxt.startswith("..."):
        tail = [following.replace(".", "", 1)]
    elif value.endswith(".") and not ends_strong and nxt[:1] in tuple(".,;:!?"):
        value = value[:-1]
    return value, tail


def _case(value: str, before: str, *, is_action: bool) -> str:
    """Rule 3: capital at a sentence start; sentence-case actions lower-cased mid-sentence."""
    if not value:
        return value
    if not before.strip() or before.rstrip().endswith((".", "!", "?")):
        return value[0].upper() + value[1:]
    if is_action and _sentence_case(value):
        return value[0].lower() + value[1:]
    return value


def _sentence_case(value: str) -> bool:
    words = value.split()
    first_ok = re.fullmatch(r"[A-Z][a-z'’-]*[,.;:!?]?", words[0]) is not None
    return first_ok and not any(c.isupper() for w in words[1:] for c in w)


def _tidy(text: str) -> str:
    """Rule 4: no stray spaces or punctuation where a value was empty."""
    text = " ".join(text.split())
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    text = re.sub(r"(?<!\.)\.\.(?!\.)", ".", text)
    text = re.sub(r",([.!?])", r"\1", text)
    text = re.sub(r"[,;:]+([.!?])", r"\1", text)
    return text.lstrip(" .,;:").strip()


def check_template(template: str, where: str) -> None:
    """Refuse misspelled placeholders (``<object-prompt>``, ``{action_prompt}``, bare names)."""
    for match in _BRACKETED.finditer(template):
        token = match.group(0)
        letters = re.sub(r"[^a-z]", "", token.lower())
        if token in (OBJECT, ACTION) or not ("object" in letters or "action" in letters):
            continue
        guess = OBJECT if "object" in letters else ACTION
        raise InputError(
            f"{where}: unknown placeholder {token!r}",
            hint=f"did you mean {guess}? (exact spelling)",
        )
    bare = _BARE.search(template)
    if bare:
        raise InputError(
            f"{where}: placeholder {bare.group(1)!r} lacks its angle brackets",
            hint=f"write <{bare.group(1)}>",
        )


# -- reading files -------------------------------------------------------------------------


def read_prompt_file(
    path: Path | str,
    *,
    object_text: str | None = None,
    action_text: str | None = None,
) -> list[BatchRow]:
    """Parse a templates file or a rows file (chosen by extension) into rows.

    Raises :class:`InputError` with the file, line and what to change on any problem.
    """
    path = Path(path)
    text = _read_text(path)
    fmt = ROW_FORMATS.get(path.suffix.lower(), "templates")
    if fmt == "templates":
        rows = parse_templates(text, object_text, action_text, source=path.name)
    else:
        rows = parse_records(_records(text, fmt, path.name), object_text, action_text, path.name)
    if not rows:
        raise InputError(f"{path} has no prompts", hint="write one prompt template per line")
    return rows


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"{path} is {size:,} bytes; prompt files are limited to {MAX_FILE_BYTES:,}",
                hint="split it into several batches",
            )
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"prompts file {path} does not exist", hint="check the path") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path} is a folder", hint="pass a prompts file") from exc
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", hint="check the file") from exc
    return decode_text(data, str(path))


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 text (a BOM is allowed); binary or other encodings are refused with a clear line."""
    if b"\x00" in data[:8192]:
        raise InputError(f"{name} looks binary, not a text file", hint="pass a UTF-8 prompts file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            hint="save it as UTF-8",
        ) from exc


def parse_templates(
    text: str, object_text: str | None, action_text: str | None, *, source: str = "prompts"
) -> list[BatchRow]:
    """Rows from a templates file's text: one template per non-blank, non-comment line."""
    rows: list[BatchRow] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source} line {number}"
        _check_count(len(rows), source)
        rows.append(_make_row(number, where, line, object_text, action_text, {}))
    return rows


def parse_records(
    records: list[tuple[int, Any]],
    object_text: str | None,
    action_text: str | None,
    source: str = "rows",
) -> list[BatchRow]:
    """Rows from (line, mapping) records of a CSV, JSON Lines, JSON or YAML file."""
    rows: list[BatchRow] = []
    names: set[str] = set()
    for number, record in records:
        where = f"{source} line {number}"
        _check_count(len(rows), source)
        fields = _fields(record, where)
        obj = fields.pop("object", None) or object_text
        act = fields.pop("action", None) or action_text
        template = fields.pop("prompt", None) or _default_template(obj, act)
        row = _make_row(number, where, template, obj, act, fields)
        if row.output is not None:
            if row.output in names:
                raise InputError(
                    f"{where}: output name {row.output!r} is used twice",
                    hint="give each row its own output name",
                )
            names.add(row.output)
        rows.append(row)
    return rows


def _default_template(obj: str | None, act: str | None) -> str:
    return DEFAULT_TEMPLATE if obj or act else ""


def _make_row(
    number: int, where: str, template: str, obj: str | None, act: str | None, extra: dict[str, Any]
) -> BatchRow:
    check_template(template, where)
    for placeholder, value, flag in ((OBJECT, obj, "--object"), (ACTION, act, "--action")):
        if placeholder in template and not (value or "").strip():
            raise InputError(
                f"{where} uses {placeholder} but no value is given",
                hint=f"pass {flag} (or set it in the row)",
            )
    prompt = fill_template(template, obj, act)
    if not prompt:
        raise InputError(f"{where}: the row has no prompt", hint="set prompt, object or action")
    return BatchRow(line=number, prompt=prompt, template=template, object=obj or None,
                    action=act or None, **extra)  # fmt: skip


def _check_count(count: int, source: str) -> None:
    if count >= MAX_ROWS:
        raise InputError(f"{source} has more than {MAX_ROWS:,} rows", hint="split it into batches")


def _fields(record: Any, where: str) -> dict[str, Any]:
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
    from reelrag.editing.run import edit_options

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


def _records(text: str, fmt: str, source: str) -> list[tuple[int, Any]]:
    if fmt == "csv":
        return _csv_records(text, source)
    if fmt == "jsonl":
        return _jsonl_records(text, source)
    return _document_records(text, fmt, source)


def _csv_records(text: str, source: str) -> list[tuple[int, Any]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        records = []
        for row in reader:
            if None in row:
                raise InputError(
                    f"{source} line {reader.line_num}: more cells than headers",
                    hint="quote cells that contain commas",
                )
            if any((v or "").strip() for v in row.values()):
                records.append((reader.line_num, row))
    except csv.Error as exc:
        raise InputError(f"{source} is not valid CSV: {exc}", hint="check the quoting") from exc
    return records


def _jsonl_records(text: str, source: str) -> list[tuple[int, Any]]:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            records.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{source} line {number} is not valid JSON: {exc.msg}",
                hint="one JSON object per line",
            ) from exc
    return records


def _document_records(text: str, fmt: str, source: str) -> list[tuple[int, Any]]:
    import yaml  # only YAML files need it

    try:
        data = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InputError(
            f"{source} is not valid {fmt.upper()}: {_first_line(exc)}", hint="check the syntax"
        ) from exc
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        data = data["rows"]
    if data is None:
        return []
    if not isinstance(data, list):
        raise InputError(f"{source} must hold a list of rows", hint="or a mapping with 'rows:'")
    return list(enumerate(data, start=1))


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def batch_id_for(rows: list[BatchRow], options: dict[str, Any]) -> str:
    """A deterministic batch id: the same rows and options give the same id (so the same jobs)."""
    blob = json.dumps({"rows": [r.to_dict() for r in rows], "options": options}, sort_keys=True)
    return "b" + hashlib.sha256(blob.encode()).hexdigest()[:11]


def job_id_for(batch_id: str, row_index: int) -> str:
    """Job ids are deterministic from the batch id and the row's position."""
    return f"{batch_id}-{row_index + 1:04d}"
