"""Shared fixtures: an isolated environment, a workspace and the sample photo library; the bundled
MiniLM embedder and the caption library's index records; an opt-in empty local-model cache.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from reelrag.samples import write_samples
from reelrag.settings import Settings, load_settings
from reelrag.testing.remote import register as register_simulated

if TYPE_CHECKING:
    from reelrag.embeddings.minilm import MiniLMEmbedder
    from reelrag.index.base import IndexRecord

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's REELRAG_* variables or a reelrag.toml in the cwd."""
    for key in list(os.environ):
        if key.startswith("REELRAG_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture(autouse=True)
def _simulated_backend() -> None:
    """The fake remote backend (a test twin) as ``--backend simulated``, 2 s per job."""
    register_simulated(latency_s=2.0)


@pytest.fixture
def simulated() -> Callable[[float], None]:
    """Set the simulated backend's latency for this test: ``simulated(0.2)``."""
    return lambda latency_s: register_simulated(latency_s=latency_s)


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake AWS credentials and region: no test can reach a real account by accident."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def moto_s3(aws_credentials: None) -> Iterator[Any]:
    """An S3 client on moto's in-memory S3 (every boto3 client made meanwhile is mocked too)."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield boto3.client("s3", region_name="us-east-1")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path / "ws"


@pytest.fixture
def settings(workspace: Path) -> Settings:
    return load_settings({"workspace": workspace}, environ={})


@pytest.fixture(scope="session")
def sample_photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample library (real photos from scikit-image/matplotlib with sidecar captions).

    Session-scoped and read-only by convention: copy it before changing anything.
    """
    folder = tmp_path_factory.mktemp("samples")
    write_samples(folder)
    return folder


@pytest.fixture
def _fresh_cache() -> Iterator[None]:
    """An empty local-model cache before and after the test.

    Opt-in: modules that load models say ``pytestmark = pytest.mark.usefixtures("_fresh_cache")``.
    """
    from reelrag.localmodels.cache import MODELS

    MODELS.clear()
    yield
    MODELS.clear()


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    """The bundled MiniLM text embedder (modules with other embedders define their own)."""
    from reelrag.embeddings.minilm import MiniLMEmbedder

    return MiniLMEmbedder()


@pytest.fixture(scope="module")
def records(embedder: MiniLMEmbedder) -> list[IndexRecord]:
    """The realistic caption library (tests/retrieval_library.py) as index records."""
    from retrieval_library import make_records

    return make_records(embedder)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[object]:
    """A throw-away PostgreSQL server for the session (reelrag.testing.pgcluster); skips with the
    reason when one cannot start here."""
    from reelrag.testing import pgcluster as postgres

    reason = postgres.unavailable()
    if reason:
        pytest.skip(reason)
    cluster = postgres.Cluster()
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: object) -> str:
    """The URL of a fresh, empty database on the session's PostgreSQL server."""
    return postgres_cluster.database()  # type: ignore[attr-defined, no-any-return]


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[object]:
    """One local Ray for the whole run: a head node with 2 logical CPUs and 4 fake GPUs (a
    ``ray.cluster_utils.Cluster``, so tests can add and lose nodes). Fast node-failure detection."""
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'reelrag[ray]')")
    from ray.cluster_utils import Cluster

    system = {"health_check_period_ms": 500, "health_check_failure_threshold": 3}
    head = {"num_cpus": 2, "num_gpus": 4, "include_dashboard": False, "_system_config": system}
    cluster = Cluster(initialize_head=True, connect=True, head_node_args=head)
    yield cluster
    ray.shutdown()
    cluster.shutdown()
