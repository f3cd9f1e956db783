"""File responses for images and videos: HTTP range requests (browsers seek in videos), ETags
and Cache-Control, so thumbnails and posters are fetched once."""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from fastapi import Request, Response
from fastapi.responses import FileResponse

from reelrag.errors import NotFoundError

IMMUTABLE = "public, max-age=31536000, immutable"  # content-addressed (asset id in the URL)
REVALIDATE = "private, max-age=0, must-revalidate"  # may change in place (outputs)


def file_etag(path: Path) -> str:
    stat = path.stat()
    digest = hashlib.sha256(f"{path}:{stat.st_mtime_ns}:{stat.st_size}".encode()).hexdigest()
    return f'"{digest[:32]}"'


def send_file(request: Request, path: Path | None, *, cache: str = REVALIDATE) -> Response:
    """``path`` with range support; 304 when the client's ETag still matches."""
    if path is None or not path.is_file():
        raise NotFoundError("file not found", hint="it may have been removed; reload the page")
    etag = file_etag(path)
    headers = {"ETag": etag, "Cache-Control": cache}
    if etag in _etags(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media, headers=headers)


def send_bytes(request: Request, data: bytes, media_type: str, key: str) -> Response:
    """Bytes from a remote store (no local file), with an ETag made from ``key``."""
    etag = f'"{hashlib.sha256(key.encode()).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE}
    if etag in _etags(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=media_type, headers=headers)


def _etags(header: str | None) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in (header or "").split(",") if tag.strip()}
