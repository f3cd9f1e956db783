"""Search filters as users type them (``KEY=VALUE``), validated once for every index backend.

Owns the list of filter keys and their allowed values, the parser for ``--filter`` arguments and
:func:`check_filters`, which every backend calls before translating filters to its query language.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reelrag.errors import InputError
from reelrag.types import SearchFilters

ORIENTATIONS = ("landscape", "portrait", "square")
FILTER_KEYS = ("orientation", "min_width", "min_height", "folder", "tag", "caption_source")
_INT_KEYS = ("min_width", "min_height")
_HINT = (
    "valid filters: orientation=landscape|portrait|square, min_width=PX, min_height=PX, "
    "folder=PREFIX, tag=WORD, caption_source=NAME"
)


def parse_filters(args: Iterable[str]) -> SearchFilters:
    """``["orientation=landscape", "min_width=800"]`` -> :class:`SearchFilters` (validated).

    >>> parse_filters(["orientation=portrait", "min_width=640"]).min_width
    640
    """
    values: dict[str, Any] = {}
    for arg in args:
        key, sep, value = arg.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in FILTER_KEYS:
            raise InputError(f"unknown filter {arg!r}", hint=_HINT)
        if key in values:
            raise InputError(f"filter {key} given twice", hint="give each filter once")
        values[key] = _convert(key, value.strip())
    return check_filters(SearchFilters(**values))


def _convert(key: str, value: str) -> Any:
    if key not in _INT_KEYS:
        return value
    try:
        return int(value)
    except ValueError as exc:
        raise InputError(f"filter {key}={value!r} is not a whole number", hint=_HINT) from exc


def check_filters(filters: SearchFilters) -> SearchFilters:
    """Raise :class:`InputError` on a value no asset could match; return ``filters`` unchanged."""
    if filters.orientation is not None and filters.orientation not in ORIENTATIONS:
        raise InputError(
            f"orientation={filters.orientation!r} is not one of {', '.join(ORIENTATIONS)}",
            hint=_HINT,
        )
    for key in _INT_KEYS:
        value = getattr(filters, key)
        if value is not None and (not isinstance(value, int) or value < 0):
            raise InputError(f"{key}={value!r} must be a whole number >= 0", hint=_HINT)
    for key in ("folder", "tag", "caption_source"):
        value = getattr(filters, key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise InputError(f"{key} filter needs a non-empty value", hint=_HINT)
    return filters


def folder_prefix(folder: str) -> str:
    """The folder filter without a trailing slash; it matches that folder and its subfolders."""
    return folder.strip().replace("\\", "/").rstrip("/")
