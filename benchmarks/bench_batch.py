"""Batch throughput against the simulated remote backend.

60 jobs, Nova-Reel-like latency of 90 s scaled down (default 0.5 s), a concurrency quota of 5.
Measures ReelRAG's worker (durable SQLite jobs, leases, adaptive polling, real MP4 collection)
against the reference design's approach in the same run: one job after another, polling every
60 s (scaled by the same factor). Prints both times, the ideal ceil(jobs/quota) x latency and the
ratios.

    .venv/bin/python benchmarks/bench_batch.py [--jobs 60] [--latency 0.5] [--quota 5]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

from reelrag.batch.files import parse_templates
from reelrag.batch.plan import plan_rows
from reelrag.generation.base import check_request
from reelrag.jobs import SQLiteJobStore, Worker
from reelrag.settings import load_settings
from reelrag.testing.remote import SimulatedGenerator
from reelrag.testing.remote import register as register_simulated
from reelrag.types import GenerationRequest

REAL_LATENCY_S = 90.0
REFERENCE_POLL_S = 60.0


def run_reelrag(root: Path, jobs: int, latency: float, quota: int) -> tuple[float, int]:
    register_simulated(latency_s=latency)
    settings = load_settings(
        {"workspace": root / "ws", "backend_concurrency": f"simulated={quota}"}, environ={}
    )
    rows = parse_templates(
        "\n".join(f"Shot {i}: <action_prompt>" for i in range(jobs)), None, "pan"
    )
    plan = plan_rows(rows, settings, backend="simulated")
    store = SQLiteJobStore(settings.jobs_path)
    store.add_many(plan.jobs())
    started = time.perf_counter()
    summary = Worker(store, settings).run(batch_id=plan.batch_id)
    elapsed = time.perf_counter() - started
    ledger = SimulatedGenerator.from_settings(settings).submissions()
    assert set(ledger.values()) == {1}, "a job was submitted twice"
    return elapsed, len(summary.succeeded)


def run_reference(root: Path, jobs: int, latency: float) -> float:
    """The reference loop: submit, sleep the fixed poll interval until done, collect, next."""
    generator = SimulatedGenerator(root / "ref" / "ledger.sqlite", latency_s=latency)
    poll_s = REFERENCE_POLL_S * latency / REAL_LATENCY_S
    started = time.perf_counter()
    for i in range(jobs):
        resolved = check_request(
            GenerationRequest(prompt=f"Shot {i}: pan"), generator.capabilities, i
        )
        remote_id = generator.submit(resolved, None, f"ref-{i}")
        while True:
            time.sleep(poll_s)
            if generator.poll(remote_id)[0] != "running":
                break
        generator.collect(remote_id, root / "ref" / f"{i}.mp4")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=60)
    parser.add_argument("--latency", type=float, default=0.5, help="scaled 90 s latency")
    parser.add_argument("--quota", type=int, default=5)
    args = parser.parse_args()
    ideal = math.ceil(args.jobs / args.quota) * args.latency
    import av  # noqa: F401 - warm the imports both approaches share, outside the timings

    import reelrag.pipeline  # noqa: F401

    with tempfile.TemporaryDirectory() as tmp:
        ours, done = run_reelrag(Path(tmp), args.jobs, args.latency, args.quota)
        reference = run_reference(Path(tmp), args.jobs, args.latency)
    print(f"jobs {args.jobs}, latency {args.latency}s (90 s scaled), quota {args.quota}")
    print(f"ideal ceil(jobs/quota) x latency : {ideal:7.2f} s")
    print(f"reelrag worker                   : {ours:7.2f} s  ({done} succeeded) "
          f"= {ours / ideal:.3f} x ideal (target <= 1.05)")  # fmt: skip
    print(
        f"reference (sequential, 60 s poll): {reference:7.2f} s = {reference / ideal:.2f} x ideal"
    )
    print(f"speed-up over the reference      : {reference / ours:.1f} x")
    scale = REAL_LATENCY_S / args.latency
    print(f"at real scale: ~{ours * scale / 60:.1f} min vs ~{reference * scale / 60:.1f} min")


if __name__ == "__main__":
    main()
