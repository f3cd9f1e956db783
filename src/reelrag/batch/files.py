"""Batch files: a templates file (one template per line) or a rows file (CSV, JSON Lines, JSON,
YAML), chosen by extension, read into :class:`~reelrag.batch.rows.BatchRow` rows.

Limits: files up to 5 MB and 10,000 rows; text must be UTF-8. Every problem is one
:class:`~reelrag.errors.InputError` naming the file, the line and what to change.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from reelrag.batch.columns import row_fields
from reelrag.batch.rows import BatchRow
from reelrag.batch.templates import ACTION, DEFAULT_TEMPLATE, OBJECT, check_template, fill_template
from reelrag.errors import InputError
from reelrag.parsing import check_json_depth, load_json, load_yaml

ROW_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
               ".yaml": "yaml", ".yml": "yaml"}  # fmt: skip
MAX_FILE_BYTES = 5_000_000
MAX_ROWS = 10_000


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
        rows = parse_records(
            read_records(text, fmt, path.name), object_text, action_text, path.name
        )
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
        fields = row_fields(record, where)
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


def read_records(text: str, fmt: str, source: str) -> list[tuple[int, Any]]:
    """(line or item number, mapping) records of a rows file's text in format ``fmt``."""
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
        check_json_depth(line, f"{source} line {number}")
        try:
            records.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{source} line {number} is not valid JSON: {exc.msg}",
                hint="one JSON object per line",
            ) from exc
    return records


def _document_records(text: str, fmt: str, source: str) -> list[tuple[int, Any]]:
    data = load_json(text, source) if fmt == "json" else load_yaml(text, source)
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        data = data["rows"]
    if data is None:
        return []
    if not isinstance(data, list):
        raise InputError(f"{source} must hold a list of rows", hint="or a mapping with 'rows:'")
    return list(enumerate(data, start=1))
