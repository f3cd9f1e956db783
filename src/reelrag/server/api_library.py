"""API: the library (browse, filter, show, thumbnails, images), hybrid search, and uploads."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from reelrag import __version__
from reelrag.errors import NotFoundError
from reelrag.library.catalog import BrowseFilters
from reelrag.media.decode import EXTENSIONS
from reelrag.server.files import IMMUTABLE, send_bytes, send_file
from reelrag.server.security import (
    IMAGE_SUFFIXES,
    check_asset_id,
    decode_upload,
    max_upload_bytes,
    read_upload,
)
from reelrag.server.state import ServerState, get_state
from reelrag.storage import atomic_write_bytes
from reelrag.types import Asset, SearchFilters, SearchRequest

router = APIRouter(tags=["library"])
State = Annotated[ServerState, Depends(get_state)]
UPLOADS = "uploads"  # workspace folder of uploaded images (never the user's own files)


def asset_view(asset: Asset) -> dict[str, Any]:
    """An asset as the API shows it: its fields plus the URLs of its pictures."""
    return {**asset.to_dict(), "orientation": asset.orientation,
            "thumbnail_url": f"/api/assets/{asset.id}/thumbnail",
            "image_url": f"/api/assets/{asset.id}/image"}  # fmt: skip


@router.get("/health")
def health(state: State) -> dict[str, Any]:
    """Version, workspace and whether a token is required."""
    return {"ok": True, "version": __version__, "workspace": str(state.settings.workspace),
            "token_required": state.token is not None}  # fmt: skip


@router.get("/info")
def info(state: State) -> dict[str, Any]:
    """Library facts: counts, embedder, index."""
    return state.library().info()


@router.get("/assets", response_model=dict[str, Any])
def list_assets(
    state: State,
    limit: Annotated[int, Query(ge=1, le=500)] = 60,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    folder: Annotated[str | None, Query(max_length=500)] = None,
    tag: Annotated[str | None, Query(max_length=200)] = None,
    orientation: Literal["landscape", "portrait", "square"] | None = None,
    text: Annotated[str | None, Query(max_length=500, description="words in the caption")] = None,
) -> JSONResponse:
    """Assets in ingest order, filtered, with folder and tag facets for the filter menus."""
    library = state.library()
    filters = BrowseFilters(folder=folder, tag=tag, orientation=orientation, text=text)
    total, page = library.browse(filters, limit, offset)
    coverage = library.coverage()
    body = {"total": total, "offset": offset, "assets": [asset_view(a) for a in page],
            "coverage": {**coverage.to_dict(), "summary": coverage.summary(),
                         "warning": coverage.warning()},
            **state.facets()}  # fmt: skip
    return JSONResponse(body)


@router.get("/assets/{asset_id}")
def get_asset(asset_id: str, state: State) -> dict[str, Any]:
    """One asset (an id prefix works) with the files it was ingested from."""
    library = state.library()
    asset = library.get(check_asset_id(asset_id))
    return {**asset_view(asset), "sources": library.sources(asset.id)}


@router.get("/assets/{asset_id}/thumbnail", response_class=Response)
def thumbnail(asset_id: str, request: Request, state: State) -> Response:
    """The JPEG thumbnail (cached: the URL names content by hash)."""
    return _picture(asset_id, request, state, "thumbnail_key")


@router.get("/assets/{asset_id}/image", response_class=Response)
def image(asset_id: str, request: Request, state: State) -> Response:
    """The normalised upright copy (range requests and ETag supported)."""
    return _picture(asset_id, request, state, "normalized_key")


def _picture(asset_id: str, request: Request, state: State, which: str) -> Response:
    library = state.library()
    asset = library.get(check_asset_id(asset_id))
    key = str(getattr(asset, which))
    if not key:
        raise NotFoundError(f"asset {asset.id[:12]} has no {which.split('_')[0]}")
    path = library.store.local_path(key)
    if path is not None:
        return send_file(request, path, cache=IMMUTABLE)
    media = "image/jpeg" if key.endswith((".jpg", ".jpeg")) else "application/octet-stream"
    return send_bytes(request, library.store.get_bytes(key), media, key)


class FiltersBody(BaseModel):
    orientation: Literal["landscape", "portrait", "square"] | None = None
    min_width: int | None = Field(None, ge=0, le=1_000_000)
    min_height: int | None = Field(None, ge=0, le=1_000_000)
    folder: str | None = Field(None, min_length=1, max_length=500, pattern=r"\S")
    tag: str | None = Field(None, min_length=1, max_length=200, pattern=r"\S")


class SearchBody(BaseModel):
    """The same hybrid search as ``reelrag search``."""

    query: str = Field(min_length=1, max_length=2000, pattern=r"\S")
    limit: int = Field(12, ge=1, le=200)
    min_score: float | None = Field(None, ge=0.0, le=1.0)
    mode: Literal["hybrid", "vector", "text"] = "hybrid"
    diversity: float = Field(0.0, ge=0.0, le=1.0)
    filters: FiltersBody | None = None


SEARCH_SLOTS = 3  # searches computed at once; more only contend for the GIL and the cores
# The two busiest routes return their JSON themselves: plain dicts of JSON values, so FastAPI's
# validation against the return type and its jsonable_encoder walk (~2 ms for a page of 60
# assets, 10x the encoding itself) add nothing; ``response_model`` keeps the OpenAPI schema.


@router.post("/search", tags=["search"], response_model=dict[str, Any])
async def search(body: SearchBody, state: State) -> JSONResponse:
    """Ranked hits with fused, vector and keyword scores and why each matched."""
    if state.search_limiter is None:  # made inside the event loop (anyio needs one)
        state.search_limiter = anyio.CapacityLimiter(SEARCH_SLOTS)
    data = await anyio.to_thread.run_sync(_search, body, state, limiter=state.search_limiter)
    return JSONResponse(data)


def _search(body: SearchBody, state: ServerState) -> dict[str, Any]:
    filters = SearchFilters(**(body.filters.model_dump() if body.filters else {}))
    request = SearchRequest(
        query=body.query, limit=body.limit, min_score=body.min_score, mode=body.mode,
        diversity=body.diversity, filters=filters,
    )  # fmt: skip
    library = state.library()
    results = library.search(request)
    data: dict[str, Any] = results.to_dict()
    for hit in [*data["hits"], *data["rejected"], *([data["nearest"]] if data["nearest"] else [])]:
        hit["asset"] = asset_view(Asset.from_dict(hit["asset"]))
    data["coverage_warning"] = library.coverage_warning() if results.no_match else None
    state.settle()
    return data


@router.post("/uploads", status_code=201)
async def upload_image(
    state: State,
    file: Annotated[UploadFile, File(description="An image (JPEG, PNG, WebP, TIFF, HEIC...)")],
    ingest: Annotated[bool, Form(description="Also add it to the library.")] = False,
) -> dict[str, Any]:
    """Store an image in the workspace (decoded exactly as ingest does) for generation or
    in-painting; ``ingest`` also adds it to the library."""
    settings = state.settings
    data = await read_upload(file, max_upload_bytes(settings), IMAGE_SUFFIXES)
    decoded = await run_in_threadpool(decode_upload, data, file.filename or "upload", settings)
    name = f"{upload_stem(file.filename, data)}.{EXTENSIONS.get(decoded.format, 'img')}"
    target = settings.workspace / UPLOADS / name
    if not target.is_file():
        atomic_write_bytes(target, data)
    out: dict[str, Any] = {"image": f"{UPLOADS}/{name}", "width": decoded.width,
                           "height": decoded.height, "format": decoded.format,
                           "notes": decoded.notes}  # fmt: skip
    if ingest:
        report = await run_in_threadpool(state.library().ingest, target)
        out["ingest"] = report.to_dict()
        out["asset_id"] = hashlib.sha256(data).hexdigest()
    return out


def upload_stem(filename: str | None, data: bytes) -> str:
    """A safe file stem: a content hash (same bytes, same file) plus the upload's own name,
    which ingest turns into a caption.

    >>> upload_stem("../My Shoes!.jpg", b"x")[13:]
    'My-Shoes'
    """
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(filename or "upload").stem).strip("-")[:60]
    return f"{hashlib.sha256(data).hexdigest()[:12]}-{stem or 'upload'}"
