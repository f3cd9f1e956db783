"""The worker against the real SQLite store, the simulated remote backend and real MP4 encoding."""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path

import av
import pytest
from PIL import Image

from reelrag.batch.files import parse_templates
from reelrag.batch.plan import plan_rows
from reelrag.jobs import (
    SQLiteJobStore,
    Worker,
    backoff_delay,
    job_dir,
    job_token,
    poll_delays,
)
from reelrag.settings import Settings, load_settings, parse_limits
from reelrag.testing.remote import SimulatedGenerator
from reelrag.testing.remote import register as register_simulated


def _settings(workspace: Path, latency_s: float = 0.2, **extra: object) -> Settings:
    register_simulated(latency_s=latency_s)
    values: dict[str, object] = {"workspace": workspace, "lease_s": 5}
    values.update(extra)
    return load_settings(values, environ={})


def _queue(
    settings: Settings, lines: list[str], backend: str = "simulated"
) -> tuple[str, SQLiteJobStore]:
    rows = parse_templates("\n".join(lines), None, "camera pans down")
    plan = plan_rows(rows, settings, backend=backend)
    store = SQLiteJobStore(settings.jobs_path)
    store.add_many(plan.jobs())
    return plan.batch_id, store


def _frames(path: str) -> int:
    with av.open(path) as container:
        return sum(1 for _ in container.decode(video=0))


def test_batch_runs_with_failures_retries_and_no_duplicate_submissions(workspace: Path) -> None:
    settings = _settings(workspace)
    lines = ["Shot <action_prompt>", "FAIL <action_prompt>", "THROTTLE <action_prompt>",
             "BROKEN <action_prompt>", "Another <action_prompt>"]  # fmt: skip
    batch_id, store = _queue(settings, lines)
    summary = Worker(store, settings, backoff_base_s=0.01).run(batch_id=batch_id)
    assert [j.id[-1] for j in summary.succeeded] == ["1", "3", "5"]
    reasons = {j.id[-1]: j.error["message"] for j in summary.failed if j.error}
    assert "FAIL" in reasons["2"] and "BROKEN" in reasons["4"]
    assert store.get(f"{batch_id}-0003").attempts == 2  # throttled once, then retried
    ledger = SimulatedGenerator.from_settings(settings).submissions()
    assert set(ledger.values()) == {1} and len(ledger) == 4  # FAIL never reached the service
    for job in summary.succeeded:
        folder = job_dir(settings, job)
        assert sorted(p.name for p in folder.iterdir()) == [
            "manifest.json",
            "poster.jpg",
            "video.mp4",
        ]
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["request"]["prompt"] == job.payload["request"]["prompt"]
        assert _frames(str(folder / "video.mp4")) == job.result["frames"]  # type: ignore[index]


def test_rerunning_a_finished_batch_does_nothing(workspace: Path) -> None:
    settings = _settings(workspace)
    batch_id, store = _queue(settings, ["One <action_prompt>", "Two <action_prompt>"])
    Worker(store, settings).run(batch_id=batch_id)
    again_id, _ = _queue(settings, ["One <action_prompt>", "Two <action_prompt>"])
    assert again_id == batch_id
    assert store.counts(batch_id=batch_id)["succeeded"] == 2
    events_before = len(store.events(batch_id=batch_id))
    Worker(store, settings).run(batch_id=batch_id)
    assert len(store.events(batch_id=batch_id)) == events_before  # nothing claimed, nothing run
    assert set(SimulatedGenerator.from_settings(settings).submissions().values()) == {1}


@pytest.mark.parametrize("limit", [2, 4])
def test_backend_concurrency_limit_paces_the_batch(workspace: Path, limit: int) -> None:
    latency = 0.3
    settings = _settings(workspace, latency_s=latency, backend_concurrency=f"simulated={limit}")
    batch_id, store = _queue(settings, [f"Job {i} <action_prompt>" for i in range(8)])
    summary = Worker(store, settings).run(batch_id=batch_id)
    assert len(summary.succeeded) == 8
    # No job can finish before the service's latency: `limit` + 1 submissions within one
    # latency window would mean more than `limit` jobs in flight at once.
    times = SimulatedGenerator.from_settings(settings).submission_times()
    in_window = [sum(1 for t in times if start <= t < start + latency) for start in times]
    assert max(in_window) == limit  # the limit is used, and never exceeded


def test_cancel_stops_a_running_job_and_the_rest_finish(workspace: Path) -> None:
    settings = _settings(workspace, latency_s=1.5, lease_s=0.3)
    batch_id, store = _queue(settings, ["Slow <action_prompt>", "Other <action_prompt>"])
    target = f"{batch_id}-0001"

    def cancel_when_running() -> None:
        deadline = time.monotonic() + 30  # bounded: a broken worker fails the test, not hangs it
        while store.get(target).state != "running" and time.monotonic() < deadline:
            time.sleep(0.02)
        store.cancel(target)

    threading.Thread(target=cancel_when_running, daemon=True).start()
    summary = Worker(store, settings).run(batch_id=batch_id)
    assert [j.id for j in summary.cancelled] == [target]
    assert len(summary.succeeded) == 1
    assert not (job_dir(settings, store.get(target)) / "video.mp4").exists()


def test_job_timeout_fails_the_job(workspace: Path) -> None:
    settings = _settings(workspace, latency_s=2.0, job_timeout_s=0.3)
    batch_id, store = _queue(settings, ["Slow <action_prompt>"])
    summary = Worker(store, settings).run(batch_id=batch_id)
    assert len(summary.failed) == 1
    assert "job_timeout_s" in summary.failed[0].error["message"]  # type: ignore[index]


def test_restart_resumes_polling_instead_of_resubmitting(workspace: Path) -> None:
    settings = _settings(workspace)
    batch_id, store = _queue(settings, ["Resumed <action_prompt>"])
    job = store.claim("crashed-worker", 0.0)  # claimed, then its worker died: lease expired
    assert job is not None
    generator = SimulatedGenerator.from_settings(settings)
    from reelrag import pipeline
    from reelrag.types import GenerationRequest

    prepared = pipeline.prepare(GenerationRequest.from_dict(job.payload["request"]), settings,
                                generator=generator)  # fmt: skip
    generator.submit(prepared.resolved, None, job_token(job))  # a crash right after submitting
    summary = Worker(store, settings).run(batch_id=batch_id)
    assert len(summary.succeeded) == 1
    assert generator.submissions() == {job_token(job): 1}
    assert store.get(job.id).remote_id == generator.find(job_token(job))


def test_retry_uses_a_fresh_idempotency_token(workspace: Path) -> None:
    settings = _settings(workspace)
    batch_id, store = _queue(settings, ["BROKEN <action_prompt>"])
    Worker(store, settings).run(batch_id=batch_id)
    failed = store.get(f"{batch_id}-0001")
    retried = store.retry(failed.id)
    assert job_token(retried) != job_token(failed)


def test_local_generator_path_with_a_real_image(workspace: Path, tmp_path: Path) -> None:
    image = tmp_path / "photo.png"
    Image.new("RGB", (320, 200), (200, 40, 40)).save(image)
    settings = _settings(workspace, width=160, height=96, fps=8, duration_s=1.0)
    from reelrag.batch.files import parse_records

    rows = parse_records([(1, {"prompt": "slow zoom in", "image": str(image), "duration": "1"})],
                         None, None)  # fmt: skip
    plan = plan_rows(rows, settings, backend="camera")
    assert plan.rows[0].state == "queued", plan.rows[0].reason
    store = SQLiteJobStore(settings.jobs_path)
    store.add_many(plan.jobs())
    summary = Worker(store, settings).run(batch_id=plan.batch_id)
    assert len(summary.succeeded) == 1, summary.to_dict()
    assert _frames(summary.succeeded[0].result["video"]) > 0  # type: ignore[index]


def test_backoff_and_poll_schedule() -> None:
    rng = random.Random(1)
    delays = [backoff_delay(a, 1.0, 8.0, rng) for a in range(1, 8)]
    assert all(0 <= d <= min(8.0, 2 ** (a - 1)) for a, d in zip(range(1, 8), delays, strict=True))
    waits = list(zip(poll_delays(90.0, resuming=False), range(30), strict=False))
    assert waits[0][0] == pytest.approx(81.0)
    assert max(w for w, _ in waits[1:]) <= 30.0
    assert next(poll_delays(90.0, resuming=True)) == 0.0
    assert parse_limits("") == {}
