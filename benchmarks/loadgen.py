"""The traffic of ``bench_server.py`` and a cheap load generator that sends it.

The generator is one process (not the benchmark's own) running ``clients`` asyncio tasks, each
with one keep-alive HTTP/1.1 connection over a raw socket: a request is written in one call and
its reply read up to ``Content-Length``, so the clients spend ~0.3 CPU-ms per request where
threads driving ``httpx`` spent several, CPU that the server needs on a 2-core machine. Every
request is timed from just before it is written to the last byte of its reply; a reply of 400 or
more, a broken connection or a reply without ``Content-Length`` is an error (the connection is
then opened again). No reply is reused: every search text is new.

    python benchmarks/loadgen.py '{"port": 8000, "clients": 20, "seconds": 15, "traffic": "search"}'

prints one JSON object: ``latencies_s``, ``errors``, ``wall_s`` and ``cpu_s`` (the generator's
own user + system CPU time while it ran).
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections.abc import Callable

WORDS = (  # noqa: SIM905
    "red blue green shoe beach cat dog sky city night snow mountain lake car tree flower "
         "boat bridge street market coffee bicycle forest desert river sunset").split()  # fmt: skip

Request = tuple[str, str, dict[str, object]]


def search_request(rng: random.Random) -> Request:
    query = " ".join(rng.sample(WORDS, 2)) + f" {rng.randrange(10_000)}"  # always a new text
    return "POST", "/api/search", {"query": query, "limit": 12}


def assets_request(rng: random.Random) -> Request:
    params = rng.choice(["", "&folder=f3", "&tag=cat", "&text=red", "&orientation=square"])
    return "GET", f"/api/assets?limit=60&offset={rng.randrange(0, 5000)}{params}", {}


def mixed_request(rng: random.Random) -> Request:
    roll = rng.random()
    if roll < 0.4:
        return search_request(rng)
    if roll < 0.8:
        return assets_request(rng)
    if roll < 0.9:
        return "GET", "/api/health", {}
    return "GET", "/api/jobs?limit=50", {}


TRAFFIC: dict[str, Callable[[random.Random], Request]] = {
    "search": search_request, "assets": assets_request, "mixed": mixed_request,
}  # fmt: skip


class ReplyError(Exception):
    """A reply that is not a complete, successful HTTP/1.1 response."""


def encode(method: str, path: str, body: dict[str, object], headers: str) -> bytes:
    """One HTTP/1.1 request; ``headers`` are the fixed lines (Host, CSRF), CRLF-terminated."""
    data = json.dumps(body).encode() if body else b""
    extra = f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n" if data else ""
    return f"{method} {path} HTTP/1.1\r\n{headers}{extra}\r\n".encode() + data


async def read_reply(reader: asyncio.StreamReader) -> int:
    """Read one whole reply; return its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if length is None:
        raise ReplyError("a reply without Content-Length")
    await reader.readexactly(length)
    return status


async def client(
    port: int, headers: str, pick: Callable[[random.Random], Request], seed: int, stop: float,
    latencies: list[float], errors: list[int],
) -> None:  # fmt: skip
    """Send requests one after another on one connection until ``stop``."""
    rng = random.Random(seed)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.monotonic() < stop:
            data = encode(*pick(rng), headers)
            started = time.perf_counter()
            try:
                writer.write(data)
                ok = await read_reply(reader) < 400
            except (OSError, ValueError, IndexError, ReplyError, asyncio.IncompleteReadError):
                ok = False
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            latencies.append(time.perf_counter() - started)
            errors[0] += 0 if ok else 1
    finally:
        writer.close()


async def drive(port: int, clients: int, seconds: float, traffic: str, csrf: str) -> dict:
    headers = f"Host: 127.0.0.1:{port}\r\nX-Reelrag-CSRF: {csrf}\r\n"
    latencies: list[float] = []
    errors = [0]
    stop = time.monotonic() + seconds
    started, cpu = time.perf_counter(), time.process_time()
    tasks = [client(port, headers, TRAFFIC[traffic], i, stop, latencies, errors)
             for i in range(clients)]  # fmt: skip
    await asyncio.gather(*tasks)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"latencies_s": latencies, "errors": errors[0], "wall_s": wall, "cpu_s": cpu}


def main() -> None:
    args = json.loads(sys.argv[1])
    result = asyncio.run(
        drive(args["port"], args["clients"], args["seconds"], args["traffic"], args.get("csrf", ""))
    )
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
