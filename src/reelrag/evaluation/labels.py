"""Labelled queries for ``reelrag eval`` / ``calibrate``: a query and the asset it should find.

A CSV file has the columns ``query`` and ``expected`` (optional ``split``); a YAML file is a list
of mappings with the same keys (or ``{query: expected}`` pairs). ``expected`` names one asset by
its id (or an id prefix of at least 8 characters), its source path (or the end of it, such as
``pets/cat.jpg``) or its file name; ``none`` (or an empty value) says the library holds no answer
and the right outcome is "no good match".

>>> LabelledQuery("kitty", "pets/cat.jpg").answerable
True
"""

from __future__ import annotations

import bisect
import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reelrag.errors import InputError, NotFoundError
from reelrag.types import Asset

NO_ANSWER = frozenset({"", "none", "-", "null", "no match", "no-match"})
MIN_ID_PREFIX = 8


@dataclass(frozen=True)
class LabelledQuery:
    query: str
    expected: str  # asset id, path or file name; "none" when the library holds no answer
    split: str = ""

    @property
    def answerable(self) -> bool:
        return self.expected.strip().lower() not in NO_ANSWER

    def matches(self, asset: Asset) -> bool:
        """Whether ``asset`` is the expected answer."""
        if not self.answerable:
            return False
        want = self.expected.strip().replace("\\", "/")
        source = asset.source.replace("\\", "/")
        if len(want) >= MIN_ID_PREFIX and asset.id.startswith(want):
            return True
        return source == want or source.endswith("/" + want.lstrip("/"))


def unmatched(queries: Sequence[LabelledQuery], assets: Sequence[Asset]) -> list[str]:
    """The ``expected`` values of the answerable ``queries`` that name none of ``assets`` (a
    typo, or a photo not ingested): each counts as a miss, so the user should hear of it.

    >>> unmatched([LabelledQuery("kitty", "pets/cat.jpg")], [])
    ['pets/cat.jpg']
    """
    by_name: dict[str, list[Asset]] = {}
    for asset in assets:
        by_name.setdefault(_file_name(asset.source), []).append(asset)
    ids = sorted(asset.id for asset in assets)
    missing = [
        q.expected
        for q in queries
        if q.answerable
        and not any(q.matches(a) for a in by_name.get(_file_name(q.expected.strip()), ()))
        and not _prefixes(ids, q.expected.strip())
    ]
    return list(dict.fromkeys(missing))


def _file_name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _prefixes(ids: list[str], want: str) -> bool:
    """Whether ``want`` is an id prefix ``matches`` accepts, of one of the sorted ``ids``."""
    at = bisect.bisect_left(ids, want)
    return len(want) >= MIN_ID_PREFIX and at < len(ids) and ids[at].startswith(want)


def load_queries(path: Path) -> list[LabelledQuery]:
    """The labelled queries of a ``.csv``, ``.yaml`` or ``.yml`` file (see the module notes)."""
    if not path.is_file():
        raise NotFoundError(f"no queries file at {path}")
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    if suffix == ".csv":
        rows: list[Any] = list(csv.DictReader(text.splitlines()))
    elif suffix in (".yaml", ".yml"):
        try:
            rows = _yaml_rows(yaml.safe_load(text))
        except yaml.YAMLError as exc:
            raise InputError(f"{path} is not valid YAML: {exc}") from exc
    else:
        raise InputError(f"{path} is not a .csv or .yaml file", hint="see `reelrag eval --help`")
    queries = [_query(row, path, n) for n, row in enumerate(rows, start=1)]
    if not queries:
        raise InputError(f"{path} holds no queries")
    return queries


def _yaml_rows(data: Any) -> list[Any]:
    if isinstance(data, dict):
        data = data.get("queries", [{"query": k, "expected": v} for k, v in data.items()])
    if not isinstance(data, list):
        raise InputError("a YAML queries file is a list of {query, expected} mappings")
    return data


def _query(row: Any, path: Path, number: int) -> LabelledQuery:
    if not isinstance(row, dict) or not str(row.get("query") or "").strip():
        raise InputError(f"{path} entry {number} has no query", hint="columns: query, expected")
    expected = row.get("expected")
    return LabelledQuery(
        str(row["query"]).strip(),
        "none" if expected is None else str(expected).strip(),
        str(row.get("split") or "").strip(),
    )


def splits(queries: Sequence[LabelledQuery]) -> list[str]:
    """The distinct non-empty splits named in ``queries``, in order."""
    return list(dict.fromkeys(q.split for q in queries if q.split))
