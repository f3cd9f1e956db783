"""Set one value in a ``reelrag.toml`` while keeping every other line (comments included).

>>> set_toml_value("# mine\\nfps = 30\\n", "min_score", 0.52)
'# mine\\nfps = 30\\nmin_score = 0.52\\n'
>>> set_toml_value("[reelrag]\\nmin_score = 0.4 # old\\n", "min_score", 0.5)
'[reelrag]\\nmin_score = 0.5\\n'
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from reelrag.errors import ConfigError

_SECTION = re.compile(r"^\s*\[")


def set_toml_value(text: str, name: str, value: float) -> str:
    """``text`` with ``name = value`` replaced in place, or added where settings are read (the
    ``[reelrag]`` table when there is one, else the top level before any table)."""
    line = f"{name} = {value}"
    pattern = re.compile(rf"^\s*{re.escape(name)}\s*=.*$", re.MULTILINE)
    if pattern.search(text):
        return pattern.sub(line, text, count=1)
    lines = text.splitlines(keepends=True)
    header = next((i for i, t in enumerate(lines) if t.strip() == "[reelrag]"), None)
    if header is not None:
        at = header + 1
    else:
        at = next((i for i, t in enumerate(lines) if _SECTION.match(t)), len(lines))
    if at == len(lines) and lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    lines.insert(at, line + "\n")
    return "".join(lines)


def write_setting(path: Path, name: str, value: float) -> None:
    """Set ``name`` in the TOML file at ``path`` (created when absent); refuse a file that
    would no longer parse."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    updated = set_toml_value(text, name, value)
    try:
        tomllib.loads(updated)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"cannot update {path}: {exc}", hint=f"set {name} by hand") from exc
    path.write_text(updated, encoding="utf-8")
