"""Helpers for probing a real ``reelrag serve`` process: start it, send raw (chunked, slow,
forged) HTTP requests over sockets, and read its memory use."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(workspace: Path, **env: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``reelrag serve`` on 127.0.0.1 (a free port) in a subprocess, stopped afterwards."""
    port = free_port()
    environ = {**os.environ, "REELRAG_WORKSPACE": str(workspace), "HF_HUB_OFFLINE": "1", **env}
    command = [sys.executable, "-c", "from reelrag.cli.main import run; run()", "serve",
               "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(command, env=environ, stdout=subprocess.DEVNULL)
    try:
        wait_until_up(port, proc)
        yield proc, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_until_up(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not start (exit code {proc.poll()})")


def rss_bytes(pid: int) -> int:
    """Resident memory of a process (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def status_of(reply: bytes) -> int:
    """The status code of a raw HTTP reply (0 when there was none)."""
    head = reply.split(b"\r\n", 1)[0].split()
    return int(head[1]) if len(head) > 1 and head[1].isdigit() else 0


def chunked_post(
    port: int, path: str, headers: dict[str, str], chunks: Iterator[bytes], max_bytes: int
) -> tuple[int, int]:
    """POST a chunked body (no Content-Length) chunk by chunk, stopping as soon as the server
    answers or drops the connection: (status, bytes of body sent)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{head}"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())  # fmt: skip
        sock.setblocking(False)
        reply = b""
        for chunk in chunks:
            reply += _drain(sock)
            if reply or sent > max_bytes:
                break
            try:
                reply += _send_all(sock, b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:  # reset or broken pipe: the server gave up on the body
                break
            sent += len(chunk)
        sock.setblocking(True)
        sock.settimeout(10)
        with suppress(OSError):
            reply += sock.recv(65536)
    return status_of(reply), sent


def raw_request(port: int, head: str, body: bytes = b"") -> int:
    """Send a request's head (and part of a body) and return the status of the reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode() + b"\r\n" + body)
        return status_of(sock.recv(65536))


def _drain(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except (BlockingIOError, InterruptedError):
        return b""
    except OSError:
        return b"closed"


def _send_all(sock: socket.socket, data: bytes) -> bytes:
    """Send ``data`` unless the server answers first (then return its reply)."""
    view, deadline = memoryview(data), time.monotonic() + 10
    while view:
        try:
            view = view[sock.send(view) :]
        except BlockingIOError:
            if reply := _drain(sock):
                return reply
            if time.monotonic() > deadline:
                raise OSError("the server stopped reading") from None
            time.sleep(0.005)
    return b""


def slow_client(port: int, kind: int) -> socket.socket:
    """A connection that stalls: half a request line, headers without their end, or a body
    that promises more bytes than it sends."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    host = f"Host: 127.0.0.1:{port}\r\n"
    stalls = [
        b"GET /api/assets HTT",
        f"GET /api/health HTTP/1.1\r\n{host}X-Slow: 1\r\n".encode(),
        f"POST /api/search HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
        'Content-Length: 5000\r\n\r\n{"query": "ca'.encode(),
    ]
    sock.sendall(stalls[kind % len(stalls)])
    return sock
