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
  and their columns checked by :mod:`reelrag.batch.files`.

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

import re

from reelrag.errors import InputError

OBJECT = "<object_prompt>"
ACTION = "<action_prompt>"
DEFAULT_TEMPLATE = f"{OBJECT}. {ACTION}"
_BRACKETED = re.compile(r"[<{\[]\s*[A-Za-z][A-Za-z _-]{0,30}\s*[>}\]]")
_BARE = re.compile(r"(?<![<\w])(object_prompt|action_prompt)(?![>\w])")
_ANGLED = re.compile(r"<\s*[A-Za-z][\w -]{0,30}>")  # any <name>: only the two are known
_UNCLOSED = re.compile(
    r"<\s*(object_prompt|action_prompt)(?!\s*>)|(?<!<)(object_prompt|action_prompt)>"
)


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
    """Refuse misspelled, unknown (``<product>``) and unclosed (``<object_prompt``) placeholders
    (``<object-prompt>``, ``{action_prompt}``, bare names): ``where`` names the line or row."""
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
    unclosed = _UNCLOSED.search(template)
    if unclosed:
        name = unclosed.group(1) or unclosed.group(2)
        raise InputError(
            f"{where}: placeholder {unclosed.group(0).strip()!r} is not closed",
            hint=f"write <{name}>",
        )
    for match in _ANGLED.finditer(template):
        closing = f"</{match.group(0)[1:-1].strip()}>".lower()  # <b>..</b>: markup, not a slot
        if match.group(0) not in (OBJECT, ACTION) and closing not in template.lower():
            raise InputError(
                f"{where}: unknown placeholder {match.group(0)!r}",
                hint=f"the placeholders are {OBJECT} and {ACTION}; write other text without <>",
            )
    bare = _BARE.search(template)
    if bare:
        raise InputError(
            f"{where}: placeholder {bare.group(1)!r} lacks its angle brackets",
            hint=f"write <{bare.group(1)}>",
        )
