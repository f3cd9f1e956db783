"""The ingest catalog: which source files became which assets (SQLite).

Two tables: ``sources`` (one row per ingested file: uri, size, mtime_ns, asset_id, caption_sig)
and ``assets`` (one row per content hash, the :class:`~reelrag.types.Asset` as JSON).
``caption_sig`` identifies the caption inputs beside the file (sidecar and metadata-file row, see
:mod:`reelrag.library.captionsig`) so an edit to them alone re-captions; NULL on rows written
before it existed (the next ingest fills it in without re-captioning). Identical bytes at two
paths are one asset with two sources. The catalog rows of a batch are written in one transaction
after its store objects and index rows, so they are the "done" marker of an interrupted ingest.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from reelrag.errors import ReelragError
from reelrag.sqlite import connect as sqlite_connect
from reelrag.sqlite import immediate
from reelrag.types import Asset

SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    uri TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    asset_id TEXT NOT NULL, updated_at TEXT NOT NULL DEFAULT (datetime('now')), caption_sig TEXT);
CREATE INDEX IF NOT EXISTS sources_asset ON sources(asset_id);
CREATE TABLE IF NOT EXISTS assets (
    id TEXT PRIMARY KEY, data TEXT NOT NULL, created_at TEXT NOT NULL DEFAULT (datetime('now')),
    folder TEXT NOT NULL DEFAULT '', orientation TEXT NOT NULL DEFAULT '', haystack TEXT);
CREATE TABLE IF NOT EXISTS asset_tags (
    asset_id TEXT NOT NULL, tag TEXT NOT NULL, folded TEXT NOT NULL, PRIMARY KEY (asset_id, tag))
    WITHOUT ROWID;
"""
# made after _migrate, which adds the browse columns to catalogs from before them; the partial
# index keeps the check for unfilled rows on every open from scanning the whole table
INDEXES = """
CREATE INDEX IF NOT EXISTS assets_folder ON assets(folder);
CREATE INDEX IF NOT EXISTS asset_tags_folded ON asset_tags(folded);
CREATE INDEX IF NOT EXISTS asset_tags_tag ON asset_tags(tag);
CREATE INDEX IF NOT EXISTS assets_unfilled ON assets(id) WHERE haystack IS NULL;
"""
_BROWSE_COLUMNS = (  # copies of Asset fields that browsing filters on (see Catalog.browse)
    ("folder", "TEXT NOT NULL DEFAULT ''"),
    ("orientation", "TEXT NOT NULL DEFAULT ''"),
    ("haystack", "TEXT"),  # NULL until filled: rows written before these columns existed
)
_SOURCE_COLUMNS = "uri, size, mtime_ns, asset_id, caption_sig"  # SourceRow's fields, in order
_CHUNK = 500  # stays below SQLite's bound-variable limit on old builds
_MEMO_SIZE = 256  # remembered aggregate answers per catalog version (browse counts by filter)
T = TypeVar("T")


@dataclass(frozen=True)
class BrowseFilters:
    """Library browsing filters, combined with AND; the web gallery's filter menus."""

    folder: str | None = None  # this folder and those below it
    tag: str | None = None  # a keyword, any case
    orientation: str | None = None  # landscape | portrait | square
    text: str | None = None  # every word in the caption, keywords or source path

    def matches(self, asset: Asset) -> bool:
        """The filters' meaning on one asset, in Python: what :meth:`Catalog.browse` selects
        with indexed SQL (the tests hold the two to the same answers)."""
        if self.folder and not (asset.folder + "/").startswith(self.folder.rstrip("/") + "/"):
            return False
        if self.tag and self.tag.lower() not in {k.lower() for k in asset.keywords}:
            return False
        if self.orientation and asset.orientation != self.orientation:
            return False
        return all(word in _haystack(asset) for word in (self.text or "").lower().split())


@dataclass(frozen=True)
class SourceRow:
    uri: str
    size: int
    mtime_ns: int
    asset_id: str
    caption_sig: str | None = ""  # None: recorded before caption inputs were tracked


class Catalog:
    """Thread-safe access to the catalog database (one connection, one lock)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._memo: dict[Hashable, Any] = {}
        self._memo_version: tuple[int, int] | None = None
        try:
            self._db = sqlite_connect(self.path)
            self._db.executescript(SCHEMA)
            self._migrate()
            self._db.executescript(INDEXES)
        except sqlite3.DatabaseError as exc:
            raise ReelragError(
                f"cannot open the catalog {self.path}: {exc}",
                hint="check the workspace folder; delete catalog.sqlite to rebuild it by ingesting",
            ) from exc

    def _migrate(self) -> None:
        """Bring a catalog from an older version up to date (re-checked under the write lock,
        as another process may be doing the same)."""
        if not self._outdated(self._db):
            return
        with immediate(self._db, self._lock) as db:
            if "caption_sig" not in _columns(db, "sources"):  # before caption-change tracking
                db.execute("ALTER TABLE sources ADD COLUMN caption_sig TEXT")
            present = _columns(db, "assets")
            for name, kind in _BROWSE_COLUMNS:  # before browsing in SQL
                if name not in present:
                    db.execute(f"ALTER TABLE assets ADD COLUMN {name} {kind}")
            rows = db.execute("SELECT data FROM assets WHERE haystack IS NULL").fetchall()
            stale = [Asset.from_dict(json.loads(r[0])) for r in rows]
            db.executemany(
                "UPDATE assets SET folder = ?, orientation = ?, haystack = ? WHERE id = ?",
                [_browse_row(a) for a in stale],
            )
            _write_tags(db, stale)

    @staticmethod
    def _outdated(db: sqlite3.Connection) -> bool:
        if "caption_sig" not in _columns(db, "sources"):
            return True
        if not {name for name, _ in _BROWSE_COLUMNS} <= _columns(db, "assets"):
            return True
        return bool(db.execute("SELECT 1 FROM assets WHERE haystack IS NULL LIMIT 1").fetchone())

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate(self._db, self._lock)

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _memoized(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, remembered while :meth:`version` holds: aggregates over every row
        (coverage's GROUP BY, a filtered count) cost ~20 ms on 10k assets, and the web app
        asks for them on every listing and search. A change through any connection clears it."""
        version = self.version()
        with self._lock:
            if self._memo_version != version:
                self._memo.clear()
                self._memo_version = version
            if key in self._memo:
                return self._memo[key]
        value = compute()
        with self._lock:  # computed after ``version`` was read: at worst newer, never older
            if self._memo_version == version:
                if len(self._memo) >= _MEMO_SIZE:
                    self._memo.clear()
                self._memo[key] = value
        return value

    # --- sources -------------------------------------------------------------------------------

    def lookup(self, uris: Sequence[str]) -> dict[str, SourceRow]:
        """Catalog rows for ``uris`` (missing ones are absent), one query per 500 uris."""
        out: dict[str, SourceRow] = {}
        for start in range(0, len(uris), _CHUNK):
            chunk = list(uris[start : start + _CHUNK])
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE uri IN ({marks})"
            out.update((row[0], SourceRow(*row)) for row in self._query(sql, chunk))
        return out

    def sources_of(self, asset_id: str) -> list[str]:
        rows = self._query("SELECT uri FROM sources WHERE asset_id = ? ORDER BY uri", [asset_id])
        return [r[0] for r in rows]

    def asset_of(self, uri: str) -> str | None:
        """The id of the asset a source file became, if it was ingested."""
        rows = self._query("SELECT asset_id FROM sources WHERE uri = ?", [uri])
        return rows[0][0] if rows else None

    def sources_under(self, prefix: str) -> list[SourceRow]:
        """Rows whose uri starts with ``prefix`` (a folder ending in a separator, or a file)."""
        sql = f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE substr(uri, 1, ?) = ?"
        return [SourceRow(*row) for row in self._query(sql, [len(prefix), prefix])]

    def remove_sources(self, uris: Iterable[str]) -> list[str]:
        """Drop source rows; return the asset ids left with no source (callers purge them)."""
        uris = list(uris)
        affected: set[str] = set()
        with self._transaction() as db:
            for uri in uris:
                row = db.execute("SELECT asset_id FROM sources WHERE uri = ?", [uri]).fetchone()
                if row:
                    affected.add(row[0])
                    db.execute("DELETE FROM sources WHERE uri = ?", [uri])
        return self.orphans(affected)

    def orphans(self, asset_ids: Iterable[str]) -> list[str]:
        """Those of ``asset_ids`` that exist as assets but have no source row any more."""
        out = []
        for asset_id in sorted(set(asset_ids)):
            used = self._query("SELECT 1 FROM sources WHERE asset_id = ? LIMIT 1", [asset_id])
            if not used and self.has_asset(asset_id):
                out.append(asset_id)
        return out

    def source_uris(self) -> list[str]:
        """Every catalogued source uri, sorted."""
        return [r[0] for r in self._query("SELECT uri FROM sources ORDER BY uri")]

    def set_caption_sigs(self, sigs: Sequence[tuple[str, str]]) -> None:
        """Record ``(uri, caption_sig)`` pairs for rows that predate caption tracking."""
        with self._transaction() as db:
            db.executemany("UPDATE sources SET caption_sig = ? WHERE uri = ?",
                           [(sig, uri) for uri, sig in sigs])  # fmt: skip

    def count_sources(self) -> int:
        return int(self._query("SELECT count(*) FROM sources")[0][0])

    # --- assets --------------------------------------------------------------------------------

    def has_asset(self, asset_id: str) -> bool:
        return bool(self._query("SELECT 1 FROM assets WHERE id = ?", [asset_id]))

    def get_asset(self, asset_id: str) -> Asset | None:
        rows = self._query("SELECT data FROM assets WHERE id = ?", [asset_id])
        return Asset.from_dict(json.loads(rows[0][0])) if rows else None

    def match_ids(self, prefix: str, limit: int = 10) -> list[str]:
        """Asset ids starting with ``prefix`` (at most ``limit``)."""
        sql = "SELECT id FROM assets WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT ?"
        return [r[0] for r in self._query(sql, [len(prefix), prefix.lower(), limit])]

    def assets(self, limit: int | None = None, offset: int = 0) -> list[Asset]:
        sql = "SELECT data FROM assets ORDER BY rowid LIMIT ? OFFSET ?"
        rows = self._query(sql, [-1 if limit is None else limit, offset])
        return [Asset.from_dict(json.loads(r[0])) for r in rows]

    def browse(
        self, filters: BrowseFilters, limit: int, offset: int = 0
    ) -> tuple[int, list[Asset]]:
        """(how many assets match, one page of them in ingest order)."""
        where, params = _browse_where(filters)
        count = f"SELECT count(*) FROM assets WHERE {where}"
        total = self._memoized((count, *params), lambda: int(self._query(count, params)[0][0]))
        sql = f"SELECT data FROM assets WHERE {where} ORDER BY rowid LIMIT ? OFFSET ?"
        rows = self._query(sql, [*params, limit, offset])
        return total, [Asset.from_dict(json.loads(r[0])) for r in rows]

    def folders(self) -> list[str]:
        """Every folder that holds an asset, sorted."""
        sql = "SELECT DISTINCT folder FROM assets WHERE folder != '' ORDER BY folder"
        return [r[0] for r in self._query(sql)]

    def tags(self, limit: int = 500) -> list[str]:
        """The first ``limit`` distinct keywords, sorted."""
        sql = "SELECT DISTINCT tag FROM asset_tags ORDER BY tag LIMIT ?"
        return [r[0] for r in self._query(sql, [limit])]

    def caption_sources(self) -> dict[str, int]:
        """Assets per caption source; an empty caption counts as source ``""``."""
        sql = (
            "SELECT CASE WHEN coalesce(json_extract(data, '$.caption'), '') = '' THEN '' "
            "ELSE coalesce(json_extract(data, '$.caption_source'), '') END, count(*) "
            "FROM assets GROUP BY 1"
        )
        found = self._memoized(sql, lambda: {str(s): int(n) for s, n in self._query(sql)})
        return dict(found)  # a copy: callers may change theirs

    def version(self) -> tuple[int, int]:
        """A value that changes whenever the catalog changes, through this connection or any
        other (SQLite's ``data_version`` plus this connection's own change count): a cache
        of query results is valid while it holds."""
        with self._lock:
            (data_version,) = self._db.execute("PRAGMA data_version").fetchone()
            return int(data_version), self._db.total_changes

    def count_assets(self) -> int:
        sql = "SELECT count(*) FROM assets"
        return self._memoized(sql, lambda: int(self._query(sql)[0][0]))

    def commit_batch(self, assets: Sequence[Asset], sources: Sequence[SourceRow]) -> None:
        """Record a finished batch in one transaction (new assets first, then their sources)."""
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO assets (data, folder, orientation, haystack, id) VALUES (?,?,?,?,?)"
                " ON CONFLICT(id) DO UPDATE SET data = excluded.data, folder = excluded.folder,"
                " orientation = excluded.orientation, haystack = excluded.haystack",
                [(json.dumps(a.to_dict(), ensure_ascii=False), *_browse_row(a)) for a in assets],
            )
            _write_tags(db, assets)
            db.executemany(
                "INSERT OR REPLACE INTO sources (uri, size, mtime_ns, asset_id, caption_sig)"
                " VALUES (?,?,?,?,?)",
                [(s.uri, s.size, s.mtime_ns, s.asset_id, s.caption_sig) for s in sources],
            )

    def remove_asset(self, asset_id: str) -> None:
        """Forget an asset and every source row that points to it."""
        with self._transaction() as db:
            db.execute("DELETE FROM sources WHERE asset_id = ?", [asset_id])
            db.execute("DELETE FROM assets WHERE id = ?", [asset_id])
            db.execute("DELETE FROM asset_tags WHERE asset_id = ?", [asset_id])


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def _browse_row(asset: Asset) -> tuple[str, str, str, str]:
    """(folder, orientation, haystack, id): the columns that browsing filters on."""
    return asset.folder, asset.orientation, _haystack(asset), asset.id


def _write_tags(db: sqlite3.Connection, assets: Sequence[Asset]) -> None:
    """Replace the keyword rows of ``assets``."""
    db.executemany("DELETE FROM asset_tags WHERE asset_id = ?", [(a.id,) for a in assets])
    db.executemany(
        "INSERT OR IGNORE INTO asset_tags (asset_id, tag, folded) VALUES (?, ?, ?)",
        [(a.id, k, k.lower()) for a in assets for k in a.keywords],
    )


def _haystack(asset: Asset) -> str:
    """What a browse text filter searches, folded to lower case here (SQLite's lower() knows
    ASCII only)."""
    return f"{asset.caption} {' '.join(asset.keywords)} {asset.source}".lower()


def _browse_where(filters: BrowseFilters) -> tuple[str, list[object]]:
    clauses, params = ["1"], []
    if filters.folder:
        prefix = filters.folder.rstrip("/") + "/"
        clauses.append("substr(folder || '/', 1, ?) = ?")
        params += [len(prefix), prefix]
    if filters.tag:
        clauses.append("id IN (SELECT asset_id FROM asset_tags WHERE folded = ?)")
        params.append(filters.tag.lower())
    if filters.orientation:
        clauses.append("orientation = ?")
        params.append(filters.orientation)
    for word in (filters.text or "").lower().split():
        clauses.append("instr(haystack, ?) > 0")
        params.append(word)
    return " AND ".join(clauses), params
