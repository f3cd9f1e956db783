"""Shared fixtures: an isolated environment, a workspace, and the sample photo library."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelrag.samples import write_samples
from reelrag.settings import Settings, load_settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's REELRAG_* variables or a reelrag.toml in the cwd."""
    for key in list(os.environ):
        if key.startswith("REELRAG_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    yield


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
