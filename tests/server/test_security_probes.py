"""Hostile requests against the REAL server (``reelrag serve`` on 127.0.0.1 in a subprocess):
path traversal in every field that names a file, cross-site state changes, Host rebinding,
body limits with chunked bodies, YAML alias bombs, deep nesting, PNG bombs and slow clients.

Every probe's reply is recorded: the module asserts 0 bypasses, 0 5xx, and that the server is
alive and under 1 GB RSS at the end.
"""

from __future__ import annotations

import os
import shutil
import struct
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from reelrag.library import Library  # noqa: E402
from reelrag.settings import load_settings  # noqa: E402
from serverprobes import chunked_post, raw_request, rss_bytes, serve, slow_client  # noqa: E402

SECRET = "TOP-SECRET-CONTENT"
UPLOAD_MB, JSON_MB = 2, 1
EVIL = "http://evil.example"
SOCKET_SLACK = 8_000_000
BAD_PATHS = ["secret.txt", "jobs.sqlite", "catalog.sqlite", "../outside.txt", "/etc/passwd",
             "uploads/../secret.txt", "uploads/passwd-link.png", "uploads/zero-link.png",
             "uploads/fifo.png", "outputs/../secret.txt", "C:/secret.txt", "file:///etc/passwd",
             "uploads/%2e%2e/secret.txt", "/dev/zero", "uploads", "~/secret.txt"]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sample_photos: Path) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("probes")
    shutil.copytree(sample_photos / "vehicles", root / "photos")
    ws = root / "ws"
    Library(load_settings({"workspace": ws}, environ={})).ingest(root / "photos")
    (ws / "secret.txt").write_text(SECRET)
    (root / "outside.txt").write_text(SECRET)
    uploads = ws / "uploads"
    uploads.mkdir()
    (uploads / "passwd-link.png").symlink_to("/etc/passwd")
    (uploads / "zero-link.png").symlink_to("/dev/zero")
    os.mkfifo(uploads / "fifo.png")
    env = {"REELRAG_UPLOAD_MAX_MB": str(UPLOAD_MB), "REELRAG_SERVER_JSON_MAX_MB": str(JSON_MB)}
    with serve(ws, **env) as (proc, port):
        base = f"http://127.0.0.1:{port}"
        csrf = httpx.get(f"{base}/api/session").json()["csrf_token"]
        client = httpx.Client(base_url=base, timeout=60, headers={"X-Reelrag-CSRF": csrf})
        assert client.post("/api/search", json={"query": "car"}).status_code == 200  # warm
        yield {"proc": proc, "port": port, "base": base, "csrf": csrf, "client": client,
               "statuses": [], "bypasses": []}  # fmt: skip
        client.close()


def record(server: dict, name: str, reply: httpx.Response, *, allowed: bool = False) -> None:
    """Note a probe's reply; a 2xx to a hostile probe (or a leaked secret) is a bypass."""
    server["statuses"].append((name, reply.status_code))
    if (reply.status_code < 300 and not allowed) or SECRET in reply.text:
        server["bypasses"].append((name, reply.status_code, reply.text[:200]))
    if reply.status_code < 400 or reply.status_code >= 500:
        return
    body = reply.json()  # every refusal is the one error shape, one line
    assert set(body) == {"error", "message", "hint", "retryable"}, (name, body)
    assert "\n" not in body["message"], (name, body)


def jobs_count(server: dict) -> int:
    return len(server["client"].get("/api/jobs?limit=5000").json()["jobs"])


@pytest.fixture(autouse=True)
def _still_healthy(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every probe: no 5xx so far, no bypass, the server alive, answering and small.

    The server is one per module and xdist may spread the probes over workers, so each test
    checks what it did rather than one test at the end checking all of them."""
    yield
    if "server" not in request.fixturenames:
        return
    server = request.getfixturevalue("server")
    errors = [(name, status) for name, status in server["statuses"] if status >= 500]
    assert not errors, errors
    assert not server["bypasses"], server["bypasses"]
    assert server["proc"].poll() is None
    assert server["client"].get("/api/health").status_code == 200
    assert rss_bytes(server["proc"].pid) < 1_000_000_000


def test_paths_in_every_file_field_reach_only_uploads_and_outputs(server: dict) -> None:
    client, before = server["client"], jobs_count(server)
    for path in BAD_PATHS:
        for route, body in (("/api/generate", {"prompt": "zoom in", "image": path}),
                            ("/api/estimate", {"prompt": "zoom in", "image": path}),
                            ("/api/inpaint", {"image": path, "boxes": ["1,1,4,4"]})):  # fmt: skip
            record(server, f"{route} image={path}", client.post(route, json=body))
        for column in ("image", "mask", "polygon"):
            rows = f"prompt,{column}\ncamera zooms in,{path}\n"
            files = {"file": ("rows.csv", rows.encode(), "text/csv")}
            reply = client.post("/api/batch", files=files, data={"dry_run": "false"})
            record(server, f"batch {column}={path}", reply)
        yaml_rows = f"- prompt: zoom in\n  box: 1,1,4,4\n  mask: '{path}'\n".encode()
        reply = client.post("/api/batch", files={"file": ("rows.yaml", yaml_rows)})
        record(server, f"batch yaml mask={path}", reply)
        for area in ("outputs", "uploads"):
            reply = client.get(f"/api/files/{area}/{path}")
            record(server, f"files/{area}/{path}", reply)
    assert jobs_count(server) == before
    assert not server["bypasses"], server["bypasses"]


def test_state_changes_need_same_origin_and_the_token(server: dict) -> None:
    base, openapi = server["base"], server["client"].get("/openapi.json").json()
    routes = [(method.upper(), path.replace("{job_id}", "web-x"))
              for path, ops in openapi["paths"].items() for method in ops
              if method in ("post", "put", "patch", "delete")]  # fmt: skip
    assert len(routes) >= 8
    token = {"X-Reelrag-CSRF": server["csrf"]}
    forged = [({"Origin": EVIL}, "foreign origin"), ({}, "no token"),
              ({"Origin": EVIL, **token}, "token + foreign origin"),
              ({"Referer": f"{EVIL}/page", **token}, "token + foreign referer"),
              ({"Origin": "null", **token}, "opaque origin"),
              ({"Cookie": f"reelrag_token={server['csrf']}"}, "cookie only")]  # fmt: skip
    with httpx.Client(base_url=base, timeout=60) as bare:
        for method, path in routes:
            for headers, why in forged:
                files = {"file": ("a.png", b"x")} if path.endswith(("uploads", "batch")) else None
                reply = bare.request(method, path, headers=headers, files=files)
                record(server, f"{method} {path} ({why})", reply)
                assert reply.status_code == 403, (method, path, why)
        own = bare.post("/api/search", json={"query": "car"},
                        headers={"Origin": base, **token})  # fmt: skip
        record(server, "own origin search", own, allowed=True)
        assert own.status_code == 200
    assert not server["bypasses"], server["bypasses"]


def test_host_names_other_than_this_server_are_refused(server: dict) -> None:
    port = server["port"]
    with httpx.Client(timeout=10) as client:
        for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.nip.io", "localhost.evil"):
            for path in ("/api/assets", "/", "/static/app.js"):
                reply = client.get(f"{server['base']}{path}", headers={"Host": host})
                record(server, f"Host {host} {path}", reply)
                assert reply.status_code == 421
        for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
            ok = client.get(f"{server['base']}/api/assets", headers={"Host": host})
            record(server, f"Host {host}", ok, allowed=True)
            assert ok.status_code == 200


def test_bodies_over_the_limit_stop_at_the_limit_even_when_chunked(server: dict) -> None:
    port, limit = server["port"], JSON_MB * 1_000_000
    headers = {"X-Reelrag-CSRF": server["csrf"], "Content-Type": "application/json"}
    endless = (b" " * 65536 for _ in range(10_000))  # 650 MB if it were all read
    status, sent = chunked_post(port, "/api/search", headers, endless, 40 * limit)
    # the reply comes while the client is still sending (loopback socket buffers hold a few MB)
    assert status == 413 and sent < limit + SOCKET_SLACK, (status, sent)
    boundary = "b0undary"
    form = {**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            "filename=\"big.png\"\r\nContent-Type: image/png\r\n\r\n").encode()  # fmt: skip
    upload = iter([head, *(b"\0" * 65536 for _ in range(10_000))])
    status, sent = chunked_post(port, "/api/uploads", form, upload, 40 * UPLOAD_MB * 10**6)
    assert status == 413 and sent < UPLOAD_MB * 10**6 + SOCKET_SLACK, (status, sent)
    head = (f"POST /api/search HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: "
            f"{50 * limit}\r\nX-Reelrag-CSRF: {server['csrf']}\r\n")  # fmt: skip
    started = time.monotonic()
    assert raw_request(port, head, b"{") == 413 and time.monotonic() - started < 2


def bomb_yaml() -> bytes:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    return ("\n".join(lines) + "\n").encode()


def png_header_bomb(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * (width + 1) * 4, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def deep_yaml_mapping(depth: int) -> bytes:
    return b"".join(b"  " * i + b"k:\n" for i in range(depth)) + b"  " * depth + b"v\n"


def test_bombs_and_deep_nesting_are_one_line_4xx(server: dict) -> None:
    client = server["client"]
    files = {"alias bomb.yaml": bomb_yaml(), "deep.yaml": b"[" * 20_000 + b"]" * 20_000,
             "deep.json": b"[" * 100_000 + b"]" * 100_000,
             "deep.jsonl": b'{"prompt": ' + b"[" * 50_000 + b"]" * 50_000 + b"}\n",
             "deepmap.yaml": deep_yaml_mapping(3000)}  # fmt: skip
    for name, data in files.items():
        started = time.monotonic()
        reply = client.post("/api/batch", files={"file": (name, data)})
        record(server, f"batch {name}", reply)
        assert 400 <= reply.status_code < 500 and time.monotonic() - started < 10, name
    deep = b'{"query": "car", "filters": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    reply = client.post("/api/search", content=deep, headers={"Content-Type": "application/json"})
    record(server, "deep JSON body", reply)
    mask = "data:image/png;base64," + __import__("base64").b64encode(
        png_header_bomb(20_000, 20_000)).decode()  # fmt: skip
    asset = client.get("/api/assets").json()["assets"][0]["id"]
    reply = client.post("/api/inpaint", json={"asset_id": asset, "mask_png": mask})
    record(server, "20000x20000 mask", reply)
    assert reply.status_code == 413
    for value in ("²", "-1", "1e3", "x" * 100, "99999999999999999999999"):
        headers = {"Last-Event-ID": value.encode()}
        with client.stream("GET", "/api/events", headers=headers) as events:
            events.read()
            record(server, f"Last-Event-ID {value}", events)
            assert events.status_code == 400, value


def test_slow_and_stuck_clients_do_not_starve_the_server(server: dict) -> None:
    port, client = server["port"], server["client"]
    stuck = [slow_client(port, i) for i in range(45)]
    try:
        with ThreadPoolExecutor(10) as pool:  # and ten heavy searches at the same time
            heavy = [pool.submit(client.post, "/api/search",
                                 json={"query": f"car {i}", "limit": 200, "diversity": 0.7})
                     for i in range(10)]  # fmt: skip
            for path in ("/api/health", "/api/assets", "/static/app.js", "/"):
                started = time.monotonic()
                reply = httpx.get(server["base"] + path, timeout=5)
                assert reply.status_code == 200 and time.monotonic() - started < 3, path
            assert all(f.result().status_code == 200 for f in heavy)
    finally:
        for sock in stuck:
            sock.close()


def test_zz_no_5xx_and_the_server_is_alive_and_small(server: dict) -> None:
    errors = [(name, status) for name, status in server["statuses"] if status >= 500]
    assert not errors, errors
    assert not server["bypasses"]
    assert server["proc"].poll() is None
    assert server["client"].get("/api/health").status_code == 200
    assert rss_bytes(server["proc"].pid) < 1_000_000_000
    assert server["statuses"], "the probes ran"
