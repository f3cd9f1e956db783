"""Your verdicts on matches: "this photo is right for this query" or "this one is wrong".

No rule here refuses every near neighbour ("red car parked in the garage" still finds the red
motorbike), and a few right photos are refused because their caption lacks a word the query
adds ("cup of joe"). A verdict settles one pair (query, photo) for good: a photo marked wrong is
never returned for that query again, and one marked right is accepted whenever the search finds
it among its candidates (with ``why`` saying so). Queries are compared case- and
space-insensitively ("Red car" is "red  car"); a verdict says nothing about other queries.

Verdicts live in their own table of the workspace's catalog database, so the batch planner, the
web app and every worker on the workspace see them. ``reelrag eval`` and ``calibrate`` leave
them out: they measure the match rule itself.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from reelrag.errors import InputError, ReelragError
from reelrag.sqlite import connect, immediate

Verdict = Literal["right", "wrong"]
VERDICTS: tuple[Verdict, ...] = ("right", "wrong")
SCHEMA = """
CREATE TABLE IF NOT EXISTS verdicts (
    query_key TEXT NOT NULL, asset_id TEXT NOT NULL, verdict TEXT NOT NULL, query TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (datetime('now')), PRIMARY KEY (query_key, asset_id))
    WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS verdicts_asset ON verdicts(asset_id);
"""


def query_key(query: str) -> str:
    """The form queries are compared in.

    >>> query_key("  Red   CAR ")
    'red car'
    """
    return " ".join(query.lower().split())


def check_verdict(verdict: str) -> Verdict:
    if verdict not in VERDICTS:
        raise InputError(f"unknown verdict {verdict!r}", hint="use right or wrong")
    return cast(Verdict, verdict)


@dataclass(frozen=True)
class VerdictRow:
    query: str  # as last marked, spaces folded
    asset_id: str
    verdict: Verdict
    created_at: str


class Verdicts:
    """The verdicts table (thread-safe: one connection, one lock)."""

    def __init__(self, path: Path):
        self._lock = threading.Lock()
        try:
            self._db = connect(path)
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ReelragError(f"cannot open the verdicts in {path}: {exc}") from exc

    def judge(self, query: str, asset_id: str, verdict: str) -> None:
        """Record ``verdict`` on ``asset_id`` for ``query`` (replacing an earlier one)."""
        key = query_key(query)
        if not key:
            raise InputError("the query is empty", hint='give the query, e.g. "red shoes"')
        with immediate(self._db, self._lock) as db:
            db.execute(
                "INSERT OR REPLACE INTO verdicts (query_key, asset_id, verdict, query) "
                "VALUES (?, ?, ?, ?)",
                (key, asset_id, check_verdict(verdict), " ".join(query.split())),
            )

    def for_query(self, query: str) -> dict[str, Verdict]:
        """Verdicts on ``query``: asset id -> right | wrong."""
        with self._lock:
            rows = self._db.execute(
                "SELECT asset_id, verdict FROM verdicts WHERE query_key = ?", (query_key(query),)
            ).fetchall()
        return {asset_id: cast(Verdict, verdict) for asset_id, verdict in rows}

    def rows(self, query: str | None = None) -> list[VerdictRow]:
        """Every verdict (or those on ``query``), newest first."""
        sql = "SELECT query, asset_id, verdict, created_at FROM verdicts"
        args: tuple[str, ...] = ()
        if query is not None:
            sql, args = sql + " WHERE query_key = ?", (query_key(query),)
        with self._lock:
            found = self._db.execute(sql + " ORDER BY created_at DESC, query_key", args).fetchall()
        return [VerdictRow(q, a, cast(Verdict, v), t) for q, a, v, t in found]

    def forget(self, query: str, asset_id: str | None = None) -> int:
        """Drop the verdicts on ``query`` (only on ``asset_id`` if given); how many went."""
        sql, args = "DELETE FROM verdicts WHERE query_key = ?", [query_key(query)]
        if asset_id is not None:
            sql, args = sql + " AND asset_id = ?", [*args, asset_id]
        with immediate(self._db, self._lock) as db:
            return db.execute(sql, args).rowcount

    def forget_asset(self, asset_id: str) -> int:
        """Drop every verdict on a removed asset."""
        with immediate(self._db, self._lock) as db:
            return db.execute("DELETE FROM verdicts WHERE asset_id = ?", (asset_id,)).rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()
