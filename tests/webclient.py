"""A FastAPI TestClient that talks to the app as its own page does: a loopback Host and the
page's CSRF token on every request (the request guard refuses state changes without it); and the
ingested sample workspaces the web tests run on."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from reelrag.library import Library
from reelrag.server.app import create_app
from reelrag.settings import load_settings


def api_client(app: FastAPI, **kwargs: Any) -> TestClient:
    headers = {"X-Reelrag-CSRF": app.state.reelrag.csrf_token, **kwargs.pop("headers", {})}
    return TestClient(app, base_url="http://127.0.0.1", headers=headers, **kwargs)


def ingested_workspace(root: Path, sample_photos: Path, folders: Sequence[str]) -> Path:
    """A workspace with the sample photos of ``folders`` ingested (real MiniLM, LanceDB, SQLite)."""
    photos = root / "photos"
    for folder in folders:
        shutil.copytree(sample_photos / folder, photos / folder)
    ws = root / "ws"
    Library(load_settings({"workspace": ws}, environ={})).ingest(photos, recursive=True)
    return ws


@contextmanager
def workspace_client(library_ws: Path, tmp_path: Path) -> Iterator[TestClient]:
    """The app on a private copy of an ingested workspace (tests may add jobs and outputs)."""
    ws = tmp_path / "ws"
    shutil.copytree(library_ws, ws)
    with api_client(create_app(load_settings({"workspace": ws}, environ={}))) as client:
        yield client
