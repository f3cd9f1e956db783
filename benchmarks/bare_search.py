"""The competitor of ``bench_server.py``: the search a user would serve by hand, with nothing else.

A bare Starlette app on uvicorn with two routes, ``GET /api/health`` and ``POST /api/search``,
the latter calling ``Library.search`` in a worker thread and returning ``SearchResults.to_dict()``:
no request guard, no session or CSRF check, no body model, no asset views, no coverage line.
The same library, the same search and the same load generator as ``reelrag serve``, so the
ratio of the two is what ReelRAG's web layer costs.

    .venv/bin/python benchmarks/bare_search.py WORKSPACE PORT
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from reelrag.library import open_library
from reelrag.retrieval import SearchRequest


def app(workspace: Path) -> Starlette:
    library = open_library(workspace)

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    async def search(request: Request) -> JSONResponse:
        body = await request.json()
        ask = SearchRequest(query=body["query"], limit=int(body.get("limit", 12)))
        results = await anyio.to_thread.run_sync(library.search, ask)
        return JSONResponse(results.to_dict())

    routes = [Route("/api/health", health), Route("/api/search", search, methods=["POST"])]
    return Starlette(routes=routes)


if __name__ == "__main__":
    workspace, port = Path(sys.argv[1]), int(sys.argv[2])
    uvicorn.run(app(workspace), host="127.0.0.1", port=port, log_level="warning")
