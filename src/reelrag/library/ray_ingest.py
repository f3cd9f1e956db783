"""Ingest on a Ray cluster with Ray Data (``reelrag ingest SRC --executor ray``).

The same stages and guarantees as :class:`reelrag.library.ingest.Ingestor`, spread over a
cluster: the driver lists the sources (a folder, a glob or ``s3://``) and plans against the
catalog, so unchanged files are skipped and a re-run after a crash resumes where the last commit
stopped; a pool of CPU actors reads, hashes, decodes, normalises and thumbnails each file into
content-addressed store keys (a re-run writes the same keys); a second actor pool, placed by the
models' needs (MiniLM on CPU, CLIP/SigLIP or Florence on a GPU, Titan and Bedrock as one
rate-limited I/O actor), captions and embeds; the driver upserts each batch into the index and
commits it to the catalog, the "done" marker. A worker that dies has its tasks retried by Ray
Data. ``prune`` (forget gone files) and ``reindex`` (caption and embed again; with no sources,
every catalogued file) behave as in local ingest: the driver runs the same
:class:`~reelrag.library.ingest.Ingestor` steps around the distributed reading. The store, the
catalog and the index must be on storage every node reaches.
"""

from __future__ import annotations

import logging
import pickle
import time
from collections.abc import Iterable, Sequence
from typing import Any

from reelrag.events import ProgressCallback, ProgressEvent, ignore_progress
from reelrag.index.base import IndexRecord
from reelrag.library.catalog import Catalog
from reelrag.library.ingest import EMBED_CHUNK, Ingestor
from reelrag.library.library import Library
from reelrag.library.report import IngestReport
from reelrag.library.tasks import Prepared, Task
from reelrag.plugins import registry
from reelrag.raycluster import connect
from reelrag.settings import Settings
from reelrag.storage import open_store

log = logging.getLogger(__name__)

PREPARE_BATCH = 8  # files per decode task: small, so a lost worker costs little
# Where the caption + embed actor runs, by the heaviest model it holds. Remote models (Titan,
# Bedrock) get one actor with a fraction of a CPU: their rate limit is the service's.
MODEL_RESOURCES: dict[str, dict[str, float]] = {
    "clip": {"num_gpus": 1.0, "num_cpus": 0.0},
    "transformers": {"num_gpus": 1.0, "num_cpus": 0.0},
    "titan": {"num_cpus": 0.25},
    "bedrock": {"num_cpus": 0.25},
}
REMOTE_MODELS = ("titan", "bedrock")


def _no_model() -> Any:
    raise RuntimeError("this ingest stage holds no embedder or index")


def _ingestor(settings: Settings, embeds_images: bool, embedder: Any = None) -> Ingestor:
    """An ingestor over this node's view of the shared store and catalog."""
    captioner = registry.create("captioner", settings.captioner, settings)
    ingestor = Ingestor(
        settings, open_store(settings), Catalog(settings.catalog_path), captioner,
        embedder=(lambda: embedder) if embedder is not None else _no_model, index=_no_model,
    )  # fmt: skip
    ingestor.embeds_images = embeds_images
    return ingestor


class PrepareFiles:
    """Ray Data stage 1 (CPU actors): read, hash, decode, normalise, thumbnail, store."""

    def __init__(self, settings: Settings, embeds_images: bool):
        self.ingestor = _ingestor(settings, embeds_images)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[bytes]]:
        tasks: list[Task] = [pickle.loads(blob) for blob in batch["blob"]]
        return {"blob": [pickle.dumps(self.ingestor.prepare_safely(t)) for t in tasks]}


class CaptionEmbed:
    """Ray Data stage 2 (model actors): caption and embed; the models load once per actor."""

    def __init__(self, settings: Settings, embeds_images: bool):
        embedder = registry.create("embedder", settings.embedder, settings)
        self.ingestor = _ingestor(settings, embeds_images, embedder)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[bytes]]:
        items = [pickle.loads(blob) for blob in batch["blob"]]
        waiting: dict[str, Prepared] = {}  # identical bytes at two paths are captioned once
        for item in items:
            if isinstance(item, Prepared) and item.caption_input is not None:
                waiting.setdefault(item.asset.id, item)
        records = {r.asset.id: r for r in self.ingestor.caption_embed(list(waiting.values()))}
        out = []
        for item in items:
            if isinstance(item, Prepared):  # pixels stay here; the driver needs the rows only
                item.caption_input, item.embed_image = None, None
                record = records.pop(item.asset.id, None)
            else:
                record = None
            out.append(pickle.dumps((item, record)))
        return {"blob": out}


def ray_ingest(
    library: Library,
    specs: Sequence[str],
    *,
    recursive: bool = False,
    prune: bool = False,
    reindex: bool = False,
    address: str = "",
    progress: ProgressCallback = ignore_progress,
) -> IngestReport:
    """Ingest ``specs`` through Ray Data on the cluster at ``address`` (see the module
    docstring); ``prune`` and ``reindex`` as in :meth:`Library.ingest` (no ``specs`` with
    ``reindex``: every catalogued file). Returns the same report as :meth:`Library.ingest`."""
    started = time.perf_counter()
    report = IngestReport()
    ingestor = library.ingestor(reindex)
    ingestor.begin(reindex=reindex)
    files = ingestor.list_files(specs, recursive, report)
    known = library.catalog.lookup([f.uri for f in files])
    todo = ingestor.plan(files, known)
    report.unchanged += len(files) - len(todo)
    progress(ProgressEvent("ingest", report.unchanged, len(files)))
    changed = False
    if todo:
        embeds_images = "image" in library.embedder.identity.modalities
        batches = _stream(connect(address), library.settings, todo, embeds_images)
        changed = _commit(ingestor, batches, known, report, progress, len(files))
    ingestor.wrap_up(specs, files, report, changed=changed, prune=prune)
    report.elapsed_s = time.perf_counter() - started
    log.info("ray ingest: %s", report.to_dict())
    return library.complete(report)


def _stream(
    ray: Any, settings: Settings, todo: list[Task], embeds_images: bool
) -> Iterable[list[tuple[Prepared | tuple[str, str], IndexRecord | None]]]:
    """The Ray Data pipeline: batches of (prepared file or failure, its index record)."""
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    model = settings.embedder if settings.embedder in MODEL_RESOURCES else settings.captioner
    resources = MODEL_RESOURCES.get(model, {"num_cpus": 1.0})
    models = 1 if model in REMOTE_MODELS else max(1, int(_units(ray, resources)))
    items = [{"blob": pickle.dumps(task)} for task in todo]
    blocks = max(1, min(len(items), len(items) // PREPARE_BATCH))
    args = (settings, embeds_images)
    pool = ray.data.ActorPoolStrategy
    dataset = (
        ray.data.from_items(items, override_num_blocks=blocks)
        .map_batches(PrepareFiles, fn_constructor_args=args, batch_size=PREPARE_BATCH,
                     compute=pool(min_size=1, max_size=max(1, cpus - 1)), num_cpus=1)
        .map_batches(CaptionEmbed, fn_constructor_args=args, batch_size=EMBED_CHUNK,
                     compute=pool(min_size=1, max_size=models), **resources)
    )  # fmt: skip
    for batch in dataset.iter_batches(batch_size=settings.ingest_batch, batch_format="numpy"):
        yield [pickle.loads(blob) for blob in batch["blob"]]


def _units(ray: Any, resources: dict[str, float]) -> float:
    """How many model actors the cluster holds at once."""
    total = ray.cluster_resources()
    if resources.get("num_gpus"):
        return float(total.get("GPU", 0) // resources["num_gpus"])
    return max(1.0, float(total.get("CPU", 1)) - 1)  # one CPU stays with the decoders


def _commit(
    ingestor: Ingestor,
    batches: Iterable[list[tuple[Prepared | tuple[str, str], IndexRecord | None]]],
    known: dict[str, Any],
    report: IngestReport,
    progress: ProgressCallback,
    total: int,
) -> bool:
    """Upsert each batch into the index, then commit it to the catalog (the "done" marker)."""
    done, changed = report.unchanged, False
    for batch in batches:
        prepared = [item for item, _ in batch if isinstance(item, Prepared)]
        report.failed.extend(item for item, _ in batch if isinstance(item, tuple))
        records = [record for _, record in batch if record is not None]
        ingestor.upsert(records)
        ingestor.record(prepared, [r.asset for r in records], known, report)
        changed = changed or bool(prepared)
        done += len(batch)
        progress(ProgressEvent("ingest", done, total, f"{len(batch)} files committed"))
    return changed
