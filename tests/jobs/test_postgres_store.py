"""PostgreSQL-only behaviour of the job store (the shared contract: test_jobstore_contract.py):
the database clock, caps across connections, choosing the store from ``jobs_url``, and several
workers sharing one queue."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from reelrag.batch.files import parse_templates
from reelrag.batch.plan import plan_rows
from reelrag.errors import BackendError
from reelrag.jobs import SQLiteJobStore, Worker, open_job_store
from reelrag.settings import load_settings
from reelrag.testing.remote import SimulatedGenerator
from reelrag.testing.remote import register as register_simulated
from reelrag.types import Job


def _jobs(n: int, backend: str) -> list[Job]:
    return [
        Job(
            id=f"b-{i:03d}",
            kind="generate",
            batch_id="b",
            payload={"request": {"prompt": f"p{i}", "backend": backend}},
        )
        for i in range(n)
    ]


def test_leases_run_on_the_database_clock(postgres_url: str) -> None:
    from reelrag.jobs.postgres import PostgresJobStore

    store = PostgresJobStore(postgres_url)
    store.add_many(_jobs(1, "camera"))
    assert store.claim("w1", 0.3) is not None
    assert store.claim("w2", 0.3) is None
    due = store.next_due_in()
    assert due is not None and 0.0 < due <= 0.3
    time.sleep(0.35)
    taken = store.claim("w2", 30)
    assert taken is not None and taken.attempts == 2
    store.close()


def test_caps_hold_across_connections_claiming_at_once(postgres_url: str) -> None:
    from reelrag.jobs.postgres import PostgresJobStore

    caps = {"bedrock": 3}
    PostgresJobStore(postgres_url).add_many(_jobs(24, "bedrock"))
    stores = [PostgresJobStore(postgres_url, caps=caps) for _ in range(8)]
    watcher = PostgresJobStore(postgres_url)
    peak, done, lock = 0, [], threading.Lock()

    def work(store: PostgresJobStore, name: str) -> None:
        nonlocal peak
        while len(done) < 24:
            job = store.claim(name, 30)
            if job is None:
                time.sleep(0.005)
                continue
            running = watcher_count()
            with lock:
                peak = max(peak, running)
                done.append(job.id)
            time.sleep(0.01)
            assert store.finish(job.id, name, "succeeded")

    def watcher_count() -> int:
        with lock:
            return watcher.counts()["running"]

    threads = [threading.Thread(target=work, args=(s, f"w{i}")) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(done) == [f"b-{i:03d}" for i in range(24)]
    assert 1 <= peak <= 3
    for store in (*stores, watcher):
        store.close()


def test_open_job_store_follows_jobs_url(postgres_url: str, tmp_path: Path) -> None:
    from reelrag.jobs.postgres import PostgresJobStore

    on_pg = open_job_store(load_settings({"jobs_url": postgres_url}, environ={}))
    assert isinstance(on_pg, PostgresJobStore)
    on_pg.close()
    path = tmp_path / "elsewhere" / "jobs.db"
    on_file = open_job_store(load_settings({"jobs_url": str(path)}, environ={}))
    assert isinstance(on_file, SQLiteJobStore) and on_file.path == path
    default = load_settings({"workspace": tmp_path / "ws"}, environ={})
    assert default.jobs_path == tmp_path / "ws" / "jobs.sqlite"
    secret = load_settings({"jobs_url": "postgresql://me:pw@db/jobs"}, environ={})
    assert secret.public_dict()["jobs_url"] == "postgresql://me:***@db/jobs"  # reelrag config


def test_unreachable_database_is_one_clear_error() -> None:
    pytest.importorskip("psycopg")
    from reelrag.jobs.postgres import PostgresJobStore

    with pytest.raises(BackendError, match=r"postgresql://me:\*\*\*@127.0.0.1:9/x"):
        PostgresJobStore("postgresql://me:secret@127.0.0.1:9/x", connect_timeout_s=2)


def test_a_lost_connection_fails_one_call_and_the_next_reconnects(postgres_url: str) -> None:
    import psycopg

    from reelrag.jobs.postgres import PostgresJobStore

    store = PostgresJobStore(postgres_url)
    store.add_many(_jobs(2, "camera"))
    with psycopg.connect(postgres_url, autocommit=True) as admin:  # a database restart, say
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    with pytest.raises(BackendError, match="lost the job database") as caught:
        store.claim("w1", 30)
    assert caught.value.retryable
    job = store.claim("w1", 30)
    assert job is not None and job.id == "b-000"
    store.close()


def test_two_workers_share_one_queue_with_an_account_cap(
    postgres_url: str, workspace: Path
) -> None:
    register_simulated(latency_s=0.3)
    settings = load_settings(
        {
            "workspace": workspace,
            "jobs_url": postgres_url,
            "lease_s": 5,
            "backend_caps": "simulated=2",
            "backend_concurrency": "simulated=4",
        },
        environ={},
    )
    rows = parse_templates("\n".join(f"Clip {i}: <action_prompt>" for i in range(8)), None, "pan")
    plan = plan_rows(rows, settings, backend="simulated")
    open_job_store(settings).add_many(plan.jobs())
    stores = [open_job_store(settings) for _ in range(2)]
    started = time.monotonic()
    threads = [
        threading.Thread(
            target=Worker(s, settings, worker_id=f"w{i}").run, kwargs={"batch_id": plan.batch_id}
        )
        for i, s in enumerate(stores)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    elapsed = time.monotonic() - started
    jobs = stores[0].list(batch_id=plan.batch_id)
    assert [j.state for j in jobs] == ["succeeded"] * 8
    owners = {e.message for e in stores[0].events(batch_id=plan.batch_id)}
    assert "started" in owners
    assert elapsed >= 4 * 0.3 * 0.95  # 8 jobs, at most 2 at once across both workers
    ledger = SimulatedGenerator.from_settings(settings).submissions()
    assert len(ledger) == 8 and set(ledger.values()) == {1}


def test_events_are_numbered_in_commit_order(postgres_url: str) -> None:
    """A reader following ``events(since=last_seq)`` must not skip an event whose number was
    drawn before a later-committed one's (BIGSERIAL numbers are drawn at INSERT, seen at COMMIT)."""
    import psycopg

    from reelrag.jobs.postgres import PostgresJobStore

    store, writer = PostgresJobStore(postgres_url), PostgresJobStore(postgres_url)
    store.add_many(_jobs(2, "camera"))
    last = store.events()[-1].seq
    with psycopg.connect(postgres_url, autocommit=True) as slow, slow.transaction():
        with slow.cursor() as cur:  # another worker, its transaction still open
            store._event(cur, "b-000", "b", "running", 0.5, "slow worker")
        late = threading.Thread(target=writer.cancel, args=("b-001",))
        late.start()
        deadline = time.monotonic() + 10
        while (
            late.is_alive() and not _waiting_on_advisory_lock(store) and time.monotonic() < deadline
        ):
            time.sleep(0.02)
        seen = store.events(since=last)
    late.join(timeout=10)
    seen += store.events(since=max((e.seq for e in seen), default=last))
    assert [e.message for e in seen] == ["slow worker", "cancelled by user"]
    store.close()
    writer.close()


def _waiting_on_advisory_lock(store: object) -> bool:
    with store._tx() as cur:  # type: ignore[attr-defined]
        row = cur.execute(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event = 'advisory'"
        ).fetchone()
    return bool(row["n"])
