"""The Ray executor on the session's local Ray (2 logical CPUs, 4 fake GPUs): placement by declared
resources, one long-lived actor per GPU, a killed actor retries only its job, a killed driver never
pays twice, and a lost node's jobs finish on its replacement."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reelrag.batch.files import parse_templates
from reelrag.batch.plan import plan_rows
from reelrag.generation.resources import Resources
from reelrag.jobs import JobStore, SQLiteJobStore, Worker, job_dir
from reelrag.settings import Settings, load_settings
from reelrag.testing.gpu import FakeGpuGenerator
from reelrag.testing.gpu import register as register_fake_gpu
from reelrag.testing.remote import SimulatedGenerator
from reelrag.testing.remote import register as register_simulated

pytestmark = [pytest.mark.ray, pytest.mark.xdist_group("ray")]


@pytest.fixture(autouse=True)
def _fake_gpu_backend() -> None:
    register_fake_gpu(render_s=0.4)


@pytest.fixture
def executor_for(ray_cluster: Any) -> Iterator[Callable[[Settings], Any]]:
    from reelrag.jobs.executors.ray import RayExecutor

    made: list[RayExecutor] = []

    def make(settings: Settings) -> RayExecutor:
        made.append(RayExecutor(settings))
        return made[-1]

    yield make
    for executor in made:
        executor.close()


def _settings(workspace: Path, latency_s: float = 0.4, **extra: Any) -> Settings:
    """Settings for a test whose simulated and fake-GPU jobs each take ``latency_s``."""
    register_simulated(latency_s=latency_s)
    register_fake_gpu(render_s=latency_s)
    values: dict[str, Any] = {"workspace": workspace, "lease_s": 5}
    return load_settings({**values, **extra}, environ={})


def _queue(settings: Settings, n: int, backend: str) -> tuple[str, JobStore]:
    rows = parse_templates("\n".join(f"Clip {i}: <action_prompt>" for i in range(n)), None, "pan")
    plan = plan_rows(rows, settings, backend=backend)
    store = SQLiteJobStore(settings.jobs_path)
    store.add_many(plan.jobs())
    return plan.batch_id, store


def _details(settings: Settings, store: JobStore, batch_id: str) -> list[dict[str, Any]]:
    folders = [job_dir(settings, job) for job in store.list(batch_id=batch_id)]
    return [json.loads((f / "manifest.json").read_text())["details"] for f in folders]


def _until(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_one_actor_per_gpu_loads_its_model_once(workspace: Path, executor_for: Any) -> None:
    settings = _settings(workspace)
    batch_id, store = _queue(settings, 8, "fake-gpu")
    executor = executor_for(settings)
    assert executor.capacity("fake-gpu") == 4
    summary = Worker(store, settings, executor=executor).run(batch_id=batch_id)
    assert len(summary.succeeded) == 8, summary.to_dict()
    details = _details(settings, store, batch_id)
    assert {d["gpu"] for d in details} == {"0", "1", "2", "3"}  # one GPU per actor
    assert len({d["load_id"] for d in details}) == 4  # 8 clips, 4 model loads
    assert {d["loads_in_process"] for d in details} == {1}
    assert len({d["pid"] for d in details}) == 4


def test_a_killed_actor_retries_only_its_job(workspace: Path, executor_for: Any) -> None:
    import ray

    settings = _settings(workspace, latency_s=1.5)
    batch_id, store = _queue(settings, 4, "fake-gpu")
    executor = executor_for(settings)
    worker = Worker(store, settings, executor=executor, backoff_base_s=0.01)
    thread = threading.Thread(target=worker.run, kwargs={"batch_id": batch_id})
    thread.start()
    _until(lambda: sum(j.progress > 0 for j in store.list(batch_id=batch_id)) == 4)
    ray.kill(executor.pool("fake-gpu").actors[0], no_restart=True)
    thread.join(60)
    jobs = store.list(batch_id=batch_id)
    assert [j.state for j in jobs] == ["succeeded"] * 4
    assert sorted(j.attempts for j in jobs) == [1, 1, 1, 2]
    lost = [e for e in store.events(batch_id=batch_id) if "Ray lost the actor" in e.message]
    assert len(lost) == 1


def test_cancel_stops_the_actor_job_and_keeps_the_actor(workspace: Path, executor_for: Any) -> None:
    settings = _settings(workspace, latency_s=2.0, lease_s=0.6)
    batch_id, store = _queue(settings, 2, "fake-gpu")
    executor = executor_for(settings)
    target = f"{batch_id}-0001"
    thread = threading.Thread(
        target=Worker(store, settings, executor=executor).run, kwargs={"batch_id": batch_id}
    )
    thread.start()
    _until(lambda: store.get(target).progress > 0)
    store.cancel(target)
    thread.join(60)
    assert [j.state for j in store.list(batch_id=batch_id)] == ["cancelled", "succeeded"]
    assert not (job_dir(settings, store.get(target)) / "video.mp4").exists()
    assert len(executor.pool("fake-gpu").actors) == 2  # no actor was lost to the cancel


def test_an_unknown_backend_fails_its_job_only(workspace: Path, executor_for: Any) -> None:
    from reelrag.types import Job

    settings = _settings(workspace)
    batch_id, store = _queue(settings, 1, "fake-gpu")
    store.add(Job(id="odd", kind="generate", batch_id=batch_id,
                  payload={"request": {"prompt": "x", "backend": "nope"}}))  # fmt: skip
    summary = Worker(store, settings, executor=executor_for(settings)).run(batch_id=batch_id)
    assert [j.id for j in summary.failed] == ["odd"] and len(summary.succeeded) == 1


DRIVER = (
    "from reelrag.jobs import Worker, open_job_store\n"
    "from reelrag.testing.remote import register\n"
    "register(latency_s=1.0)\n"
    "from reelrag.settings import load_settings\n"
    "s = load_settings()\n"
    "Worker(open_job_store(s), s).run()\n"
)


def _claims(store: JobStore, batch_id: str) -> int:
    """Jobs claimed so far (first starts and take-overs after a lease expired)."""
    notes = ("started", "lease expired; taken over")
    return sum(e.message in notes for e in store.events(batch_id=batch_id, limit=100_000))


def test_a_killed_driver_never_submits_a_paid_job_twice(workspace: Path, ray_cluster: Any) -> None:
    env = {
        **os.environ,
        "REELRAG_WORKSPACE": str(workspace),
        "REELRAG_EXECUTOR": "ray",
        "REELRAG_RAY_ADDRESS": ray_cluster.address,
        "REELRAG_LEASE_S": "1.0",
        "REELRAG_BACKEND_CAPS": "simulated=3",
    }
    settings = load_settings(environ=env)
    batch_id, store = _queue(settings, 6, "simulated")
    for _ in range(2):
        before = _claims(store, batch_id)
        proc = subprocess.Popen([sys.executable, "-c", DRIVER], env=env)
        _until(lambda b=before: _claims(store, batch_id) > b)
        time.sleep(0.6)  # mid-flight: submitted, remote ids being stored, renders running
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    final = subprocess.run([sys.executable, "-c", DRIVER], env=env, timeout=120)
    assert final.returncode == 0
    jobs = store.list(batch_id=batch_id)
    assert [j.state for j in jobs] == ["succeeded"] * 6
    assert max(j.attempts for j in jobs) >= 2  # the kills did take jobs mid-flight
    ledger = SimulatedGenerator.from_settings(settings).submissions()
    assert len(ledger) == 6 and set(ledger.values()) == {1}  # one paid submission per token


def test_jobs_on_a_lost_node_finish_on_its_replacement(
    workspace: Path, ray_cluster: Any, executor_for: Any
) -> None:
    class SpotGpuGenerator(FakeGpuGenerator):  # local class: Ray ships it by value
        resources = Resources(gpus=1.0, cpus=0.0, custom=(("spot", 1.0),))

    register_fake_gpu(render_s=2.0, name="spot-gpu", generator=SpotGpuGenerator)
    node = ray_cluster.add_node(num_cpus=0, num_gpus=2, resources={"spot": 2})
    ray_cluster.wait_for_nodes()
    settings = _settings(workspace, latency_s=2.0)
    batch_id, store = _queue(settings, 3, "spot-gpu")
    executor = executor_for(settings)
    assert executor.capacity("spot-gpu") == 2  # bounded by the spot node, not the head's GPUs
    worker = Worker(store, settings, executor=executor, backoff_base_s=0.01)
    thread = threading.Thread(target=worker.run, kwargs={"batch_id": batch_id})
    thread.start()
    _until(lambda: sum(j.progress > 0 for j in store.list(batch_id=batch_id)) == 2)
    ray_cluster.remove_node(node, allow_graceful=False)
    replacement = ray_cluster.add_node(num_cpus=0, num_gpus=2, resources={"spot": 2})
    thread.join(90)
    jobs = store.list(batch_id=batch_id)
    ray_cluster.remove_node(replacement)
    assert [j.state for j in jobs] == ["succeeded"] * 3
    # the two jobs running on the lost node ran again (a slow start may retry the third too)
    assert sum(j.attempts >= 2 for j in jobs) >= 2
