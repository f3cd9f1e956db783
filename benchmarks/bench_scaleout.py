"""Scale-out figures in one run: the Ray executor and Ray Data ingest against the local paths, and
the PostgreSQL job store against SQLite.

    .venv/bin/python benchmarks/bench_scaleout.py [--jobs 24] [--render 1.0] [--images 240]

1. Per-job overhead of the Ray executor vs the local worker (ms): the same N fake-GPU jobs with a
   zero-second render, one at a time, on each executor; (ray - local) / N.
2. Throughput with 4 fake GPUs vs ideal: N jobs of ``--render`` seconds each on a local Ray with
   4 logical GPUs (after a warm-up that starts the actors); ideal = ceil(N / 4) x render;
   ratio = ideal / measured.
3. Claim throughput with 8 worker processes: PostgreSQL (a throw-away cluster on 127.0.0.1, or
   ``--postgres-url``) vs SQLite; each worker claims and finishes jobs until the queue is empty.
4. Ray Data ingest vs ``reelrag ingest`` of ``--images`` small generated photos.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from reelrag.batch.files import parse_templates
from reelrag.batch.plan import plan_rows
from reelrag.jobs import JobStore, SQLiteJobStore, Worker
from reelrag.library import Library
from reelrag.settings import Settings, load_settings
from reelrag.testing.gpu import register as register_fake_gpu
from reelrag.types import Job

CLAIM_JOBS = 4000
CLAIM_WORKERS = 8


def fake_gpu_settings(root: Path, render_s: float, **extra: Any) -> Settings:
    register_fake_gpu(render_s=render_s)
    values = {"workspace": root, "lease_s": 30, **extra}
    return load_settings(values, environ={})


def queue(settings: Settings, jobs: int, word: str) -> str:
    """Queue ``jobs`` fake-GPU jobs (prompts start with ``word``); their batch id."""
    text = "\n".join(f"{word} {i}: <action_prompt>" for i in range(jobs))
    plan = plan_rows(parse_templates(text, None, "pan"), settings, backend="fake-gpu")
    SQLiteJobStore(settings.jobs_path).add_many(plan.jobs())
    return plan.batch_id


def run_batch(settings: Settings, batch_id: str, executor: Any) -> float:
    store = SQLiteJobStore(settings.jobs_path)
    started = time.perf_counter()
    summary = Worker(store, settings, executor=executor).run(batch_id=batch_id)
    elapsed = time.perf_counter() - started
    assert not summary.failed and not summary.pending, summary.to_dict()
    return elapsed


def timed(settings: Settings, executor: Any, jobs: int, warm_jobs: int) -> float:
    """Seconds for ``jobs`` jobs after ``warm_jobs`` warm-up jobs (imports, actors, models)."""
    run_batch(settings, queue(settings, warm_jobs, "Warm"), executor)
    return run_batch(settings, queue(settings, jobs, "Clip"), executor)


def overhead_ms(root: Path, jobs: int) -> tuple[float, float, float]:
    """(local s/job, ray s/job, overhead ms/job) for one-at-a-time zero-render jobs."""
    from reelrag.jobs.executors.ray import RayExecutor
    from reelrag.jobs.executors.threads import LocalExecutor

    one = {"backend_concurrency": "fake-gpu=1"}
    local = timed(fake_gpu_settings(root / "local", 0.0, **one), LocalExecutor(), jobs, 2)
    settings = fake_gpu_settings(root / "ray", 0.0, **one)
    executor = RayExecutor(settings)
    ray_s = timed(settings, executor, jobs, 2)
    executor.close()
    return local / jobs, ray_s / jobs, (ray_s - local) / jobs * 1000


def gpu_throughput(root: Path, jobs: int, render_s: float) -> tuple[float, float]:
    """(measured s, ideal s) for ``jobs`` renders on 4 fake GPUs (actors started beforehand)."""
    from reelrag.jobs.executors.ray import RayExecutor

    settings = fake_gpu_settings(root, render_s)
    executor = RayExecutor(settings)
    elapsed = timed(settings, executor, jobs, 4)
    executor.close()
    return elapsed, math.ceil(jobs / 4) * render_s


def _claimer(url: str, path: str, name: str, ready: Any, go: Any, out: Any) -> None:
    store: JobStore
    if url:
        from reelrag.jobs.postgres import PostgresJobStore

        store = PostgresJobStore(url)
    else:
        store = SQLiteJobStore(path)
    ready.put(name)
    go.wait()
    done = 0
    while (job := store.claim(name, 60)) is not None:
        store.finish(job.id, name, "succeeded", result={"ok": True}, attempt=job.attempts)
        done += 1
    out.put(done)


def claim_rate(url: str, path: str) -> float:
    """Claims + finishes per second with CLAIM_WORKERS processes sharing one store (timed from
    when every process has its connection)."""
    jobs = [Job(id=f"c-{i:05d}", kind="generate", payload={"request": {"prompt": "p"}})
            for i in range(CLAIM_JOBS)]  # fmt: skip
    if url:
        from reelrag.jobs.postgres import PostgresJobStore

        PostgresJobStore(url).add_many(jobs)
    else:
        SQLiteJobStore(path).add_many(jobs)
    ctx = mp.get_context("spawn")
    ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=_claimer, args=(url, path, f"w{i}", ready, go, out))
             for i in range(CLAIM_WORKERS)]  # fmt: skip
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.get()
    started = time.perf_counter()
    go.set()
    total = sum(out.get() for _ in procs)
    elapsed = time.perf_counter() - started
    for proc in procs:
        proc.join()
    assert total == CLAIM_JOBS, total
    return total / elapsed


def ingest_times(root: Path, images: int) -> tuple[float, float]:
    """(reelrag ingest s, Ray Data ingest s) for ``images`` generated photos."""
    from reelrag.library.ray_ingest import ray_ingest

    photos = root / "photos"
    photos.mkdir(parents=True)
    rng = np.random.default_rng(3)
    for i in range(images):
        pixels = rng.integers(0, 256, size=(96, 128, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(photos / f"photo_{i:04d}.png")
        (photos / f"photo_{i:04d}.txt").write_text(f"a generated photo number {i}")
    local = Library(load_settings({"workspace": root / "local-ingest"}, environ={}))
    started = time.perf_counter()
    assert local.ingest(str(photos)).added == images
    local_s = time.perf_counter() - started
    on_ray = Library(load_settings({"workspace": root / "ray-ingest"}, environ={}))
    started = time.perf_counter()
    assert ray_ingest(on_ray, [str(photos)]).added == images
    return local_s, time.perf_counter() - started


def part_overhead(root: Path, args: argparse.Namespace) -> None:
    local_s, ray_s, overhead = overhead_ms(root, args.jobs)
    print(f"per-job: local worker {local_s * 1000:.1f} ms, ray executor {ray_s * 1000:.1f} ms"
          f" -> Ray overhead {overhead:.1f} ms/job (target <= 20)")  # fmt: skip


def part_gpus(root: Path, args: argparse.Namespace) -> None:
    measured, ideal = gpu_throughput(root, args.jobs, args.render)
    print(f"4 fake GPUs: {args.jobs} x {args.render:g}s renders in {measured:.2f}s, ideal "
          f"{ideal:.2f}s -> {ideal / measured:.2f} of ideal (target >= 0.85)")  # fmt: skip


def part_claims(root: Path, args: argparse.Namespace) -> None:
    root.mkdir(parents=True)
    pg_rate, sqlite_rate = claim_rates(root, args.postgres_url)
    print(f"claims+finishes/s with {CLAIM_WORKERS} worker processes: PostgreSQL {pg_rate:.0f}, "
          f"SQLite {sqlite_rate:.0f} -> PostgreSQL/SQLite {pg_rate / sqlite_rate:.2f}")  # fmt: skip


def part_ingest(root: Path, args: argparse.Namespace) -> None:
    local_s, ray_s = ingest_times(root, args.images)
    print(f"ingest of {args.images} photos: reelrag ingest {local_s:.2f}s, Ray Data {ray_s:.2f}s"
          f" -> Ray Data takes {ray_s / local_s:.2f}x as long")  # fmt: skip


PARTS = {
    "overhead": part_overhead,
    "gpus": part_gpus,
    "claims": part_claims,
    "ingest": part_ingest,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=24)
    parser.add_argument("--render", type=float, default=1.0)
    parser.add_argument("--images", type=int, default=240)
    parser.add_argument("--postgres-url", default="")
    parser.add_argument("--only", default="", help="run one part: overhead|gpus|claims|ingest")
    args = parser.parse_args()
    import ray

    ray.init(num_cpus=2, num_gpus=4, include_dashboard=False, log_to_driver=False)
    register_fake_gpu()
    with tempfile.TemporaryDirectory() as tmp:
        for name, part in PARTS.items():
            if args.only in ("", name):
                part(Path(tmp) / name, args)
    ray.shutdown()


def claim_rates(root: Path, url: str) -> tuple[float, float]:
    """(PostgreSQL, SQLite) claim rates; a throw-away PostgreSQL cluster when no URL is given."""
    from reelrag.testing import pgcluster as postgres

    sqlite_rate = claim_rate("", str(root / "claims.sqlite"))
    if url:
        return claim_rate(url, ""), sqlite_rate
    cluster = postgres.Cluster()
    cluster.start()
    try:
        return claim_rate(cluster.database(), ""), sqlite_rate
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
