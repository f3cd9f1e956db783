"""Remote jobs under injected faults never pay twice for one token, and retry exactly when the
remote attempt is known dead: the real worker, the real SQLite store, the simulated service."""

from __future__ import annotations

from pathlib import Path

from reelrag.batch.files import parse_templates
from reelrag.batch.plan import plan_rows
from reelrag.jobs import SQLiteJobStore, Worker, job_token
from reelrag.settings import Settings, load_settings
from reelrag.testing.remote import SimulatedGenerator
from reelrag.testing.remote import register as register_simulated


def _settings(workspace: Path, latency_s: float = 0.2, **extra: object) -> Settings:
    register_simulated(latency_s=latency_s)
    values: dict[str, object] = {"workspace": workspace, "lease_s": 5, "max_attempts": 3}
    values.update(extra)
    return load_settings(values, environ={})


def _queue(settings: Settings, lines: list[str]) -> tuple[str, SQLiteJobStore]:
    rows = parse_templates("\n".join(lines), None, "camera pans down")
    plan = plan_rows(rows, settings, backend="simulated")
    store = SQLiteJobStore(settings.jobs_path)
    store.add_many(plan.jobs())
    return plan.batch_id, store


def _ledger(settings: Settings) -> dict[str, int]:
    return SimulatedGenerator.from_settings(settings).submissions()


def test_faults_never_pay_twice_per_token(workspace: Path) -> None:
    settings = _settings(workspace, max_attempts=4)  # the last job meets three faults
    lines = ["TIMEOUT <action_prompt>", "CAPACITY <action_prompt>", "SLOWSTATUS <action_prompt>",
             "THROTTLE TIMEOUT <action_prompt>", "CAPACITY SLOWSTATUS TIMEOUT <action_prompt>",
             "Plain <action_prompt>"]  # fmt: skip
    batch_id, store = _queue(settings, lines)
    summary = Worker(store, settings, backoff_base_s=0.01).run(batch_id=batch_id)
    assert len(summary.succeeded) == 6, summary.to_dict()
    ledger = _ledger(settings)
    assert set(ledger.values()) == {1}  # at most one paid submission per token
    # a dead invocation (capacity) was resubmitted once under a new token; nothing else was
    assert len(ledger) == 8
    capacity = store.get(f"{batch_id}-0002")
    assert capacity.payload["retry"] == 1 and capacity.remote_id == "sim-" + capacity.remote_id[4:]
    assert job_token(capacity) in ledger
    # throttled status polls cost no attempt: the invocation was followed to its end
    assert store.get(f"{batch_id}-0003").attempts == 1


def test_capacity_failure_resubmits_with_a_new_token(workspace: Path) -> None:
    settings = _settings(workspace)
    batch_id, store = _queue(settings, ["CAPACITY <action_prompt>"])
    first_token = job_token(store.get(f"{batch_id}-0001"))
    summary = Worker(store, settings, backoff_base_s=0.01).run(batch_id=batch_id)
    job = summary.succeeded[0]
    assert job.attempts == 2
    assert job_token(job) != first_token
    assert _ledger(settings) == {first_token: 1, job_token(job): 1}


def test_user_retry_resumes_an_invocation_that_may_still_finish(workspace: Path) -> None:
    hasty = _settings(workspace, latency_s=1.0, job_timeout_s=0.3)
    batch_id, store = _queue(hasty, ["Slow <action_prompt>"])
    Worker(store, hasty).run(batch_id=batch_id)
    failed = store.get(f"{batch_id}-0001")
    assert failed.state == "failed" and failed.remote_id  # timed out while the remote job runs
    retried = store.retry(failed.id)
    assert job_token(retried) == job_token(failed) and retried.remote_id == failed.remote_id
    patient = _settings(workspace, latency_s=1.0)
    summary = Worker(store, patient).run(batch_id=batch_id)
    assert len(summary.succeeded) == 1
    assert _ledger(patient) == {job_token(failed): 1}


def test_user_retry_after_an_unknown_submit_outcome_reuses_the_token(workspace: Path) -> None:
    settings = _settings(workspace, max_attempts=1)
    batch_id, store = _queue(settings, ["TIMEOUT <action_prompt>"])
    Worker(store, settings).run(batch_id=batch_id)
    failed = store.get(f"{batch_id}-0001")
    assert failed.state == "failed" and failed.remote_id is None  # the answer was lost
    retried = store.retry(failed.id)
    assert job_token(retried) == job_token(failed)
    summary = Worker(store, settings).run(batch_id=batch_id)
    assert len(summary.succeeded) == 1
    assert _ledger(settings) == {job_token(failed): 1}  # found by its token, not paid again


def test_user_retry_of_a_dead_invocation_submits_anew(workspace: Path) -> None:
    settings = _settings(workspace)
    batch_id, store = _queue(settings, ["BROKEN <action_prompt>"])
    Worker(store, settings).run(batch_id=batch_id)
    failed = store.get(f"{batch_id}-0001")
    assert failed.error and failed.error["remote"] == "dead"
    retried = store.retry(failed.id)
    assert job_token(retried) != job_token(failed) and retried.remote_id is None


def test_a_remote_id_the_service_does_not_know_is_dead(workspace: Path) -> None:
    settings = _settings(workspace)
    batch_id, store = _queue(settings, ["Lost <action_prompt>"])
    job = store.claim("gone-worker", 0.0)
    assert job is not None and store.set_remote(job.id, "gone-worker", "sim-never-submitted")
    Worker(store, settings).run(batch_id=batch_id)
    failed = store.get(job.id)
    assert failed.state == "failed" and "unknown to the service" in failed.message
    store.retry(job.id)
    summary = Worker(store, settings).run(batch_id=batch_id)
    assert len(summary.succeeded) == 1
    assert _ledger(settings) == {job_token(summary.succeeded[0]): 1}
