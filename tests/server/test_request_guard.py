"""The request guard in-process: the one path guard for files named in requests, Host, Origin
and CSRF checks, body and depth limits, and the one-line errors of malformed requests."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient
from PIL import Image

from reelrag.errors import InputError
from reelrag.server.app import create_app
from reelrag.server.security import request_file
from reelrag.settings import Settings, load_settings
from webclient import api_client


def png(size: tuple[int, int] = (32, 24)) -> bytes:
    buf = io.BytesIO()
    Image.new("L", size, 255).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    ws = tmp_path / "ws"
    (ws / "uploads").mkdir(parents=True)
    (ws / "outputs" / "edits").mkdir(parents=True)
    (ws / "secret.txt").write_text("secret")
    (ws / "uploads" / "ok.png").write_bytes(png())
    (ws / "outputs" / "edits" / "v1.png").write_bytes(png())
    (ws / "uploads" / "zero.png").symlink_to("/dev/zero")
    os.mkfifo(ws / "uploads" / "fifo.png")
    return load_settings({"workspace": ws}, environ={})


@pytest.fixture
def client(settings: Settings) -> TestClient:
    return api_client(create_app(settings, start_workers=False))


@pytest.mark.parametrize(
    "path", ["secret.txt", "jobs.sqlite", "uploads/zero.png", "uploads/fifo.png", "uploads",
             "uploads/missing.png", "../ws/secret.txt", "/dev/zero"],
)  # fmt: skip
def test_request_files_are_only_regular_files_in_uploads_and_outputs(
    settings: Settings, path: str
) -> None:
    with pytest.raises(InputError):
        request_file(settings, path, what="image")


def test_uploads_and_outputs_pass_the_guard(settings: Settings) -> None:
    ws = settings.workspace.resolve()
    assert request_file(settings, "uploads/ok.png") == ws / "uploads" / "ok.png"
    assert request_file(settings, "outputs/edits/v1.png") == ws / "outputs" / "edits" / "v1.png"


def test_generate_refuses_server_files(client: TestClient) -> None:
    for image in ("secret.txt", "jobs.sqlite"):
        reply = client.post("/api/generate", json={"prompt": "zoom in", "image": image})
        assert reply.status_code == 422 and "uploaded image or an output" in reply.text
    assert client.get("/api/jobs").json()["jobs"] == []


def test_batch_mask_and_polygon_cells_go_through_the_guard(client: TestClient) -> None:
    for column, value in (("mask", "secret.txt"), ("polygon", "uploads/zero.png"),
                          ("mask", "/etc/passwd"), ("mask", "uploads/fifo.png")):  # fmt: skip
        rows = f"prompt,image,{column}\nzoom in,uploads/ok.png,{value}\n".encode()
        reply = client.post("/api/batch", files={"file": ("rows.csv", rows)})
        assert reply.status_code == 422 and f"line 2: {column}" in reply.json()["message"]
    rows = b"prompt,image,mask\nzoom in,uploads/ok.png,uploads/ok.png\n"
    reply = client.post("/api/batch", files={"file": ("rows.csv", rows)}, data={"dry_run": "1"})
    assert reply.status_code == 202, reply.text
    edit = reply.json()["plan"]["rows"][0]["request"]["options"]["edit"]
    assert Path(edit["mask"]["mask"]).is_absolute() and edit["mask"]["mask"].endswith("ok.png")


def test_other_host_names_are_refused(settings: Settings) -> None:
    app = create_app(settings, start_workers=False)
    assert TestClient(app, base_url="http://evil.example").get("/api/health").status_code == 421
    assert TestClient(app, base_url="http://[::1]:8765").get("/api/health").status_code == 200
    named = load_settings({"workspace": settings.workspace, "server_allowed_hosts": "reel.lan"},
                          environ={})  # fmt: skip
    app = create_app(named, start_workers=False)
    assert TestClient(app, base_url="http://reel.lan").get("/api/health").status_code == 200


def test_state_changes_need_the_token_and_this_origin(settings: Settings) -> None:
    app = create_app(settings, start_workers=False)
    bare = TestClient(app, base_url="http://127.0.0.1:8765")
    assert bare.post("/api/jobs/x/cancel").status_code == 403
    token = bare.get("/api/session").json()["csrf_token"]
    assert f'content="{token}"' in bare.get("/").text  # the page carries it
    headers = {"X-Reelrag-CSRF": token}
    assert bare.post("/api/jobs/x/cancel", headers=headers).status_code == 404
    foreign = {**headers, "Origin": "http://evil.example"}
    assert bare.post("/api/jobs/x/cancel", headers=foreign).status_code == 403
    same = {**headers, "Origin": "http://127.0.0.1:8765"}
    assert bare.post("/api/jobs/x/cancel", headers=same).status_code == 404


def test_the_access_token_in_a_header_also_allows_state_changes(settings: Settings) -> None:
    app = create_app(settings, start_workers=False, token="access-token-value")
    bare = TestClient(app, base_url="http://127.0.0.1")
    auth = {"Authorization": "Bearer access-token-value"}
    assert bare.post("/api/jobs/x/cancel", headers=auth).status_code == 404
    bare.cookies.set("reelrag_token", "access-token-value")
    assert bare.post("/api/jobs/x/cancel").status_code == 403  # a cookie never counts


def test_json_bodies_are_bounded_in_size_and_depth(tmp_path: Path) -> None:
    settings = load_settings({"workspace": tmp_path, "server_json_max_mb": 0.01}, environ={})
    client = api_client(create_app(settings, start_workers=False))
    big = client.post("/api/search", json={"query": "x" * 20_000})
    assert big.status_code == 413 and big.json()["error"] == "TooLargeError"
    deep = '{"query": "car", "filters": ' + "[" * 1000 + "]" * 1000 + "}"
    reply = client.post("/api/search", content=deep, headers={"Content-Type": "application/json"})
    assert reply.status_code == 422 and "levels deep" in reply.json()["message"]


def test_malformed_requests_get_plain_one_line_errors(client: TestClient) -> None:
    blank = client.post("/api/generate", json={"prompt": "   ", "image": "uploads/ok.png"})
    assert blank.json()["message"] == "prompt: must not be blank"
    events = client.get("/api/events", headers={"Last-Event-ID": "²".encode()})
    assert events.status_code == 400 and events.json()["error"] == "BadRequestError"
