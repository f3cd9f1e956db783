"""Outputs fenced by attempt: a zombie (an older attempt ending after a newer one finished the job)
never replaces the job's files. Real worker, real SQLite store, the simulated backend, real MP4s."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from pathlib import Path
from typing import Any

import pytest

from reelrag.batch.files import parse_templates
from reelrag.batch.plan import plan_rows
from reelrag.jobs import JobContext, SQLiteJobStore, Worker, job_dir, run_generate_job, staging
from reelrag.settings import Settings, load_settings
from reelrag.testing.remote import register as register_simulated
from reelrag.types import Job


def _settings(workspace: Path) -> Settings:
    register_simulated(latency_s=0.05)
    # A long lease: the zombie's heartbeats must not renew it while the newer attempt runs; one
    # job at a time: the zombie's worker must not claim the job again itself.
    values = {"workspace": workspace, "lease_s": 30, "backend_concurrency": "simulated=1"}
    return load_settings(values, environ={})


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()
    }


class Zombie:
    """A runner that renders its attempt only once told to, ignoring cancellation (as an actor
    that never heard of the takeover), and marks what it wrote as its own."""

    def __init__(self) -> None:
        self.started, self.go, self.staged = threading.Event(), threading.Event(), None

    def __call__(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        self.started.set()
        self.go.wait(30)
        # As in an actor: the remote id goes to the driver, which alone writes the store.
        deaf = dataclasses.replace(ctx, cancelled=threading.Event(), store_remote=lambda _: True)
        result = run_generate_job(job, deaf)
        self.staged = staging.staging_dir(ctx.settings, job)
        (self.staged / "zombie.txt").write_text("attempt 1 was here", encoding="utf-8")
        (self.staged / "video.mp4").write_bytes(b"zombie video")
        return result


@pytest.mark.parametrize("same_worker", [False, True], ids=["other-worker", "same-worker-id"])
def test_a_zombie_attempt_never_replaces_the_winners_files(
    workspace: Path, same_worker: bool
) -> None:
    settings = _settings(workspace)
    rows = parse_templates("Clip: <action_prompt>", None, "pan left")
    plan = plan_rows(rows, settings, backend="simulated")
    store = SQLiteJobStore(settings.jobs_path)
    store.add_many(plan.jobs())
    zombie = Zombie()
    old_id, new_id = ("driver", "driver") if same_worker else ("old", "new")
    old = Worker(store, settings, worker_id=old_id, runner=zombie)
    thread = threading.Thread(target=old.run, kwargs={"batch_id": plan.batch_id})
    thread.start()
    try:
        assert zombie.started.wait(20)
        (job,) = store.list(batch_id=plan.batch_id)
        assert store.free_lease(job.id, old_id)  # the old attempt's lease is lost
        Worker(store, settings, worker_id=new_id).run(batch_id=plan.batch_id)
        won = store.get(job.id)
        assert (won.state, won.attempts) == ("succeeded", 2)
        final = job_dir(settings, won)
        before = _digests(final)
        assert {"video.mp4", "manifest.json"} <= set(before)
    finally:
        zombie.go.set()
        thread.join(30)
    assert not thread.is_alive() and zombie.staged is not None
    after = store.get(job.id)
    assert (after.state, after.attempts, after.result) == ("succeeded", 2, won.result)
    assert _digests(final) == before  # the winner's files, unchanged; no zombie.txt
    assert not zombie.staged.exists()  # the refused attempt's staging folder is gone
    assert not list(staging.staging_root(settings).glob(f"{job.id}*"))
    assert sorted(p.name for p in final.parent.iterdir()) == [final.name]  # nothing else
    assert after.result is not None and after.result["video"] == str(final / "video.mp4")
    manifest = (final / "manifest.json").read_text(encoding="utf-8")
    assert staging.STAGING not in manifest and staging.STAGING not in str(after.result)


def test_promotion_replaces_the_set_and_rollback_restores_it(tmp_path: Path) -> None:
    final = tmp_path / "batch" / "clip"
    final.mkdir(parents=True)
    (final / "video.mp4").write_bytes(b"winner")
    staged = tmp_path / staging.STAGING / "b-0001.attempt-3"
    staged.mkdir(parents=True)
    (staged / "video.mp4").write_bytes(b"late")
    backup = staging.promote(staged, final)
    assert (final / "video.mp4").read_bytes() == b"late" and not staged.exists()
    staging.rollback(final, backup)  # the store refused the finish
    assert (final / "video.mp4").read_bytes() == b"winner"
    assert backup is not None and not backup.exists()


def test_results_and_manifests_name_the_final_folder(tmp_path: Path) -> None:
    staged, final = tmp_path / ".staging" / "j.attempt-1", tmp_path / "clip"
    staged.mkdir(parents=True)
    (staged / "manifest.json").write_text(
        '{"video": "video.mp4", "qa": {"video": "%s"}}' % (staged / "video.mp4"), encoding="utf-8"
    )
    video = str(staged / "video.mp4")
    result = {"video": video, "poster": None, "frames": 3, "tags": [str(staged)]}
    sealed = staging.seal(result, staged, final)
    assert sealed == {"video": str(final / "video.mp4"), "poster": None, "frames": 3,
                      "tags": [str(final)]}  # fmt: skip
    assert str(final / "video.mp4") in (staged / "manifest.json").read_text(encoding="utf-8")


def test_a_failed_promotion_leaves_the_job_folder_as_it_was(tmp_path: Path) -> None:
    final = tmp_path / "batch" / "clip"
    final.mkdir(parents=True)
    (final / "video.mp4").write_bytes(b"winner")
    missing = tmp_path / staging.STAGING / "b-0001.attempt-2"  # removed under the promoter
    missing.parent.mkdir()
    with pytest.raises(FileNotFoundError):
        staging.promote(missing, final)
    assert (final / "video.mp4").read_bytes() == b"winner"
    assert [p.name for p in missing.parent.iterdir()] == []
