"""The JSON API in-process (FastAPI TestClient) on a real library, job store and worker."""

from __future__ import annotations

import gc
import io
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient
from PIL import Image

from reelrag.jobs import open_job_store
from reelrag.server.app import create_app
from reelrag.settings import Settings, load_settings
from webclient import api_client, ingested_workspace

SMALL = {"width": 96, "height": 64, "duration_s": 0.5, "fps": 8}
PHOTOS = ("vehicles", "animals", "food")


@pytest.fixture(scope="module")
def library_ws(tmp_path_factory: pytest.TempPathFactory, sample_photos: Path) -> Path:
    return ingested_workspace(tmp_path_factory.mktemp("server-lib"), sample_photos, PHOTOS)


@pytest.fixture
def ws_settings(library_ws: Path, tmp_path: Path) -> Settings:
    """A private copy of the ingested workspace, so tests may add jobs and outputs."""
    ws = tmp_path / "ws"
    shutil.copytree(library_ws, ws)
    return load_settings({"workspace": ws}, environ={})


@pytest.fixture
def client(ws_settings: Settings) -> Iterator[TestClient]:
    with api_client(create_app(ws_settings)) as test_client:
        yield test_client


def png_bytes(size: tuple[int, int] = (80, 60), color: str = "red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def wait_job(client: TestClient, job_id: str, timeout_s: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] in ("succeeded", "failed", "skipped", "cancelled"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def test_browse_filter_and_show_assets(client: TestClient) -> None:
    data = client.get("/api/assets").json()
    assert data["total"] == 3 and [Path(f).name for f in data["folders"]] == sorted(PHOTOS)
    only = client.get("/api/assets", params={"folder": data["folders"][0]}).json()
    assert only["total"] == 1 and "cat" in only["assets"][0]["caption"]
    by_text = client.get("/api/assets", params={"text": "motorcycle"}).json()
    assert [Path(a["folder"]).name for a in by_text["assets"]] == ["vehicles"]
    asset = only["assets"][0]
    shown = client.get(f"/api/assets/{asset['id'][:10]}").json()
    assert shown["id"] == asset["id"] and shown["sources"]


def test_thumbnail_is_cached_and_image_supports_ranges(client: TestClient) -> None:
    asset = client.get("/api/assets").json()["assets"][0]
    thumb = client.get(asset["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.headers["content-type"].startswith("image/")
    assert "immutable" in thumb.headers["cache-control"]
    again = client.get(asset["thumbnail_url"], headers={"If-None-Match": thumb.headers["etag"]})
    assert again.status_code == 304
    part = client.get(asset["image_url"], headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100
    assert part.headers["content-range"].startswith("bytes 0-99/")


def test_search_ranks_the_matching_image_first_with_scores(client: TestClient) -> None:
    data = client.post("/api/search", json={"query": "red motorcycle", "limit": 3}).json()
    assert not data["no_match"]
    best = data["hits"][0]
    assert Path(best["asset"]["folder"]).name == "vehicles"
    assert 0 < best["score"] <= 1 and best["asset"]["thumbnail_url"].endswith("/thumbnail")
    none = client.post("/api/search", json={"query": "submarine sonar", "min_score": 0.99}).json()
    assert none["no_match"] and none["hits"] == []


def test_only_the_servers_own_process_freezes_the_collector(ws_settings: Settings) -> None:
    query = {"query": "red motorcycle", "limit": 3}
    with api_client(create_app(ws_settings, start_workers=False)) as embedded:
        embedded.post("/api/search", json=query)
        assert not embedded.app.state.reelrag._settled  # an app inside another process
    try:
        with api_client(create_app(ws_settings, start_workers=False, freeze_gc=True)) as own:
            first = own.post("/api/search", json=query).json()
            frozen = gc.get_freeze_count()
            assert own.app.state.reelrag._settled and frozen > 0
            assert own.post("/api/search", json=query).json() == first  # same answer after
            assert gc.get_freeze_count() <= frozen  # frozen once (freed objects leave it)
    finally:
        gc.unfreeze()  # the test process goes on collecting as before


def test_estimate_then_generate_runs_a_job_to_a_playable_video(client: TestClient) -> None:
    body = {"prompt": "camera zooms in slowly", "object": "a cup of coffee", **SMALL}
    estimate = client.post("/api/estimate", json=body).json()
    assert (estimate["width"], estimate["height"]) == (96, 64) and estimate["frames"] == 4
    queued = client.post("/api/generate", json=body)
    assert queued.status_code == 202
    reply = queued.json()
    assert Path(reply["hit"]["asset"]["folder"]).name == "food"
    job = wait_job(client, reply["job_id"])
    assert job["state"] == "succeeded", job
    assert job["events"][0]["state"] == "queued"
    video = client.get(job["links"]["video"], headers={"Range": "bytes=0-15"})
    assert video.status_code == 206 and video.content[4:8] == b"ftyp"
    items = client.get("/api/outputs").json()["items"]
    assert items[0]["prompt"] == body["prompt"] and items[0]["manifest"]["request"]["prompt"]
    assert client.get(items[0]["poster_url"]).status_code == 200


def test_jobs_are_shared_with_the_cli_store(client: TestClient, ws_settings: Settings) -> None:
    asset = client.get("/api/assets").json()["assets"][0]
    reply = client.post("/api/generate", json={"prompt": "pan left", "asset_id": asset["id"],
                                               **SMALL}).json()  # fmt: skip
    wait_job(client, reply["job_id"])
    store = open_job_store(ws_settings)  # what `reelrag jobs list` reads
    assert store.get(reply["job_id"]).state == "succeeded"
    listed = client.get("/api/jobs").json()
    assert listed["counts"]["succeeded"] >= 1 and listed["jobs"][0]["id"] == reply["job_id"]


def test_event_stream_reports_progress_until_idle(client: TestClient) -> None:
    asset = client.get("/api/assets").json()["assets"][0]
    reply = client.post("/api/generate", json={"prompt": "zoom out", "asset_id": asset["id"],
                                               **SMALL}).json()  # fmt: skip
    with client.stream("GET", "/api/events", params={"since": 0, "until_idle": True}) as stream:
        text = "".join(stream.iter_text())
    events = [json.loads(line[6:]) for line in text.splitlines() if line.startswith('data: {"')]
    mine = [e for e in events if e["job_id"] == reply["job_id"]]
    assert mine[0]["state"] == "queued" and mine[-1]["state"] == "succeeded"
    assert "event: idle" in text


def test_no_good_match_fails_at_once_with_one_error_shape(client: TestClient) -> None:
    reply = client.post("/api/generate", json={"prompt": "zoom", "object": "xylophone quartet"})
    assert reply.status_code == 422
    assert reply.json()["error"] == "NoMatchError" and reply.json()["hint"]
    assert client.get("/api/jobs").json()["jobs"] == []


def test_cancel_and_retry(ws_settings: Settings) -> None:
    with api_client(create_app(ws_settings, start_workers=False)) as client:
        asset = client.get("/api/assets").json()["assets"][0]
        job_id = client.post("/api/generate", json={"prompt": "zoom", "asset_id": asset["id"],
                                                    **SMALL}).json()["job_id"]  # fmt: skip
        assert client.post(f"/api/jobs/{job_id}/cancel").json()["state"] == "cancelled"
        again = client.post(f"/api/jobs/{job_id}/cancel")
        assert again.status_code == 422 and again.json()["error"] == "InputError"
        assert client.post(f"/api/jobs/{job_id}/retry").json()["state"] == "queued"
        assert client.get("/api/jobs/nope").status_code == 404


def test_capability_errors_are_refused_before_queuing(client: TestClient) -> None:
    asset = client.get("/api/assets").json()["assets"][0]
    reply = client.post("/api/generate", json={"prompt": "zoom", "asset_id": asset["id"],
                                               "width": 97, "height": 64})  # fmt: skip
    assert reply.status_code == 422 and reply.json()["error"] == "CapabilityError"
    unknown = client.post("/api/estimate", json={"prompt": "zoom", "backend": "nope"})
    assert unknown.status_code == 404 and "camera" in unknown.json()["hint"]


def test_upload_then_generate_from_it_and_ingest(client: TestClient) -> None:
    files = {"file": ("red square.png", png_bytes(), "image/png")}
    up = client.post("/api/uploads", files=files)
    assert up.status_code == 201, up.text
    image = up.json()["image"]
    assert image.startswith("uploads/") and up.json()["width"] == 80
    job = client.post("/api/generate", json={"prompt": "zoom in", "image": image, **SMALL}).json()
    assert wait_job(client, job["job_id"])["state"] == "succeeded"
    assert "uploads" not in " ".join(client.get("/api/assets").json()["folders"])
    added = client.post("/api/uploads", files=files, data={"ingest": "true"}).json()
    assert added["ingest"]["added"] == 1
    assert client.get(f"/api/assets/{added['asset_id']}").status_code == 200
    # the cached folder facet follows the catalog
    assert "uploads" in " ".join(client.get("/api/assets").json()["folders"])


def test_batch_from_an_uploaded_prompts_file(client: TestClient) -> None:
    text = "<object_prompt>, camera pans left\n<object_prompt>, camera zooms in\n"
    form = {"object": "red motorcycle", "dry_run": "true"}
    files = {"file": ("prompts.txt", text.encode(), "text/plain")}
    plan = client.post("/api/batch", files=files, data=form).json()
    assert plan["jobs_added"] == 0 and plan["dry_run"] and len(plan["plan"]["rows"]) == 2
    assert {row["state"] for row in plan["plan"]["rows"]} == {"planned"}  # not "queued"
    asset = plan["plan"]["rows"][0]["hit"]["asset"]
    assert Path(asset["folder"]).name == "vehicles"
    thumb = client.get(asset["thumbnail_url"])  # the plan shows the photo each row animates
    assert thumb.status_code == 200 and thumb.headers["content-type"].startswith("image/")
    run = client.post("/api/batch", files=files, data={**form, "dry_run": "false"}).json()
    assert run["batch_id"] == plan["batch_id"] and run["jobs_added"] == 2 and not run["dry_run"]
    assert {row["state"] for row in run["plan"]["rows"]} == {"queued"}
    bad = client.post("/api/batch", files={"file": ("rows.jsonl", b'{"prompt": ', "text/plain")})
    assert bad.status_code == 422 and "rows.jsonl" in bad.json()["message"]


def test_inpaint_with_a_rectangle_and_a_brush_mask(client: TestClient) -> None:
    asset = client.get("/api/assets", params={"text": "coffee"}).json()["assets"][0]
    boxed = client.post("/api/inpaint", json={"asset_id": asset["id"], "boxes": ["10,10,40,30"]})
    assert boxed.status_code == 201, boxed.text
    url = boxed.json()["variant_urls"][0]
    assert client.get(url).headers["content-type"] == "image/png"
    mask = Image.new("L", (asset["width"] // 4, asset["height"] // 4), 0)
    mask.paste(255, (5, 5, 30, 30))
    buf = io.BytesIO()
    mask.save(buf, "PNG")
    import base64

    data_url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    brushed = client.post("/api/inpaint", json={"asset_id": asset["id"], "mask_png": data_url})
    assert brushed.status_code == 201, brushed.text
    edited = brushed.json()["variant_images"][0]
    job = client.post("/api/generate", json={"prompt": "zoom in", "image": edited, **SMALL}).json()
    assert wait_job(client, job["job_id"])["state"] == "succeeded"


def test_backends_and_openapi(client: TestClient) -> None:
    backends = client.get("/api/backends").json()
    camera = next(b for b in backends["backends"] if b["name"] == "camera")
    assert backends["default"] == "camera" and camera["available"]
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/search", "/api/generate", "/api/batch", "/api/jobs", "/api/outputs",
                 "/api/assets", "/api/inpaint", "/api/events"):  # fmt: skip
        assert path in paths
    page = client.get("/")
    assert page.status_code == 200 and "ReelRAG" in page.text
    assert client.get("/static/app.js").status_code == 200


def test_validation_errors_share_the_error_shape(client: TestClient) -> None:
    reply = client.post("/api/search", json={"query": "", "limit": 0})
    assert reply.status_code == 422
    assert set(reply.json()) == {"error", "message", "hint", "retryable"}
    missing = client.get("/api/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"] == "NotFoundError"


def test_generate_takes_fit_and_focus_and_the_job_shows_the_qa_verdict(client: TestClient) -> None:
    asset = client.get("/api/assets").json()["assets"][0]
    body = {"prompt": "pan right", "asset_id": asset["id"], "fit": "cover", "focus": "0.5,0.5",
            **SMALL}  # fmt: skip
    job = wait_job(client, client.post("/api/generate", json=body).json()["job_id"])
    assert job["state"] == "succeeded", job
    assert job["result"]["qa"].startswith(("PASS", "FAIL"))  # what the Jobs tab shows
    manifest = client.get(job["links"]["manifest"]).json()
    assert manifest["request"]["options"]["focus"] == "0.5,0.5" and manifest["qa"]["verdict"]
    bad = client.post("/api/generate", json={**body, "fit": "stretch"})
    assert bad.status_code == 422
