"""API: generated outputs (the gallery) and the workspace files the UI may fetch.

Only three workspace folders are served: ``outputs`` (videos, posters, manifests, edits),
``uploads`` (images uploaded through the app) and nothing else; every path is resolved and must
stay inside its folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from reelrag.errors import InputError, NotFoundError
from reelrag.gallery import GalleryItem, collect_items
from reelrag.server.files import send_file
from reelrag.server.security import inside
from reelrag.server.state import ServerState, get_state

router = APIRouter(tags=["outputs"])
State = Annotated[ServerState, Depends(get_state)]
SERVED = ("outputs", "uploads")


def served_roots(state: ServerState) -> dict[str, Path]:
    ws = state.settings.workspace
    return {"outputs": state.settings.outputs_dir, "uploads": ws / "uploads"}


def file_url(path: str | Path | None, roots: dict[str, Path]) -> str | None:
    """The ``/api/files/...`` URL of a file under a served folder; None for anything else."""
    if not path:
        return None
    target = Path(path).resolve()
    for area, root in roots.items():
        base = root.resolve()
        if base in target.parents:
            return f"/api/files/{area}/{target.relative_to(base).as_posix()}"
    return None


@router.get("/outputs")
def outputs(state: State) -> dict[str, Any]:
    """Finished videos, newest first, with prompt, source image, backend, seed and manifest."""
    folder = state.settings.outputs_dir
    items, problems = collect_items(folder) if folder.is_dir() else ([], [])
    roots = served_roots(state)
    return {"items": [_item(i, roots) for i in items], "problems": problems}


def _item(item: GalleryItem, roots: dict[str, Path]) -> dict[str, Any]:
    manifest = json.loads(item.manifest.read_text(encoding="utf-8"))
    return {"prompt": item.prompt, "backend": item.backend, "model": item.model,
            "seed": item.seed, "source": item.source, "score": item.score,
            "timings": item.timings, "created_at": item.created_at,
            "video_url": file_url(item.video, roots),
            "poster_url": file_url(item.poster, roots),
            "source_image_url": file_url(item.source_image, roots),
            "manifest_url": file_url(item.manifest, roots),
            "manifest": manifest}  # fmt: skip


@router.get("/files/{area}/{path:path}", response_class=Response)
def workspace_file(area: str, path: str, request: Request, state: State) -> Response:
    """A file under ``outputs`` or ``uploads`` (range requests, ETag)."""
    roots = served_roots(state)
    if area not in roots:
        raise NotFoundError(f"no file area {area!r}", hint=f"one of {', '.join(SERVED)}")
    target = inside(roots[area], path, what="file path")
    if target.name.startswith(".") or target.is_dir():
        raise InputError(f"{path!r} is not a servable file")
    return send_file(request, target)
