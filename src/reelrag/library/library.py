"""The Library facade: one object over a workspace's store, catalog, embedder and index.

>>> lib = open_library(None)        # doctest: +SKIP
>>> lib.ingest(["photos/"])         # doctest: +SKIP
>>> lib.search("red shoes", limit=3)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from reelrag.captioning.base import Captioner
from reelrag.embeddings.base import Embedder
from reelrag.errors import IndexMismatchError, InputError, NotFoundError
from reelrag.events import ProgressCallback, ignore_progress
from reelrag.index.base import Index
from reelrag.library.catalog import BrowseFilters, Catalog
from reelrag.library.coverage import Coverage
from reelrag.library.ingest import Ingestor, IngestReport
from reelrag.library.stored import fit_longest
from reelrag.library.verdicts import Verdicts
from reelrag.matching.rule import Rule, load_rule, verifier_name
from reelrag.media.decode import decode_image
from reelrag.plugins import registry
from reelrag.settings import Settings, load_settings
from reelrag.storage import ObjectStore, open_store
from reelrag.types import Asset, SearchFilters, SearchRequest

log = logging.getLogger(__name__)
_HEX = re.compile(r"[0-9a-f]+")  # asset ids and their prefixes


def open_library(workspace: str | Path | None = None, **overrides: Any) -> Library:
    """A :class:`Library` on ``workspace`` (None: the configured one), settings resolved here.

    ``overrides`` are setting names (``embedder="minilm"``, ``normalized_max_px=1024``) that win
    over the config file and environment.
    """
    values = dict(overrides)
    if workspace is not None:
        values["workspace"] = Path(workspace)
    return Library(load_settings(values))


class Library:
    """An image library: ingest, search, inspect and remove assets.

    The catalog and store open at once; the captioner, embedder and index load on first use,
    so listing and showing assets never loads a model.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.store: ObjectStore = open_store(settings)
        self.catalog = Catalog(settings.catalog_path)
        self._embedder: Embedder | None = None
        self._index: Index | None = None
        self._captioner: Captioner | None = None
        self._verdicts: Verdicts | None = None
        self._rule: Rule | None = None
        self._index_reset = False  # set when an ingest --reindex dropped a mismatched index

    def __repr__(self) -> str:
        return (
            f"<Library {str(self.settings.workspace)!r}: {self.catalog.count_assets()} assets, "
            f"embedder={self.settings.embedder}, index={self.settings.index}>"
        )

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = registry.create("embedder", self.settings.embedder, self.settings)
        return self._embedder

    @property
    def index(self) -> Index:
        if self._index is None:
            self._index = registry.create(
                "index", self.settings.index, self.settings, identity=self.embedder.identity
            )
        return self._index

    @property
    def captioner(self) -> Captioner:
        if self._captioner is None:
            self._captioner = registry.create("captioner", self.settings.captioner, self.settings)
        return self._captioner

    @property
    def rule(self) -> Rule:
        """The acceptance rule of searches and its verifier (:mod:`reelrag.matching.rule`)."""
        if self._rule is None:
            identity = self.embedder.identity
            name = verifier_name(self.settings.verifier, identity, self.settings.match_learned)
            verifier = registry.create("verifier", name, self.settings) if name else None
            self._rule = load_rule(self.settings.workspace, identity, verifier)
        return self._rule

    @property
    def verdicts(self) -> Verdicts:
        """The user's verdicts on matches (:mod:`reelrag.library.verdicts`)."""
        if self._verdicts is None:
            self._verdicts = Verdicts(self.settings.catalog_path)
        return self._verdicts

    def judge(self, query: str, asset_id: str, verdict: str) -> Asset:
        """Mark the asset whose id is (or starts with) ``asset_id`` right or wrong for
        ``query``; returns the asset."""
        asset = self.get(asset_id)
        self.verdicts.judge(query, asset.id, verdict)
        return asset

    def find(self, photo: str) -> Asset:
        """The asset of an ingested source file's path, else :meth:`get` (an id or prefix).
        For the command line only: a path is looked up on this machine's disk."""
        if _HEX.fullmatch(photo.strip().lower()):
            return self.get(photo)
        path = Path(photo).expanduser()
        found = self.catalog.asset_of(str(path.resolve())) if path.is_file() else None
        asset = self.catalog.get_asset(found) if found else None
        if asset is None:
            raise NotFoundError(
                f"{photo} is not a photo of this library",
                hint="give the path it was ingested from, or its id from `reelrag library list`",
            )
        return asset

    def ingestor(self, reindex: bool = False) -> Ingestor:
        """An ingestor over this library (``reindex``: the index starts afresh on a mismatch)."""
        index = self._index_afresh_on_mismatch if reindex else lambda: self.index
        return Ingestor(
            self.settings, self.store, self.catalog, self.captioner,
            embedder=lambda: self.embedder, index=index,
        )  # fmt: skip

    def _index_afresh_on_mismatch(self) -> Index:
        """The index; one built with another embedder is dropped first (``--reindex`` refills it).

        Called lazily by the ingestor: nothing is dropped until it has files to write.
        """
        if self._index is None:
            try:
                return self.index
            except IndexMismatchError as exc:
                log.warning("%s: starting the index afresh for --reindex", exc.message)
                registry.get("index", self.settings.index).drop(self.settings)
                self._index_reset = True
        return self.index

    def ingest(
        self,
        paths: str | Path | Sequence[str | Path] = (),
        recursive: bool = False,
        prune: bool = False,
        progress: ProgressCallback = ignore_progress,
        reindex: bool = False,
    ) -> IngestReport:
        """Add or refresh images from folders, files or globs; see :class:`IngestReport`.

        ``reindex``: caption, embed and upsert every named file again even when unchanged, and
        start the index afresh when it was built with another embedder; with no ``paths``,
        every file in the catalog. Assets none of whose files were named are counted in
        ``IngestReport.not_reindexed``.
        """
        specs = [str(paths)] if isinstance(paths, str | Path) else [str(p) for p in paths]
        if not specs and not reindex:
            raise InputError(
                "no folders, files or globs to ingest",
                hint="name at least one PATH, or use --reindex alone for every catalogued file",
            )
        self._index_reset = False
        report = self.ingestor(reindex).run(
            specs, recursive=recursive, prune=prune, reindex=reindex, progress=progress
        )
        return self.complete(report)

    def complete(self, report: IngestReport) -> IngestReport:
        """Finish an ingest run's report: whether the index started afresh, caption coverage."""
        report.index_reset, self._index_reset = self._index_reset, False
        report.coverage = self.coverage()
        report.coverage_warning = self.coverage_warning(report.coverage)
        return report

    def coverage(self) -> Coverage:
        """How many assets have a caption, per caption source (no model is loaded)."""
        return Coverage(self.catalog.count_assets(), self.catalog.caption_sources())

    def coverage_warning(self, coverage: Coverage | None = None) -> str | None:
        """One line when most assets have no caption and the embedder cannot see pixels."""
        found = coverage or self.coverage()
        if not found.mostly_uncaptioned:
            return None
        return found.warning(image_search="image" in self.embedder.identity.modalities)

    def search(
        self,
        query: str | SearchRequest,
        limit: int | None = None,
        min_score: float | None = None,
        filters: SearchFilters | dict[str, Any] | None = None,
        diversity: float = 0.0,
        mode: str = "hybrid",
    ) -> Any:
        """Search the library (``mode``: hybrid, vector or text); returns
        :class:`reelrag.retrieval.SearchResults`, which render with thumbnails in Jupyter."""
        from reelrag import retrieval

        if isinstance(query, SearchRequest):
            request = query
        else:
            if isinstance(filters, dict):
                filters = SearchFilters(**filters)
            request = SearchRequest(
                query=query,
                limit=limit or self.settings.search_limit,
                min_score=min_score,
                filters=filters or SearchFilters(),
                diversity=diversity,
                mode=mode,
            )
        return retrieval.search(self.index, self.embedder, request, self.settings,
                                store=self.store, verdicts=self.verdicts.for_query,
                                rule=self.rule)  # fmt: skip

    def evaluate(self, queries: str | Path, min_score: float | None = None, k: int = 5) -> Any:
        """Measure search on labelled queries (.csv/.yaml, see ``reelrag eval``) at ``min_score``
        (default: the setting); returns :class:`reelrag.evaluation.EvalReport`."""
        from reelrag.evaluation import evaluate

        threshold = self.settings.min_score if min_score is None else min_score
        return evaluate(self, queries, threshold=threshold, k=k)

    def calibrate(self, queries: str | Path, objective: str = "balanced", k: int = 5) -> Any:
        """The ``min_score`` that maximises ``objective`` on labelled queries (see ``reelrag
        calibrate``); returns :class:`reelrag.evaluation.Calibration`."""
        from reelrag.evaluation import calibrate_file

        return calibrate_file(self, queries, objective=objective, k=k)

    def get(self, asset_id: str) -> Asset:
        """The asset whose id is, or starts with, ``asset_id``."""
        prefix = asset_id.strip().lower()
        if not prefix:
            raise NotFoundError("empty asset id", hint="run `reelrag library list` for ids")
        exact = self.catalog.get_asset(prefix)
        if exact is not None:
            return exact
        matches = self.catalog.match_ids(prefix, limit=6)
        if not matches:
            raise NotFoundError(
                f"no asset with id {asset_id!r}", hint="run `reelrag library list` for ids"
            )
        if len(matches) > 1:
            shown = ", ".join(m[:12] for m in matches[:5]) + (", ..." if len(matches) > 5 else "")
            raise NotFoundError(
                f"asset id prefix {asset_id!r} is ambiguous: {shown}", hint="give more characters"
            )
        found = self.catalog.get_asset(matches[0])
        assert found is not None  # matched in the same table
        return found

    def assets(self, limit: int | None = None, offset: int = 0) -> list[Asset]:
        """Assets in ingest order."""
        return self.catalog.assets(limit, offset)

    def browse(
        self, filters: BrowseFilters, limit: int = 60, offset: int = 0
    ) -> tuple[int, list[Asset]]:
        """(matching count, one page in ingest order): the gallery's filtered listing."""
        return self.catalog.browse(filters, limit, offset)

    def facets(self) -> dict[str, list[str]]:
        """Folders and keywords for the gallery's filter menus."""
        return {"folders": self.catalog.folders(), "tags": self.catalog.tags()}

    def sources(self, asset_id: str) -> list[str]:
        """Every source file that holds this asset's bytes."""
        return self.catalog.sources_of(self.get(asset_id).id)

    def remove(self, asset_id: str) -> Asset:
        """Remove an asset from catalog, index and store; the user's files stay untouched."""
        asset = self.get(asset_id)
        self.ingestor().purge([asset.id])
        self.verdicts.forget_asset(asset.id)
        return asset

    def image(self, asset_id: str) -> Image.Image:
        """The normalised upright 8-bit RGB image, longest side at most ``normalized_max_px``."""
        asset = self.get(asset_id)
        limit = self.settings.normalized_max_px
        decoded = decode_image(
            self.store.get_bytes(asset.normalized_key),
            max_pixels=self.settings.max_image_pixels,
            target_px=limit * 4 // 3 + 1,  # DCT scaling keeps >= 3/4 of this, so >= limit
            name=asset.id[:12],
        )
        return fit_longest(decoded.image, limit)

    def image_path(self, asset_id: str) -> Path | None:
        """Local file of the normalised copy, when the store is a local folder."""
        return self.store.local_path(self.get(asset_id).normalized_key)

    def thumbnail_path(self, asset_id: str) -> Path | None:
        """Local file of the thumbnail, when the store is a local folder."""
        return self.store.local_path(self.get(asset_id).thumbnail_key)

    def info(self) -> dict[str, Any]:
        """Counts, embedder identity and index facts (loads the embedder and index)."""
        index_info = self.index.info()
        return {
            "workspace": str(self.settings.workspace),
            "store": self.store.uri,
            "assets": self.catalog.count_assets(),
            "sources": self.catalog.count_sources(),
            "embedder": self.embedder.identity.key(),
            "captioner": self.settings.captioner,
            "index": {
                "backend": index_info.backend, "uri": index_info.uri, "rows": index_info.rows,
                "embedder": index_info.embedder, "ann_index": index_info.ann_index,
                "text_index": index_info.text_index,
            },
        }  # fmt: skip

    def close(self) -> None:
        self.catalog.close()
        if self._verdicts is not None:
            self._verdicts.close()
