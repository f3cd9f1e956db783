"""Server security: the token off loopback, path traversal, upload size and type limits."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient
from PIL import Image

from reelrag.errors import InputError
from reelrag.server.app import create_app
from reelrag.server.security import inside, is_loopback, resolve_token
from reelrag.settings import load_settings
from webclient import api_client


def make_client(tmp_path: Path, **overrides: object) -> TestClient:
    settings = load_settings({"workspace": tmp_path / "ws", **overrides}, environ={})
    return api_client(create_app(settings, start_workers=False))


def png(size: tuple[int, int] = (32, 24)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "blue").save(buf, "PNG")
    return buf.getvalue()


def test_loopback_needs_no_token(tmp_path: Path) -> None:
    client = make_client(tmp_path)
    assert client.get("/api/health").json()["token_required"] is False


def test_off_loopback_generates_a_token_and_requires_it_everywhere(tmp_path: Path) -> None:
    settings = load_settings({"workspace": tmp_path / "ws", "server_host": "0.0.0.0"}, environ={})
    token = resolve_token(settings)
    assert token and len(token) >= 24 and resolve_token(settings) != token
    client = api_client(create_app(settings, start_workers=False, token=token))
    for path in ("/api/health", "/api/assets", "/api/jobs", "/openapi.json", "/static/app.js"):
        reply = client.get(path)
        assert reply.status_code == 401, path
    assert client.get("/api/jobs").json()["error"] == "AuthError"
    assert client.get("/api/jobs", headers={"Authorization": "Bearer wrong"}).status_code == 401
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 401 and "token" in page.text
    ok = client.get("/api/health", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.json()["token_required"] is True


def test_token_url_opens_a_session_cookie(tmp_path: Path) -> None:
    client = make_client(tmp_path, server_host="0.0.0.0", server_token="s3cret-token-value")
    opened = client.get("/?token=s3cret-token-value", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/"
    assert "httponly" in opened.headers["set-cookie"].lower()
    assert client.get("/api/jobs").status_code == 200  # the cookie carries the session
    assert client.get("/").status_code == 200


def test_configured_token_applies_on_loopback_too(tmp_path: Path) -> None:
    client = make_client(tmp_path, server_token="abc123")
    assert client.get("/api/jobs").status_code == 401
    assert client.get("/api/jobs", headers={"X-Reelrag-Token": "abc123"}).status_code == 200


@pytest.mark.parametrize("host,expected", [("127.0.0.1", True), ("::1", True),
                                           ("localhost", True), ("0.0.0.0", False),
                                           ("192.168.1.5", False)])  # fmt: skip
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


@pytest.mark.parametrize(
    "path", ["../secret.png", "/etc/passwd", "uploads/../../x.png", "s3://other/x.png",
             "C:/x.png", "a/\x00b"],
)  # fmt: skip
def test_inside_refuses_escapes(tmp_path: Path, path: str) -> None:
    with pytest.raises(InputError):
        inside(tmp_path, path)


def test_inside_refuses_symlinks_out(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "link").symlink_to(tmp_path)
    with pytest.raises(InputError, match="leaves the workspace"):
        inside(tmp_path / "ws", "link/anything.png")


def test_traversal_in_requests_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(png())
    client = make_client(tmp_path)
    (tmp_path / "ws" / "outputs").mkdir(parents=True)
    urls = ("/api/files/outputs/..%2F..%2Fsecret.png", "/api/files/outputs/%2E%2E/secret.png",
            "/api/files/catalog/x", "/api/files/uploads/..%2Fcatalog.sqlite")  # fmt: skip
    for url in urls:
        reply = client.get(url)
        assert reply.status_code in (404, 422), url
        assert reply.status_code == 404 or reply.json()["error"] == "InputError"
    for image in ("../secret.png", str(secret), "uploads/../../secret.png"):
        reply = client.post("/api/generate", json={"prompt": "zoom", "image": image})
        assert reply.status_code == 422 and "workspace" in reply.json()["hint"], image
    edit = client.post("/api/inpaint", json={"image": "../secret.png", "boxes": ["1,1,4,4"]})
    assert edit.status_code == 422


def test_batch_rows_cannot_name_files_outside_or_escape_outputs(tmp_path: Path) -> None:
    client = make_client(tmp_path)
    rows = b'{"prompt": "zoom", "image": "/etc/hostname"}\n'
    reply = client.post("/api/batch", files={"file": ("rows.jsonl", rows, "text/plain")})
    assert reply.status_code == 422 and "line 1" in reply.json()["message"]
    rows = b'{"prompt": "zoom", "image": "x.png", "output": "../../evil"}\n'
    reply = client.post("/api/batch", files={"file": ("rows.jsonl", rows, "text/plain")})
    assert reply.status_code == 422 and "plain" in reply.json()["message"]


def test_oversized_uploads_are_refused(tmp_path: Path) -> None:
    client = make_client(tmp_path, upload_max_mb=0.01)
    big = png((400, 400)) + b"\0" * 20_000
    reply = client.post("/api/uploads", files={"file": ("big.png", big, "image/png")})
    assert reply.status_code == 413 and reply.json()["error"] == "TooLargeError"
    huge = client.post("/api/uploads", files={"file": ("big.png", b"\0" * 200_000, "image/png")})
    assert huge.status_code == 413
    assert not (tmp_path / "ws" / "uploads").exists()


@pytest.mark.parametrize(
    "name,data,error",
    [("notes.txt", b"hello", "InputError"), ("photo.png", b"", "InputError"),
     ("photo.jpg", b"\xff\xd8\xff\xe0 not really a jpeg", "DecodeError"),
     ("photo.png", b"<html>hi</html>", "DecodeError")],
)  # fmt: skip
def test_malformed_uploads_get_one_line_errors(
    tmp_path: Path, name: str, data: bytes, error: str
) -> None:
    client = make_client(tmp_path)
    reply = client.post("/api/uploads", files={"file": (name, data, "application/octet-stream")})
    assert reply.status_code == 422
    body = reply.json()
    assert body["error"] == error and "\n" not in body["message"] and body["hint"]


def test_decompression_bombs_are_refused(tmp_path: Path) -> None:
    client = make_client(tmp_path, max_image_pixels=10_000)
    reply = client.post("/api/uploads", files={"file": ("wide.png", png((200, 200)), "image/png")})
    assert reply.status_code == 422 and reply.json()["error"] == "DecodeError"


def test_brush_masks_must_be_png(tmp_path: Path) -> None:
    client = make_client(tmp_path)
    for mask in ("not base64!!", "aGVsbG8="):
        reply = client.post("/api/inpaint", json={"asset_id": "abcd", "mask_png": mask})
        assert reply.status_code == 422 and reply.json()["error"] == "InputError"
