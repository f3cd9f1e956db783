"""Ray Data ingest on the session's local Ray: the same catalog and index as ``reelrag ingest``,
idempotent by content hash, and resumable after the driver and a worker are killed mid-run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from reelrag.library import Library
from reelrag.settings import load_settings

pytestmark = [pytest.mark.ray, pytest.mark.xdist_group("ray")]

IMAGES = 200


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few hundred small, distinct generated photos with sidecar captions."""
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(3)
    for i in range(IMAGES):
        pixels = rng.integers(0, 256, size=(48, 64, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"photo_{i:03d}.png")
        (folder / f"photo_{i:03d}.txt").write_text(f"a test photo number {i}")
    return folder


def test_ray_ingest_matches_local_ingest_and_reruns_do_nothing(
    photos: Path, tmp_path: Path, ray_cluster: Any
) -> None:
    from reelrag.library.ray_ingest import ray_ingest

    library = Library(load_settings({"workspace": tmp_path / "ray"}, environ={}))
    report = ray_ingest(library, [str(photos)])
    assert (report.added, len(report.failed)) == (IMAGES, 0)
    local = Library(load_settings({"workspace": tmp_path / "local"}, environ={}))
    local.ingest(str(photos))
    assert library.catalog.count_assets() == local.catalog.count_assets() == IMAGES
    assert library.index.count() == IMAGES
    ray_ids = {a.id for a in library.index.list_assets()}
    assert ray_ids == {a.id for a in local.index.list_assets()}  # same content-addressed keys
    hit = library.search("test photo number 17", limit=1, min_score=0.0).hits[0]
    assert hit.asset.caption == local.index.get(hit.asset.id).caption  # type: ignore[union-attr]
    again = ray_ingest(library, [str(photos)])
    assert (again.added, again.unchanged) == (0, IMAGES)


def _ray_workers(stage: str) -> list[int]:
    """Pids of Ray worker processes running ``stage`` (Ray names them after their work)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if cmdline.startswith("ray::") and stage in cmdline:
            pids.append(int(entry.name))
    return pids


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds Ray workers through /proc")
def test_killed_worker_and_driver_then_resume(
    photos: Path, workspace: Path, ray_cluster: Any
) -> None:
    env = {**os.environ, "REELRAG_WORKSPACE": str(workspace), "REELRAG_INGEST_BATCH": "32"}
    cli = "from reelrag.cli.main import run; run()"
    command = [sys.executable, "-c", cli, "ingest", str(photos), "--executor", "ray",
               "--ray-address", ray_cluster.address, "--json"]  # fmt: skip
    library = Library(load_settings(environ=env))
    driver = subprocess.Popen(command, env=env, stdout=subprocess.PIPE)
    deadline = time.monotonic() + 60
    killed_worker = False
    while library.catalog.count_sources() < 64 and time.monotonic() < deadline:
        workers = _ray_workers("PrepareFiles")
        if workers and not killed_worker:
            os.kill(workers[0], signal.SIGKILL)  # Ray Data retries its tasks elsewhere
            killed_worker = True
        time.sleep(0.05)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    committed = library.catalog.count_sources()
    assert killed_worker and 64 <= committed < IMAGES  # it went on after the worker died
    resumed = subprocess.run(command, env=env, capture_output=True, timeout=240)
    assert resumed.returncode == 0, resumed.stderr.decode()[-2000:]
    report = json.loads(resumed.stdout)
    assert report["added"] == IMAGES - committed and report["unchanged"] == committed
    assert library.catalog.count_assets() == IMAGES
    assert library.index.count() == IMAGES


def test_ray_ingest_prunes_and_reindexes_like_local_ingest(
    photos: Path, tmp_path: Path, ray_cluster: Any
) -> None:
    from reelrag.library.ray_ingest import ray_ingest

    folder = tmp_path / "few"
    folder.mkdir()
    for i in range(12):
        for suffix in (".png", ".txt"):
            name = f"photo_{i:03d}{suffix}"
            (folder / name).write_bytes((photos / name).read_bytes())
    library = Library(load_settings({"workspace": tmp_path / "ws"}, environ={}))
    assert ray_ingest(library, [str(folder)]).added == 12
    for i in (0, 1):
        (folder / f"photo_{i:03d}.png").unlink()
    pruned = ray_ingest(library, [str(folder)], prune=True)
    assert (pruned.removed, pruned.unchanged, pruned.added) == (2, 10, 0)
    assert library.catalog.count_sources() == library.index.count() == 10
    (folder / "photo_005.txt").write_text("a lighthouse on a cliff at dusk")
    library.index.delete([a.id for a in library.index.list_assets()])  # an index emptied
    assert library.index.count() == 0
    again = ray_ingest(library, [], reindex=True)  # every catalogued file, captioned again
    assert (again.reindexed, again.updated, again.added, again.not_reindexed) == (9, 1, 0, 0)
    assert library.index.count() == 10
    hit = library.search("lighthouse on a cliff", limit=1, min_score=0.0).hits[0]
    assert hit.asset.source.endswith("photo_005.png")


def test_cli_ingest_with_ray_accepts_prune(photos: Path, tmp_path: Path, ray_cluster: Any) -> None:
    from typer.testing import CliRunner

    from reelrag.cli.main import app

    ws = ["--workspace", str(tmp_path / "ws")]
    args = ["ingest", str(photos / "photo_00*.png"), "--executor", "ray", "--prune", "--json"]
    result = CliRunner().invoke(app, [*ws, *args])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["added"], report["removed"]) == (10, 0)
