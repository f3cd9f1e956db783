"""The web app's view of the match decision: refusals explained, coverage, --min-score."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient

from reelrag.library import Library
from reelrag.settings import load_settings
from webclient import ingested_workspace, workspace_client


@pytest.fixture(scope="module")
def library_ws(tmp_path_factory: pytest.TempPathFactory, sample_photos: Path) -> Path:
    root = tmp_path_factory.mktemp("server-match")
    return ingested_workspace(root, sample_photos, ("vehicles", "food"))


@pytest.fixture
def client(library_ws: Path, tmp_path: Path) -> Iterator[TestClient]:
    with workspace_client(library_ws, tmp_path) as test_client:
        yield test_client


def test_a_refusal_shows_why_and_the_nearest_candidates(client: TestClient) -> None:
    data = client.post("/api/search", json={"query": "red shoes"}).json()
    assert data["no_match"] and data["hits"] == []
    assert 1 <= len(data["rejected"]) <= 3
    first = data["rejected"][0]
    assert first["why"].startswith("match ") and first["asset"]["thumbnail_url"]
    assert first["score"] < data["min_score"]
    assert data["coverage_warning"] is None  # the samples have sidecar captions


def test_library_listing_reports_coverage(client: TestClient) -> None:
    coverage = client.get("/api/assets").json()["coverage"]
    assert coverage["captioned"] == coverage["assets"] > 0 and coverage["warning"] is None
    assert coverage["summary"].startswith(f"{coverage['assets']} of {coverage['assets']}")


def test_generate_and_batch_take_a_min_score(client: TestClient) -> None:
    strict = client.post("/api/generate", json={"prompt": "zoom", "object": "a cup of coffee",
                                                "min_score": 1.0})  # fmt: skip
    assert strict.status_code == 422 and strict.json()["error"] == "NoMatchError"
    rows = b"object,action\na cup of coffee,zoom in\n"
    files = {"file": ("rows.csv", rows, "text/csv")}
    plan = client.post("/api/batch", files=files, data={"dry_run": "true", "min_score": "1"})
    assert plan.status_code == 202
    row = plan.json()["plan"]["rows"][0]
    assert row["state"] != "queued" and "no good match" in row["reason"]
    loose = client.post("/api/batch", files=files, data={"dry_run": "true", "min_score": "0.3"})
    assert loose.json()["plan"]["rows"][0]["hit"]["asset"]["source"].endswith("coffee.jpg")


def test_listing_counts_follow_an_ingest_beside_the_server(
    client: TestClient, tmp_path: Path
) -> None:
    """Coverage and totals are remembered per catalog version: an ingest by another process
    (the CLI beside the server) shows on the next listing, not a stale cached count."""
    before = client.get("/api/assets").json()
    assert client.get("/api/assets").json()["coverage"] == before["coverage"]  # remembered
    from PIL import Image

    photo = tmp_path / "new" / "IMG_0001.png"
    photo.parent.mkdir()
    Image.new("RGB", (40, 30), "blue").save(photo)
    ws = client.app.state.reelrag.settings.workspace  # type: ignore[attr-defined]
    Library(load_settings({"workspace": ws}, environ={})).ingest(photo)  # another connection
    after = client.get("/api/assets").json()
    assert after["total"] == before["total"] + 1
    assert after["coverage"]["assets"] == before["coverage"]["assets"] + 1
    assert after["coverage"]["captioned"] == before["coverage"]["captioned"]  # a camera-roll name


def test_verdicts_settle_a_query_for_search_and_batch(client: TestClient) -> None:
    query = "a red motorbike in a workshop"
    found = client.post("/api/search", json={"query": query, "min_score": 0}).json()
    wrong = found["hits"][0]["asset"]["id"]
    refused = client.post("/api/verdicts", json={"query": query, "asset_id": wrong,
                                                 "verdict": "wrong"},
                          headers={"X-Reelrag-CSRF": "not-the-token"})  # fmt: skip
    assert refused.status_code == 403
    marked = client.post("/api/verdicts", json={"query": query, "asset_id": wrong[:10],
                                                "verdict": "wrong"})  # fmt: skip
    assert marked.status_code == 201 and marked.json()["asset"]["id"] == wrong
    again = client.post("/api/search", json={"query": query, "min_score": 0}).json()
    assert wrong not in {hit["asset"]["id"] for hit in again["hits"]}
    assert again["verdicts"] == {wrong: "wrong"} and found["verdicts"] == {}
    rows = f"object,action\n{query},zoom in\n".encode()
    files = {"file": ("rows.csv", rows, "text/csv")}
    plan = client.post("/api/batch", files=files, data={"dry_run": "true", "min_score": "0"})
    assert plan.json()["plan"]["rows"][0]["hit"]["asset"]["id"] != wrong
    listed = client.get("/api/verdicts", params={"query": query.upper()}).json()["items"]
    assert [(r["asset_id"], r["verdict"]) for r in listed] == [(wrong, "wrong")]
    gone = client.delete("/api/verdicts", params={"query": query, "asset_id": wrong})
    assert gone.json() == {"forgotten": 1} and client.get("/api/verdicts").json()["items"] == []
    bad = client.post("/api/verdicts", json={"query": query, "asset_id": wrong,
                                             "verdict": "maybe"})  # fmt: skip
    assert bad.status_code == 422
    missing = client.post("/api/verdicts", json={"query": query, "asset_id": "ffffffff",
                                                 "verdict": "right"})  # fmt: skip
    assert missing.status_code == 404 and missing.json()["error"] == "NotFoundError"
