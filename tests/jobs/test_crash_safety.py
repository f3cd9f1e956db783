"""Crash safety: SIGKILL the worker process at random points, restart it, and check that every job
ended exactly once: one submission per job in the simulated service's ledger, every output whole."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from reelrag.batch.files import parse_templates
from reelrag.batch.plan import plan_rows
from reelrag.jobs import JobStore, job_dir, open_job_store
from reelrag.settings import load_settings
from reelrag.testing.remote import SimulatedGenerator

WORKER = (
    "from reelrag.jobs import Worker, open_job_store\n"
    "from reelrag.testing.remote import register\n"
    "register(latency_s=0.4)\n"
    "from reelrag.settings import load_settings\n"
    "s = load_settings()\n"
    "Worker(open_job_store(s), s).run()\n"
)


def _wait_until_running(store: JobStore, batch_id: str, proc: subprocess.Popen[bytes]) -> bool:
    """True once a job of the batch is running (False if the worker exited or 20 s passed)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and proc.poll() is None:
        if any(job.state == "running" for job in store.list(batch_id=batch_id)):
            return True
        time.sleep(0.02)
    return False


@pytest.fixture(params=["sqlite", "postgres"])
def jobs_url(request: pytest.FixtureRequest) -> str:
    """The job store each run uses: the default SQLite file, or a fresh PostgreSQL database."""
    return "" if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkilled_workers_finish_every_job_exactly_once(workspace: Path, jobs_url: str) -> None:
    env = {
        **os.environ,
        "REELRAG_JOBS_URL": jobs_url,
        "REELRAG_WORKSPACE": str(workspace),
        "REELRAG_LEASE_S": "0.6",
        "REELRAG_BACKEND_CONCURRENCY": "simulated=4",
    }
    settings = load_settings(environ=env)
    rows = parse_templates(
        "\n".join(f"Clip {i}: <action_prompt>" for i in range(12)), None, "pan left"
    )
    plan = plan_rows(rows, settings, backend="simulated")
    store = open_job_store(settings)
    store.add_many(plan.jobs())
    rng = random.Random(7)
    kills = 0
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", WORKER], env=env)
        # Kill at a random point while this worker holds jobs (not before it has any: start-up
        # time varies with the machine's load, which made a fixed delay miss the work).
        if _wait_until_running(store, plan.batch_id, proc):
            time.sleep(rng.uniform(0.05, 0.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    final = subprocess.run([sys.executable, "-c", WORKER], env=env, timeout=60)
    assert final.returncode == 0
    assert kills >= 2
    jobs = store.list(batch_id=plan.batch_id)
    assert [j.state for j in jobs] == ["succeeded"] * 12
    taken_over = [e for e in store.events(batch_id=plan.batch_id) if "taken over" in e.message]
    assert taken_over  # the kills did land while jobs were running
    ledger = SimulatedGenerator.from_settings(settings).submissions()
    assert len(ledger) == 12 and set(ledger.values()) == {1}  # nothing paid for twice
    for job in jobs:
        folder = job_dir(settings, job)
        assert not list(folder.glob(".tmp-*"))
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["request"]["prompt"] == job.payload["request"]["prompt"]
        with av.open(str(folder / "video.mp4")) as container:
            assert sum(1 for _ in container.decode(video=0)) == job.result["frames"]  # type: ignore[index]
