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
  checked when the batch is planned, so a bad mask fails that row alone. Rows files are read
  and their columns checked by :mod:`reelrag.batch_rows`.

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

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelrag.batch_rows import ROW_FORMATS, read_records, row_fields
from reelrag.errors import InputError
from reelrag.types import Record

OBJECT = "<object_prompt>"
ACTION = "<action_prompt>"
DEFAULT_TEMPLATE = f"{OBJECT}. {ACTION}"
MAX_FILE_BYTES = 5_000_000
MAX_ROWS = 10_000
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


def batch_id_for(rows: list[BatchRow], options: dict[str, Any]) -> str:
    """A deterministic batch id: the same rows and options give the same id (so the same jobs)."""
    blob = json.dumps({"rows": [r.to_dict() for r in rows], "options": options}, sort_keys=True)
    return "b" + hashlib.sha256(blob.encode()).hexdigest()[:11]


def job_id_for(batch_id: str, row_index: int) -> str:
    """Job ids are deterministic from the batch id and the row's position."""
    return f"{batch_id}-{row_index + 1:04d}"
