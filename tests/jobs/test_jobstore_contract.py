"""The job-store contract, run against every implementation (add a shared-database one to STORES).

Each implementation is built with a controllable clock so lease expiry is tested without sleeping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reelrag.errors import InputError, NotFoundError
from reelrag.jobs.sqlite_store import SQLiteJobStore
from reelrag.jobs.store import JobStore, idempotency_token
from reelrag.types import Job


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _sqlite(request: pytest.FixtureRequest, clock: FakeClock, caps: dict[str, int]) -> JobStore:
    tmp: Path = request.getfixturevalue("tmp_path")
    return SQLiteJobStore(tmp / "jobs.sqlite", clock=clock, caps=caps)


def _postgres(request: pytest.FixtureRequest, clock: FakeClock, caps: dict[str, int]) -> JobStore:
    from reelrag.jobs.postgres import PostgresJobStore

    return PostgresJobStore(request.getfixturevalue("postgres_url"), clock=clock, caps=caps)


StoreFactory = Callable[[pytest.FixtureRequest, FakeClock, dict[str, int]], JobStore]
STORES: dict[str, StoreFactory] = {"sqlite": _sqlite, "postgres": _postgres}
CAPS = {"simulated": 2}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=sorted(STORES))
def store(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[JobStore]:
    made = STORES[request.param](request, clock, CAPS)
    yield made
    made.close()


def _job(i: int, backend: str = "camera", batch: str = "b1") -> Job:
    payload = {"request": {"prompt": f"p{i}", "backend": backend}}
    return Job(id=f"{batch}-{i:04d}", kind="generate", payload=payload, batch_id=batch)


def test_add_is_idempotent_and_get_round_trips(store: JobStore) -> None:
    assert store.add_many([_job(1), _job(2)]) == ["b1-0001", "b1-0002"]
    assert store.add_many([_job(1), _job(3)]) == ["b1-0003"]
    assert store.add(_job(1)) is False
    job = store.get("b1-0002")
    assert job.payload == {"request": {"prompt": "p2", "backend": "camera"}}
    assert (job.state, job.attempts, job.batch_id) == ("queued", 0, "b1")
    with pytest.raises(NotFoundError):
        store.get("nope")


def test_list_filters_and_counts(store: JobStore) -> None:
    store.add_many([_job(1), _job(2), _job(1, batch="b2")])
    assert [j.id for j in store.list(batch_id="b1")] == ["b1-0001", "b1-0002"]
    assert len(store.list(states=["queued"])) == 3
    assert len(store.list(limit=1)) == 1
    assert store.counts(batch_id="b1")["queued"] == 2
    assert store.counts()["succeeded"] == 0


def test_claim_takes_oldest_once_and_counts_attempts(store: JobStore) -> None:
    store.add_many([_job(1), _job(2)])
    first = store.claim("w1", 30)
    second = store.claim("w2", 30)
    assert first is not None and second is not None
    assert (first.id, second.id) == ("b1-0001", "b1-0002")
    assert (first.state, first.attempts) == ("running", 1)
    assert store.claim("w3", 30) is None


def test_claim_filters_by_backend_kind_and_batch(store: JobStore) -> None:
    store.add_many([_job(1, "camera"), _job(2, "simulated"), _job(3, "simulated", batch="b2")])
    got = store.claim("w", 30, backends=["simulated"], batch_id="b2")
    assert got is not None and got.id == "b2-0003"
    got = store.claim("w", 30, exclude_backends=["camera"])
    assert got is not None and got.id == "b1-0002"
    assert store.claim("w", 30, kinds=["other"]) is None


def test_expired_lease_is_reclaimed_and_old_owner_is_fenced(
    store: JobStore, clock: FakeClock
) -> None:
    store.add(_job(1))
    assert store.claim("crashed", 10) is not None
    assert store.claim("w2", 10) is None
    clock.now += 11
    taken = store.claim("w2", 10)
    assert taken is not None and taken.attempts == 2
    assert not store.heartbeat(taken.id, "crashed", 10)
    assert not store.finish(taken.id, "crashed", "succeeded", result={"x": 1})
    assert store.finish(taken.id, "w2", "succeeded", result={"video": "v.mp4"})
    done = store.get(taken.id)
    assert (done.state, done.result, done.progress) == ("succeeded", {"video": "v.mp4"}, 1.0)


def test_heartbeat_extends_the_lease(store: JobStore, clock: FakeClock) -> None:
    store.add(_job(1))
    job = store.claim("w1", 10)
    assert job is not None
    clock.now += 8
    assert store.heartbeat(job.id, "w1", 10)
    clock.now += 8
    assert store.claim("w2", 10) is None
    assert store.next_due_in() == pytest.approx(2.0)


def test_remote_id_and_progress_are_stored_before_finishing(store: JobStore) -> None:
    store.add(_job(1))
    job = store.claim("w1", 30)
    assert job is not None
    assert store.set_remote(job.id, "w1", "arn:remote/1")
    assert store.update_progress(job.id, "w1", 0.5, "rendering")
    got = store.get(job.id)
    assert (got.remote_id, got.progress, got.message) == ("arn:remote/1", 0.5, "rendering")
    assert not store.set_remote(job.id, "other", "arn:remote/2")


def test_release_backs_off_then_becomes_claimable(store: JobStore, clock: FakeClock) -> None:
    store.add(_job(1))
    job = store.claim("w1", 30)
    assert job is not None
    assert store.release(job.id, "w1", delay_s=5, error={"message": "throttled"})
    assert store.claim("w1", 30) is None
    assert store.next_due_in() == pytest.approx(5.0)
    clock.now += 5
    again = store.claim("w1", 30)
    assert again is not None and again.attempts == 2 and again.error == {"message": "throttled"}


def test_failed_job_keeps_error_and_retry_requeues(store: JobStore) -> None:
    store.add(_job(1))
    job = store.claim("w1", 30)
    assert job is not None
    err = {"error": "ContentFilteredError", "message": "blocked"}
    assert store.finish(job.id, "w1", "failed", error=err, message="blocked")
    assert store.get(job.id).error == err
    requeued = store.retry(job.id)
    assert (requeued.state, requeued.attempts, requeued.error) == ("queued", 0, None)
    with pytest.raises(InputError):
        store.retry(job.id)


def test_cancel_stops_queued_and_fences_running(store: JobStore) -> None:
    store.add_many([_job(1), _job(2)])
    running = store.claim("w1", 30)
    assert running is not None
    assert store.cancel("b1-0002").state == "cancelled"
    assert store.cancel(running.id).state == "cancelled"
    assert not store.heartbeat(running.id, "w1", 30)
    assert not store.finish(running.id, "w1", "succeeded")
    assert store.claim("w1", 30) is None
    with pytest.raises(InputError):
        store.cancel(running.id)


def test_skipped_jobs_can_be_added_terminal(store: JobStore) -> None:
    store.add(_job(1).replace(state="skipped", message="no good match"))
    assert store.claim("w", 30) is None
    assert store.next_due_in() is None
    assert store.get("b1-0001").message == "no good match"


def test_events_follow_every_change_with_a_cursor(store: JobStore) -> None:
    store.add_many([_job(1), _job(1, batch="b2")])
    job = store.claim("w1", 30, batch_id="b1")
    assert job is not None
    store.update_progress(job.id, "w1", 0.5, "half")
    store.finish(job.id, "w1", "succeeded")
    events = store.events(batch_id="b1")
    assert [e.state for e in events] == ["queued", "running", "running", "succeeded"]
    assert store.events(events[1].seq, batch_id="b1")[0].message == "half"
    assert len(store.events()) == 5


def test_concurrent_claims_never_hand_out_a_job_twice(store: JobStore) -> None:
    store.add_many([_job(i) for i in range(40)])
    taken: list[str] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while (job := store.claim(name, 30)) is not None:
            with lock:
                taken.append(job.id)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == sorted(f"b1-{i:04d}" for i in range(40))


def test_backend_caps_hold_across_workers(store: JobStore, clock: FakeClock) -> None:
    store.add_many([_job(i, "simulated") for i in range(4)] + [_job(9, "camera")])
    first, second = store.claim("w1", 10), store.claim("w2", 10)
    assert first is not None and second is not None
    other = store.claim("w3", 10)  # simulated is at its cap of 2: the camera job is next
    assert other is not None and other.id == "b1-0009"
    assert store.claim("w4", 10) is None
    assert store.finish(first.id, "w1", "succeeded")
    third = store.claim("w4", 10)
    assert third is not None and third.id == "b1-0002"
    clock.now += 11  # every lease expired: the dead workers' jobs no longer count
    assert {j.id for j in (store.claim("w5", 10), store.claim("w6", 10)) if j} == {
        "b1-0001",
        "b1-0002",
    }
    taken_over = store.claim("w7", 10)  # simulated is full again; the camera job is not capped
    assert taken_over is not None and taken_over.id == "b1-0009"
    assert store.claim("w8", 10) is None


def test_finish_is_fenced_by_attempt(store: JobStore, clock: FakeClock) -> None:
    store.add(_job(1))
    job = store.claim("driver", 10)
    assert job is not None and job.attempts == 1
    clock.now += 11
    again = store.claim("driver", 10)  # the same driver claims the job again (a retry)
    assert again is not None and again.attempts == 2
    zombie = store.finish(job.id, "driver", "succeeded", result={"v": 1}, attempt=1)
    assert not zombie  # the first attempt's late result is refused
    assert store.finish(job.id, "driver", "succeeded", result={"v": 2}, attempt=2)
    assert store.get(job.id).result == {"v": 2}


def test_idempotency_token_is_deterministic_and_distinct() -> None:
    assert idempotency_token("a") == idempotency_token("a") != idempotency_token("b")
    assert 1 <= len(idempotency_token("a")) <= 256
