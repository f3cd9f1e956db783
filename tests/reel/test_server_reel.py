"""`POST /api/reels` in-process (FastAPI TestClient): planned at once, rendered in the background
through the shared job store, shown in the gallery; bad storyboards are immediate errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient

from webclient import ingested_workspace, workspace_client

BOARD = """size: 144
shots:
  - object: a ginger cat
    action: Camera zooms in slowly
    duration: 1
    title: Cat
    transition: crossfade
  - object: a cup of coffee
    action: Camera pans left
    duration: 1
"""


@pytest.fixture(scope="module")
def library_ws(tmp_path_factory: pytest.TempPathFactory, sample_photos: Path) -> Path:
    root = tmp_path_factory.mktemp("reel-server")
    return ingested_workspace(root, sample_photos, ("animals", "food"))


@pytest.fixture
def client(library_ws: Path, tmp_path: Path) -> Iterator[TestClient]:
    with workspace_client(library_ws, tmp_path) as test_client:
        yield test_client


def test_reel_renders_in_the_background_and_reaches_the_gallery(client: TestClient) -> None:
    reply = client.post("/api/reels", json={"storyboard": BOARD, "aspect_ratios": ["16:9", "9:16"]})
    assert reply.status_code == 202, reply.text
    data = reply.json()
    assert [s["state"] for s in data["shots"]] == ["queued", "queued"]
    assert data["videos"] == ["reel.16x9.mp4", "reel.9x16.mp4"]
    deadline = time.monotonic() + 120
    reels: list[dict] = []
    while time.monotonic() < deadline and len(reels) < 2:
        items = client.get("/api/outputs").json()["items"]
        reels = [i for i in items if i["backend"] == "reel"]
        time.sleep(0.5)
    assert sorted(i["manifest"]["aspect_ratio"] for i in reels) == ["16:9", "9:16"]
    assert all(i["manifest"]["provenance"]["signed"] for i in reels)


def test_bad_storyboards_are_immediate_errors(client: TestClient) -> None:
    missing = BOARD.replace("a cup of coffee", "red running shoes")
    reply = client.post("/api/reels", json={"storyboard": missing})
    assert reply.status_code >= 400 and "1 of 2 shots have no footage" in reply.text
    paths = BOARD.replace("object: a ginger cat", "image: /etc/passwd")
    reply = client.post("/api/reels", json={"storyboard": paths})
    assert reply.status_code == 422 and "object or asset only" in reply.text
    reply = client.post("/api/reels", json={"storyboard": "shots: ["})
    assert reply.status_code == 422 and "not valid YAML" in reply.text
