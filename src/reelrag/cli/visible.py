"""What the CLI writes to a terminal shows user text, never obeys it.

File names, prompts, captions and error messages can hold ESC/OSC sequences (which recolour,
retitle or rewrite the terminal), newlines and carriage returns (which forge whole lines), C1
controls, and bytes that are not UTF-8 (surrogate escapes, which crash the writer). Every CLI
output goes through one of three places here, which write such characters as visible escapes
(``\\x1b``, ``\\n``, ``\\x9b``, ``\\udcff``):

- :class:`VisibleConsole`, the rich console of every command: each string it renders (printed
  text, table cells) is escaped whole; the text of every other segment (``Text`` objects, progress
  bars) loses its control characters to escapes, while the console's own styling and layout
  newlines are kept;
- :func:`visible_json` for ``--json`` output;
- :class:`VisibleFormatter` for log records on stderr.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.segment import Segment
from rich.text import Text

# C0 controls, DEL, C1 controls, lone surrogates (undecodable bytes of a file name), and the
# bidirectional overrides that make a name read differently from what it is.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_UNSAFE_IN_LAYOUT = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_JSON_UNSAFE = re.compile("[\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def visible(text: str) -> str:
    """``text`` with every control character written as an escape, on one line.

    >>> visible("photo\\x1b]0;pwned\\x07.jpg\\nerror: fake")
    'photo\\\\x1b]0;pwned\\\\x07.jpg\\\\nerror: fake'
    """
    return _UNSAFE.sub(_escape, text)


class VisibleConsole(Console):
    """A rich console that never writes a control character it did not make itself."""

    def render_str(self, text: str, **options: Any) -> Text:
        return super().render_str(visible(text), **options)

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(_visible_segments(buffer))


def _visible_segments(buffer: Iterable[Segment]) -> Iterable[Segment]:
    for segment in buffer:
        if segment.control or not _UNSAFE_IN_LAYOUT.search(segment.text):
            yield segment
        else:
            yield Segment(_UNSAFE_IN_LAYOUT.sub(_escape, segment.text), segment.style)


def visible_json(text: str) -> str:
    """JSON text (``ensure_ascii=False``) with the characters JSON leaves raw but a terminal
    obeys (DEL, C1 controls, bidi overrides) or cannot encode (lone surrogates) as ``\\uXXXX``
    escapes: the same JSON value, safe to print."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


class VisibleFormatter(logging.Formatter):
    """Log lines with their message made visible (tracebacks keep their own lines)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return visible(super().formatMessage(record))
