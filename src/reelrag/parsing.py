"""Bounded parsers for untrusted JSON and YAML (batch files, web uploads, request bodies).

YAML is read with a safe loader that refuses anchors and aliases (an alias "billion laughs" of
0.4 kB expands to gigabytes) and nesting deeper than :data:`MAX_DEPTH`; JSON nesting is checked
before parsing. Every problem is one :class:`~reelrag.errors.InputError`, never a
``RecursionError`` or a traceback.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from reelrag.errors import InputError

MAX_DEPTH = 64  # rows files and request bodies are flat; 64 levels leave room for any real use
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKETS = bytes(range(256)).translate(None, b"[]{}")


def json_depth(data: bytes | str) -> int:
    """How deeply JSON text nests arrays and objects (brackets inside strings do not count).

    >>> json_depth(b'{"a": [1, {"b": "[[["}]}')
    3
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    brackets = _STRING.sub(b"", raw).translate(None, _BRACKETS)
    if not brackets:
        return 0
    steps = np.frombuffer(brackets, dtype=np.uint8)
    signs = np.where((steps == ord("[")) | (steps == ord("{")), 1, -1).astype(np.int64)
    return int(np.cumsum(signs).max(initial=0))


def check_json_depth(data: bytes | str, source: str, max_depth: int = MAX_DEPTH) -> None:
    """Raise :class:`InputError` when ``data`` nests deeper than ``max_depth``."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return  # no deeper than its opening brackets: most bodies stop here, in microseconds
    depth = json_depth(raw)
    if depth > max_depth:
        raise InputError(
            f"{source} nests {depth} levels deep; at most {max_depth} are accepted",
            hint="flatten the data",
        )


def load_json(text: str | bytes, source: str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON text with a nesting limit; errors are one line naming ``source``."""
    check_json_depth(text, source, max_depth)
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{source} is not valid JSON: {_first_line(exc)}",
                         hint="check the syntax") from exc  # fmt: skip
    except RecursionError as exc:  # pragma: no cover - the depth check runs first
        raise InputError(f"{source} nests too deeply", hint="flatten the data") from exc


def load_yaml(text: str, source: str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse YAML safely: plain data only, no anchors or aliases, at most ``max_depth`` levels."""
    import yaml  # only YAML files need it

    try:
        loader = _loader_class(yaml, max_depth)(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise InputError(f"{source} is not valid YAML: {_yaml_reason(exc)}",
                         hint="check the syntax") from exc  # fmt: skip
    except RecursionError as exc:
        raise InputError(f"{source} nests too deeply", hint="flatten the data") from exc


def _loader_class(yaml: Any, max_depth: int) -> Any:
    class BoundedLoader(yaml.SafeLoader):
        """SafeLoader that refuses anchors/aliases and deep nesting while composing, so nothing
        is ever expanded or built beyond the limits."""

        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise yaml.composer.ComposerError(
                    None, None, "anchors and aliases (&, *) are not accepted",
                    event.start_mark)  # fmt: skip
            self.depth += 1
            try:
                if self.depth > max_depth:
                    raise yaml.composer.ComposerError(
                        None, None, f"nesting deeper than {max_depth} levels", event.start_mark
                    )
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return BoundedLoader


def _yaml_reason(exc: Exception) -> str:
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if not problem:
        return _first_line(exc)
    return f"{problem} (line {mark.line + 1})" if mark is not None else str(problem)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
