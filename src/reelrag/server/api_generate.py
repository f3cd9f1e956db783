"""API: generator backends, cost/time estimates, and queuing generation jobs and batches.

``POST /api/generate`` validates the request, retrieves the image for an object text at once (so
the reply names the chosen image and a "no good match" is an immediate error), writes a durable
job and returns its id: the worker thread renders it, and the client follows it via the jobs API.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from reelrag.batch import BatchRow, plan_batch, queue, read_prompt_file
from reelrag.errors import InputError, ReelragError
from reelrag.generation.base import Generator, resolve_request
from reelrag.pipeline import CONTROL_KEYS, build_request
from reelrag.plugins import registry
from reelrag.retrieval import best_matches
from reelrag.server.api_library import asset_view
from reelrag.server.security import (
    PROMPT_SUFFIXES,
    check_asset_id,
    max_upload_bytes,
    read_upload,
    request_file,
)
from reelrag.server.state import ServerState, get_state
from reelrag.types import Asset, GeneratePayload, GenerationRequest, Job, SearchHit

router = APIRouter(tags=["generate"])
State = Annotated[ServerState, Depends(get_state)]
Speed = Literal["very-slow", "slow", "medium", "fast", "very-fast"]
Easing = Literal["ease-in-out", "linear", "ease-in", "ease-out"]


class GenerateBody(BaseModel):
    """One video: an image (asset, workspace file, or retrieved for ``object``) + a prompt."""

    prompt: str = Field(min_length=1, max_length=4000, pattern=r"\S", description="action/camera")
    asset_id: str | None = Field(None, min_length=4, max_length=64, pattern=r"^[0-9a-fA-F]+$")
    image: str | None = Field(None, min_length=1, max_length=1000, description="workspace path")
    object: str | None = Field(None, min_length=1, max_length=2000, pattern=r"\S")
    min_score: float | None = Field(None, ge=0.0, le=1.0, description="match threshold")
    backend: str | None = Field(None, min_length=1, max_length=100)
    duration_s: float | None = Field(None, gt=0, le=600)
    fps: int | None = Field(None, ge=1, le=120)
    width: int | None = Field(None, ge=16, le=8192)
    height: int | None = Field(None, ge=16, le=8192)
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    move: str | None = Field(None, min_length=1, max_length=200)
    speed: Speed | None = None
    easing: Easing | None = None
    atmosphere: str | None = Field(None, min_length=1, max_length=40)
    fit: Literal["cover", "crop", "auto", "pad", "blur", "extend"] | None = None
    focus: str | None = Field(None, min_length=3, max_length=80, pattern=r"^[0-9., ]+$")
    qa_retry: int | None = Field(None, ge=0, le=5)


def backend_view(name: str, generator: Generator | None, error: str | None) -> dict[str, Any]:
    caps = generator.capabilities if generator is not None else None
    return {"name": name, "available": generator is not None, "error": error,
            "model": getattr(generator, "model", ""),
            "capabilities": caps.__dict__ if caps else None}  # fmt: skip


@router.get("/backends")
def backends(state: State) -> dict[str, Any]:
    """Generator backends, whether each can run here, and what each accepts."""
    out = []
    for name in registry.names("generator"):
        try:
            out.append(backend_view(name, _generator(state, name), None))
        except ReelragError as err:
            out.append(backend_view(name, None, str(err)))
    return {"default": state.settings.generator, "backends": out}


def _generator(state: ServerState, name: str) -> Generator:
    generator: Generator = registry.create("generator", name, state.settings)
    return generator


@router.post("/estimate")
def estimate(body: GenerateBody, state: State) -> dict[str, Any]:
    """Validate a request against its backend and estimate cost (USD) and time (s); no work."""
    request = _request(body, state)
    generator = _generator(state, request.backend or state.settings.generator)
    wants_image = bool(request.image or request.asset_id or body.object)
    probe = request.replace(image="probe" if wants_image else None, asset_id=None)
    resolved = resolve_request(probe, generator.capabilities, request.seed or 0, state.settings)
    return {"backend": generator.name, "model": generator.model,
            "cost_usd": round(generator.estimate_cost_usd(resolved), 4),
            "time_s": round(generator.estimate_time_s(resolved), 2),
            "width": resolved.width, "height": resolved.height, "fps": resolved.fps,
            "duration_s": resolved.duration_s, "frames": resolved.frames,
            "adjustments": list(resolved.adjustments)}  # fmt: skip


@router.post("/generate", status_code=202)
def generate(body: GenerateBody, state: State) -> dict[str, Any]:
    """Queue one generation job and return its id at once (follow it at /api/jobs/{id})."""
    request = _request(body, state)
    estimate(body, state)  # refuse what the backend cannot do before queuing
    hit = (
        _retrieve(state, body.object, body.min_score)
        if body.object and not request.asset_id
        else None
    )
    if hit is not None:
        request = request.replace(asset_id=hit.asset.id)
    payload = GeneratePayload(request, object=body.object, query=body.object, hit=hit, origin="web")
    job = Job(id=f"web-{uuid.uuid4().hex[:12]}", kind="generate", payload=payload.to_dict())
    state.store.add(job)
    return {"job_id": job.id, "job": state.store.get(job.id).to_dict(),
            "hit": hit.to_dict() if hit else None}  # fmt: skip


def _request(body: GenerateBody, state: ServerState) -> GenerationRequest:
    image = None
    if body.image:
        image = str(request_file(state.settings, body.image, what="image"))
    controls = {key: getattr(body, key) for key in CONTROL_KEYS}
    return build_request(
        body.prompt, image=image, object_query=body.object, controls=controls,
        asset_id=check_asset_id(body.asset_id) if body.asset_id else None,
        width=body.width, height=body.height, duration_s=body.duration_s, fps=body.fps,
        seed=body.seed, backend=body.backend,
    )  # fmt: skip


def _retrieve(state: ServerState, query: str, min_score: float | None = None) -> SearchHit:
    return best_matches(state.library(), query, state.settings, min_score=min_score)[0]


@router.post("/batch", status_code=202)
async def batch(
    state: State,
    file: Annotated[UploadFile, File(description="Templates, CSV, JSONL, JSON or YAML rows")],
    object: Annotated[str | None, Form(max_length=2000)] = None,
    action: Annotated[str | None, Form(max_length=2000)] = None,
    backend: Annotated[str | None, Form(max_length=100)] = None,
    budget_usd: Annotated[float | None, Form(ge=0)] = None,
    min_score: Annotated[float | None, Form(ge=0, le=1)] = None,
    distinct: Annotated[bool, Form()] = False,
    dry_run: Annotated[bool, Form()] = False,
) -> dict[str, Any]:
    """Plan an uploaded prompts file (retrieval, validation, estimate) and queue its jobs;
    ``dry_run`` only returns the plan. The same file gives the same batch id (resumable)."""
    data = await read_upload(file, max_upload_bytes(state.settings), PROMPT_SUFFIXES)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(file.filename or "prompts.txt").name)
    options = {"object": object or None, "action": action or None, "backend": backend or None,
               "budget": budget_usd, "distinct": distinct, "dry_run": dry_run,
               "min_score": min_score}  # fmt: skip
    return await run_in_threadpool(_plan_and_queue, state, data, name, options)


def _plan_and_queue(
    state: ServerState, data: bytes, name: str, options: dict[str, Any]
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="reelrag-batch-") as folder:
        path = Path(folder) / name  # the user's file name, so errors name their file
        path.write_bytes(data)
        rows = read_prompt_file(path, object_text=options["object"], action_text=options["action"])
    rows = [_guard_row(row, state) for row in rows]
    needs_library = any(not (r.image or r.asset_id) for r in rows)
    settings = state.settings
    if options["min_score"] is not None:
        settings = dataclasses.replace(settings, min_score=options["min_score"])
    plan = plan_batch(
        rows, settings=settings, backend=options["backend"], distinct=options["distinct"],
        library=state.library() if needs_library else None, budget_usd=options["budget"],
    )  # fmt: skip
    out: dict[str, Any] = {
        "batch_id": plan.batch_id,
        "plan": plan.to_dict(),
        "dry_run": options["dry_run"],
        "jobs_added": 0,
    }
    for row in out["plan"]["rows"]:  # the photo each row animates, with its picture's URLs
        if row.get("hit"):
            row["hit"]["asset"] = asset_view(Asset.from_dict(row["hit"]["asset"]))
    if options["dry_run"]:  # nothing is queued: say what each row would do
        for row in out["plan"]["rows"]:
            row["state"] = "planned" if row["state"] == "queued" else row["state"]
    else:
        out["jobs_added"] = len(queue(plan, state.store))
    return out


def _guard_row(row: BatchRow, state: ServerState) -> BatchRow:
    """Rows of an uploaded file may name only workspace images and plain output names."""
    if row.output is not None and (
        not row.output.strip() or row.output in (".", "..") or any(c in row.output for c in "/\\:")
    ):
        raise InputError(f"line {row.line}: output {row.output!r} must be a plain name")
    if row.image:
        where = f"line {row.line}: image"
        row = row.replace(image=str(request_file(state.settings, row.image, what=where)))
    if row.edit is not None:
        row = row.replace(edit=_guard_edit(row.edit, row.line, state))
    return row


def _guard_edit(plan: dict[str, Any], line: int, state: ServerState) -> dict[str, Any]:
    """The row's edit plan with its mask and polygon files passed through the same guard."""
    from reelrag.editing.step import EditPlan  # only rows with an edit step

    parsed = EditPlan.parse(plan)
    spec = parsed.mask
    paths = {}
    for column in ("mask", "polygon"):
        value = getattr(spec, column)
        if value:
            where = f"line {line}: {column}"
            paths[column] = str(request_file(state.settings, value, what=where))
    return parsed.replace(mask=spec.replace(**paths)).to_dict()
