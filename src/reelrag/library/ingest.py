"""The ingest pipeline: source files -> store objects, captions, vectors, index rows, catalog.

Stages: a reader lists files; unchanged ones (same size and mtime in the catalog, and the same
caption inputs beside them: :mod:`reelrag.library.captionsig`) are skipped after one stat; the
rest are hashed, decoded, normalised, thumbnailed and stored in a thread pool (Pillow releases
the GIL while coding); each batch is then captioned, embedded, upserted into the index and
finally recorded in the catalog in one transaction -- the "done" marker, so an interrupted run
resumes where it stopped -- while the pool already reads the next batch. One bad file is
reported and never stops the run. When the embedder puts images and text in one space (CLIP,
SigLIP, Titan), each new asset's pixels (at most ``EMBED_IMAGE_PX``) are embedded too and
stored as its image vector, so it is found by what it shows even when its caption says nothing.

``reindex``: every file named (or, with no specs, every catalogued file) is captioned, embedded
and upserted again even when unchanged; store objects that exist are not rewritten. That refills
an index that was deleted, reset or started afresh for another embedder.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from reelrag.captioning.base import Captioner, CaptionInput
from reelrag.captioning.evidence import embed_text
from reelrag.captioning.metadata import words_from_name
from reelrag.embeddings.base import Embedder
from reelrag.errors import ReelragError
from reelrag.events import ProgressCallback, ProgressEvent, ignore_progress
from reelrag.index.base import Index, IndexRecord
from reelrag.library.captionsig import CaptionSignatures
from reelrag.library.catalog import Catalog, SourceRow
from reelrag.library.report import IngestReport
from reelrag.library.sources import (
    ScanProblem,
    SourceFile,
    is_utf8,
    open_source,
    prune_prefixes,
    stat_each,
    utf8_safe,
)
from reelrag.library.stored import fit_longest, objects_exist, store_objects
from reelrag.library.tasks import Batch, Prepared, Task
from reelrag.media.decode import decode_image
from reelrag.settings import Settings
from reelrag.storage.base import ObjectStore
from reelrag.types import Asset

log = logging.getLogger(__name__)

CAPTION_IMAGE_PX = 768  # vision captioners look at <= 768 px; keeping full copies costs GBs
EMBED_CHUNK = 64  # captions embedded together while the pool keeps decoding
# Image embedders look at 224-384 px; 512 keeps detail for crops without holding full copies.
EMBED_IMAGE_PX = 512
GONE = "catalogued file is gone; forget it with `reelrag ingest FOLDER --prune`"
NOT_UTF8 = "the file name is not valid UTF-8 and cannot be catalogued; rename the file"


class Ingestor:
    """Runs ingest over the parts it is given; the embedder and index load only when needed."""

    def __init__(
        self,
        settings: Settings,
        store: ObjectStore,
        catalog: Catalog,
        captioner: Captioner,
        embedder: Callable[[], Embedder],
        index: Callable[[], Index],
    ):
        self.settings = settings
        self.store = store
        self.catalog = catalog
        self.captioner = captioner
        self._embedder = embedder
        self._index = index
        self._reindex = False
        self._sigs = CaptionSignatures(captioner.reads_side_files)
        self._touched: set[str] = set()  # asset ids this run upserted or found unchanged
        self.embeds_images: bool | None = None  # known once a file needs reading

    def run(
        self,
        specs: Sequence[str],
        *,
        recursive: bool = False,
        prune: bool = False,
        reindex: bool = False,
        progress: ProgressCallback = ignore_progress,
    ) -> IngestReport:
        """Ingest every file that ``specs`` name (none with ``reindex``: every catalogued file);
        see the module docstring for the stages."""
        started = time.perf_counter()
        report = IngestReport()
        self.begin(reindex=reindex)
        files = self.list_files(specs, recursive, report)
        workers = self.settings.ingest_workers or os.cpu_count() or 1
        done = 0
        progress(ProgressEvent("ingest", 0, len(files)))

        def tick(message: str) -> None:
            nonlocal done
            done += 1
            if done == len(files) or done % 16 == 0 or message != "unchanged":
                progress(ProgressEvent("ingest", done, len(files), message))

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest") as pool:
            batch = max(1, self.settings.ingest_batch)
            chunks = [files[start : start + batch] for start in range(0, len(files), batch)]
            changed = self._run_batches(chunks, pool, report, tick)
        self.wrap_up(specs, files, report, changed=changed, prune=prune)
        report.elapsed_s = time.perf_counter() - started
        log.info("ingest: %s", report.to_dict())
        return report

    # The steps of a run, public for drivers that spread the reading (``ray_ingest``).

    def begin(self, *, reindex: bool = False) -> None:
        """Start a run: ``reindex`` re-captions and re-embeds even unchanged files."""
        self._reindex = reindex
        self._sigs = CaptionSignatures(self.captioner.reads_side_files)
        self._touched = set()

    def list_files(
        self, specs: Sequence[str], recursive: bool, report: IngestReport
    ) -> list[SourceFile]:
        """The files ``specs`` name (none: every catalogued file); problems go to ``report``."""
        return self._scan(specs, recursive, report) if specs else self._catalogued(report)

    def upsert(self, records: Sequence[IndexRecord]) -> None:
        """Write index records (the index opens, or starts afresh for a reindex, on first use)."""
        if records:
            self._index().upsert(list(records))

    def wrap_up(
        self,
        specs: Sequence[str],
        files: Sequence[SourceFile],
        report: IngestReport,
        *,
        changed: bool,
        prune: bool = False,
    ) -> None:
        """End a run: forget gone files under ``specs`` (``prune``), optimise a changed index,
        count the assets a reindex did not reach."""
        if prune:
            changed |= self._prune(specs, files, report)
        if changed:
            self._index().optimize()
        if self._reindex:
            report.not_reindexed = max(0, self.catalog.count_assets() - len(self._touched))

    def _scan(
        self, specs: Sequence[str], recursive: bool, report: IngestReport
    ) -> list[SourceFile]:
        files: dict[str, SourceFile] = {}
        for spec in specs:
            for entry in open_source(spec, self.settings).scan(spec, recursive):
                if isinstance(entry, ScanProblem):
                    report.failed.append((utf8_safe(entry.uri), entry.reason))
                elif not is_utf8(entry.uri):  # one such name must not stop the others
                    report.failed.append((utf8_safe(entry.uri), NOT_UTF8))
                else:
                    files.setdefault(entry.uri, entry)
        return list(files.values())

    def _catalogued(self, report: IngestReport) -> list[SourceFile]:
        """Every catalogued source's current entry; gone or unreadable ones are reported."""
        files: list[SourceFile] = []
        for entry in stat_each(self.catalog.source_uris(), self.settings, gone=GONE):
            if isinstance(entry, ScanProblem):
                report.failed.append((entry.uri, entry.reason))
            else:
                files.append(entry)
        return files

    def _run_batches(
        self,
        chunks: Sequence[Sequence[SourceFile]],
        pool: ThreadPoolExecutor,
        report: IngestReport,
        tick: Callable[[str], None],
    ) -> bool:
        """Run the batches with the next one always queued: the workers read and decode it
        while the main thread embeds, indexes and commits the current one (no idle pool at
        batch boundaries)."""
        changed = False
        in_flight: list[Batch] = []  # the batch being finished, then the one queued behind it
        try:
            for files in chunks:
                in_flight.append(self._submit(files, pool, report, tick))
                if len(in_flight) == 2:
                    changed |= self._finish(in_flight[0], report, tick)
                    in_flight.pop(0)
            if in_flight:
                changed |= self._finish(in_flight[0], report, tick)
        except BaseException:
            for future in (f for batch in in_flight for f in batch.futures):
                future.cancel()  # an interrupted run stops at once; the next resumes from here
            raise
        return changed

    def _submit(
        self,
        files: Sequence[SourceFile],
        pool: ThreadPoolExecutor,
        report: IngestReport,
        tick: Callable[[str], None],
    ) -> Batch:
        """Plan one batch and queue the reading of its new or changed files."""
        known = self.catalog.lookup([f.uri for f in files])
        todo = self.plan(files, known)
        report.unchanged += len(files) - len(todo)
        for _ in range(len(files) - len(todo)):
            tick("unchanged")
        if todo and self.embeds_images is None:  # on the main thread: loads only when needed
            self.embeds_images = "image" in self._embedder().identity.modalities
        return Batch(known, [pool.submit(self.prepare_safely, task) for task in todo])

    def _finish(self, batch: Batch, report: IngestReport, tick: Callable[[str], None]) -> bool:
        """Caption, embed, index and commit one queued batch (False: it had nothing to read)."""
        if not batch.futures:
            return False
        prepared: list[Prepared] = []
        records: list[IndexRecord] = []
        waiting: list[Prepared] = []  # assets not yet captioned
        seen: set[str] = set()  # identical bytes at two paths are captioned once
        for future in batch.futures:
            item = future.result()
            if isinstance(item, tuple):
                report.failed.append(item)
                tick(os.path.basename(item[0]))
                continue
            prepared.append(item)
            if item.caption_input is not None and item.asset.id not in seen:
                seen.add(item.asset.id)
                waiting.append(item)
            if len(waiting) >= EMBED_CHUNK:
                records += self.caption_embed(waiting)
                waiting = []
            tick(item.file.name)
        records += self.caption_embed(waiting)
        self.upsert(records)
        self.record(prepared, [r.asset for r in records], batch.known, report)
        return True

    def plan(self, files: Sequence[SourceFile], known: dict[str, SourceRow]) -> list[Task]:
        """Tasks for the files that need reading; unchanged ones are only counted."""
        todo, backfill = [], []
        for file in files:
            row, sig = known.get(file.uri), self._sigs.of(file)
            if row is None:
                todo.append(Task(file, sig, recaption=self._reindex))
                continue
            caption_changed = row.caption_sig is not None and row.caption_sig != sig
            if self._reindex or caption_changed or not _unchanged(file, row):
                todo.append(Task(file, sig, self._reindex or caption_changed, caption_changed))
                continue
            self._touched.add(row.asset_id)
            if row.caption_sig is None:  # a row from before caption tracking: fill it in
                backfill.append((file.uri, sig))
        if backfill:
            self.catalog.set_caption_sigs(backfill)
        return todo

    def prepare_safely(self, task: Task) -> Prepared | tuple[str, str]:
        try:
            return self._prepare(task)
        except ReelragError as exc:  # the report names the file already: drop the decoder's prefix
            return (task.file.uri, exc.message.removeprefix(f"{task.file.name}: "))
        except Exception as exc:  # one bad file never stops the run; the log keeps the trace
            log.warning("unexpected failure on %s", task.file.uri, exc_info=True)
            return (task.file.uri, f"unexpected {type(exc).__name__}: {exc}")

    def _prepare(self, task: Task) -> Prepared:
        file = task.file
        source = open_source(file.uri, self.settings)
        data = source.read_bytes(file.uri)
        asset_id = hashlib.sha256(data).hexdigest()
        existing = self.catalog.get_asset(asset_id)
        if existing is not None and not task.recaption:
            return Prepared(task, existing, is_new=False)
        needs_px = max(
            CAPTION_IMAGE_PX if self.captioner.needs_pixels else 0,
            EMBED_IMAGE_PX if self.embeds_images else 0,
        )
        decoded = decode_image(
            data,
            max_pixels=self.settings.max_image_pixels,
            target_px=self.settings.normalized_max_px,
            name=file.name,
            reuse_target_px=max(self.settings.thumbnail_px, needs_px),
        )
        if existing is not None and objects_exist(self.store, existing):
            asset = existing  # re-captioning only: the stored copies stay as they are
        else:
            asset = store_objects(self.store, self.settings, file, asset_id, data, decoded)
            if existing is not None:  # its store objects had gone: keep its place in the list
                asset = asset.replace(ingested_at=existing.ingested_at)
        pixels = (
            fit_longest(decoded.image, CAPTION_IMAGE_PX) if self.captioner.needs_pixels else None
        )
        caption_input = CaptionInput(file.uri, file.name, asset_id, decoded.metadata, pixels)
        embed_image = fit_longest(decoded.image, EMBED_IMAGE_PX) if self.embeds_images else None
        return Prepared(task, asset, existing is None, caption_input, embed_image)

    def caption_embed(self, prepared: Sequence[Prepared]) -> list[IndexRecord]:
        """Index records for new assets: caption them, embed the index text and the pixels."""
        if not prepared:
            return []
        captions = self.captioner.caption_batch([p.caption_input for p in prepared])  # type: ignore[misc]
        assets = [
            p.asset.replace(caption=c.text, keywords=c.keywords, caption_source=c.source)
            for p, c in zip(prepared, captions, strict=True)
        ]
        texts = [index_text(a) for a in assets]
        # Vectors embed the caption without path words (weak evidence, see captioning.evidence).
        vectors = self._embedder().embed_texts([embed_text(a) for a in assets])
        images = self._embed_images(prepared)
        return [
            IndexRecord(a, v, t, image)
            for a, v, t, image in zip(assets, vectors, texts, images, strict=True)
        ]

    def _embed_images(self, prepared: Sequence[Prepared]) -> list[np.ndarray | None]:
        """Image vectors in ``prepared`` order (``None`` without an image embedder)."""
        if not self.embeds_images:
            return [None] * len(prepared)
        pixels = [p.embed_image for p in prepared if p.embed_image is not None]
        found = iter(self._embedder().embed_images(pixels) if pixels else [])
        return [None if p.embed_image is None else next(found) for p in prepared]

    def record(
        self,
        prepared: Sequence[Prepared],
        captioned: Sequence[Asset],
        known: dict[str, SourceRow],
        report: IngestReport,
    ) -> None:
        rows = [
            SourceRow(p.file.uri, p.file.size, p.file.mtime_ns, p.asset.id, p.task.caption_sig)
            for p in prepared
        ]
        self.catalog.commit_batch(captioned, rows)  # new assets, and new captions of known ones
        # Identical bytes at paths in two batches in flight are both "new": count them once.
        report.new_assets += len({p.asset.id for p in prepared if p.is_new} - self._touched)
        self._touched.update(p.asset.id for p in prepared)
        replaced = []
        for p in prepared:
            old = known.get(p.file.uri)
            if old is None:
                report.added += 1
            elif old.asset_id != p.asset.id:
                report.updated += 1
                replaced.append(old.asset_id)
            elif p.task.caption_changed:
                report.updated += 1
            elif self._reindex:
                report.reindexed += 1
            else:
                report.unchanged += 1  # touched, same bytes
        self.purge(self.catalog.orphans(replaced))

    def _prune(
        self, specs: Sequence[str], seen: Sequence[SourceFile], report: IngestReport
    ) -> bool:
        seen_uris = {f.uri for f in seen}
        gone = []
        for prefix in prune_prefixes(specs):
            for row in self.catalog.sources_under(prefix):
                if row.uri not in seen_uris and _is_gone(row.uri, self.settings):
                    gone.append(row.uri)
        if not gone:
            return False
        report.removed += len(gone)
        self.purge(self.catalog.remove_sources(gone))
        return True

    def purge(self, asset_ids: Iterable[str]) -> None:
        """Delete assets from the index, the store and the catalog (never the user's files)."""
        ids = list(asset_ids)
        if not ids:
            return
        self._index().delete(ids)
        for asset_id in ids:
            asset = self.catalog.get_asset(asset_id)
            if asset is not None:
                for key in {asset.original_key, asset.normalized_key, asset.thumbnail_key} - {""}:
                    self.store.delete(key)
            self.catalog.remove_asset(asset_id)


def _unchanged(file: SourceFile, row: SourceRow | None) -> bool:
    return row is not None and row.size == file.size and row.mtime_ns == file.mtime_ns


def _is_gone(uri: str, settings: Settings) -> bool:
    return open_source(uri, settings).stat(uri) is None


def index_text(asset: Asset) -> str:
    """What BM25 sees: caption, keywords and the file name's words."""
    name_words = words_from_name(os.path.splitext(os.path.basename(asset.source))[0])
    parts = [asset.caption, " ".join(asset.keywords), " ".join(name_words)]
    return " ".join(p for p in parts if p).strip()
