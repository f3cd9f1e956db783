"""Resuming work: a skipped row retried searches again, a dead local worker's leases are taken
over at once, a live one's are waited for (and the batch says so), `jobs wait` without a worker
stops with one line instead of hanging."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from reelrag.batch.files import parse_templates
from reelrag.batch.plan import plan_rows
from reelrag.cli.jobs import watch
from reelrag.cli.main import app
from reelrag.errors import NoWorkerError
from reelrag.jobs import SQLiteJobStore, Worker
from reelrag.jobs.leases import owner_gone
from reelrag.library import open_library
from reelrag.settings import Settings, load_settings


def _settings(workspace: Path, **extra: object) -> Settings:
    return load_settings({"workspace": workspace, "lease_s": 60, **extra}, environ={})


def _queue(settings: Settings, lines: list[str], backend: str = "simulated") -> SQLiteJobStore:
    plan = plan_rows(parse_templates("\n".join(lines), None, "zoom in"), settings, backend=backend)
    store = SQLiteJobStore(settings.jobs_path)
    store.add_many(plan.jobs())
    return store


def _dead_owner() -> str:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return f"{socket.gethostname()}-{process.pid}-dead00"


def test_retrying_a_skipped_row_retrieves_again(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (320, 240), (30, 30, 200)).save(photos / "bike.jpg")
    (photos / "bike.txt").write_text("a blue bicycle leaning on a wall")
    settings = _settings(tmp_path / "ws", width=128, height=96, fps=8, duration_s=0.5)
    library = open_library(tmp_path / "ws")
    library.ingest(photos)
    rows = parse_templates("Slow <action_prompt>", "red kite flying", "zoom in")
    plan = plan_rows(rows, settings, library=library, backend="camera")
    assert plan.rows[0].state == "skipped"
    store = SQLiteJobStore(settings.jobs_path)
    store.add_many(plan.jobs())
    Image.new("RGB", (320, 240), (200, 30, 30)).save(photos / "kite.jpg")
    (photos / "kite.txt").write_text("a red kite flying over the beach")
    library.ingest(photos)  # the missing photo arrives
    store.retry(plan.rows[0].job_id)
    summary = Worker(store, settings, library=library).run(batch_id=plan.batch_id)
    assert len(summary.succeeded) == 1, summary.to_dict()
    manifest = Path(summary.succeeded[0].result["manifest"]).read_text()  # type: ignore[index]
    assert "kite.jpg" in manifest and "bike.jpg" not in manifest


def test_a_dead_local_workers_lease_is_taken_over_at_once(
    workspace: Path, simulated: Callable[[float], None]
) -> None:
    simulated(0.1)
    settings = _settings(workspace)
    store = _queue(settings, ["Killed <action_prompt>"])
    owner = _dead_owner()
    assert owner_gone(owner) and store.claim(owner, 60.0) is not None  # SIGKILLed mid-job
    started = time.monotonic()
    summary = Worker(store, settings).run()
    assert len(summary.succeeded) == 1
    assert time.monotonic() - started < 10  # not the 60 s lease
    assert any("its process is gone" in e.message for e in store.events())


def test_a_live_workers_lease_is_kept_and_the_batch_says_so(
    workspace: Path, tmp_path: Path, simulated: Callable[[float], None]
) -> None:
    simulated(0.1)
    prompts = tmp_path / "p.txt"
    prompts.write_text("Held <action_prompt>\n")
    settings = _settings(workspace, lease_s=2)
    plan = plan_rows(parse_templates(prompts.read_text(), None, "zoom in"), settings,
                     backend="simulated")  # fmt: skip
    store = SQLiteJobStore(settings.jobs_path)
    store.add_many(plan.jobs())
    alive = f"{socket.gethostname()}-{os.getppid()}-live00"
    assert not owner_gone(alive) and store.claim(alive, 2.0) is not None
    result = CliRunner().invoke(app, ["--workspace", str(workspace), "batch", str(prompts),
                                      "--backend", "simulated", "--action", "zoom in"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "leased by another worker" in result.stderr
    # the lease's remaining time at the moment it is read: 2 s, or less on a slow machine
    assert re.search(r"within [12]s", result.stderr), result.stderr


def test_wait_without_a_worker_stops_with_one_line(workspace: Path) -> None:
    settings = _settings(workspace)
    store = _queue(settings, ["Nobody <action_prompt>"])
    started = time.monotonic()
    with pytest.raises(NoWorkerError, match="no worker is running"):
        watch(store, lambda event: None, interval_s=0.05, no_worker_s=0.5)
    assert time.monotonic() - started < 5


def test_an_unwritable_output_folder_fails_jobs_with_one_line(
    workspace: Path, simulated: Callable[[float], None]
) -> None:
    simulated(0.05)
    settings = _settings(workspace)
    store = _queue(settings, ["Nowhere <action_prompt>"])
    outputs = settings.outputs_dir
    outputs.mkdir(parents=True)
    outputs.chmod(0o555)
    locked = subprocess.run(["chattr", "+i", str(outputs)], capture_output=True).returncode == 0
    try:
        if not locked and os.geteuid() == 0:
            pytest.skip("cannot make a folder unwritable here (root without chattr)")
        summary = Worker(store, settings).run()
    finally:
        if locked:
            subprocess.run(["chattr", "-i", str(outputs)], check=True)
        outputs.chmod(0o755)
    [job] = summary.failed
    assert job.error is not None and job.error["error"] == "NotWritableError", job.error
    assert str(outputs) in job.error["message"] and "\n" not in job.error["message"]
