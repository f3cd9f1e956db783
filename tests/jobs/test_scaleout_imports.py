"""``import reelrag`` (and the job system, the CLI's commands) stay light: ray and psycopg load only
when a PostgreSQL jobs_url or the Ray executor is used."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = (
    "import sys\n"
    "import reelrag, reelrag.jobs, reelrag.jobs.executors, reelrag.cli.main\n"
    "from reelrag.jobs import open_job_store, Worker\n"
    "from reelrag.settings import load_settings\n"
    "s = load_settings({'workspace': sys.argv[1]}, environ={})\n"
    "Worker(open_job_store(s), s)\n"
    "print(sorted(m for m in ('ray', 'psycopg') if m in sys.modules))\n"
)


def test_import_reelrag_loads_neither_ray_nor_psycopg(tmp_path: object) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHECK, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_missing_ray_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from reelrag.errors import MissingDependencyError
    from reelrag.raycluster import connect

    monkeypatch.setitem(sys.modules, "ray", None)  # what an absent package looks like
    with pytest.raises(MissingDependencyError) as caught:
        connect()
    assert caught.value.hint == "pip install 'reelrag[ray]'"


def test_unknown_executor_is_a_config_error() -> None:
    from reelrag.errors import ConfigError
    from reelrag.jobs.executors import open_executor
    from reelrag.settings import load_settings

    with pytest.raises(ConfigError, match="unknown executor 'dask'"):
        open_executor(load_settings({"executor": "dask"}, environ={}))
