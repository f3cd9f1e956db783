"""API: reels from a storyboard (``POST /api/reels``).

The storyboard (YAML or JSON text) is parsed and its shots planned at once, so a bad storyboard
or a shot without a match is an immediate error; then the reel renders in the background (shot
jobs and the compose job in the shared job store, followed in the Jobs tab) and appears in the
gallery. Shots name library objects or assets only: file paths are refused (the web app reaches
only its workspace's assets).
"""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any, Literal

import yaml
from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from reelrag.errors import InputError, NoMatchError, ReelragError
from reelrag.reel import Storyboard, default_out, parse_storyboard, render_reel
from reelrag.reel.job import reel_paths
from reelrag.reel.shots import plan_shots
from reelrag.server.state import ServerState, get_state

log = logging.getLogger(__name__)

router = APIRouter(tags=["reel"])
State = Annotated[ServerState, Depends(get_state)]
Ratio = Literal["16:9", "9:16", "1:1"]


class ReelBody(BaseModel):
    """A storyboard (YAML or JSON text, see docs/reel.md) and reel-wide overrides."""

    storyboard: str = Field(min_length=1, max_length=200_000)
    aspect_ratios: list[Ratio] | None = Field(None, min_length=1, max_length=3)
    distinct: bool | None = None
    skip_missing: bool | None = None


def _board(body: ReelBody) -> Storyboard:
    try:
        data = yaml.safe_load(body.storyboard)
    except yaml.YAMLError as exc:
        raise InputError(
            f"the storyboard is not valid YAML or JSON: {exc}".splitlines()[0]
        ) from exc
    board = parse_storyboard(data, source="storyboard")
    files = [s.index for s in board.shots if s.image or s.voiceover_file]
    if files or board.music:
        raise InputError(
            "the web app takes shots with an object or asset only (no file paths or music)",
            hint="use `reelrag reel FILE` for photos, music and recorded voice-overs",
        )
    changes = {
        "aspect_ratios": tuple(body.aspect_ratios) if body.aspect_ratios else None,
        "distinct": body.distinct,
        "skip_missing": body.skip_missing,
    }
    return board.replace(**{k: v for k, v in changes.items() if v is not None})


@router.post("/reels", status_code=202)
async def start_reel(body: ReelBody, state: State) -> dict[str, Any]:
    """Plan the shots now (errors at once), then render the reel in the background."""
    board = _board(body)
    plan = await run_in_threadpool(plan_shots, board, state.settings, state.library())
    missing = [
        f"shot {p.row.line} ({p.query}): {p.reason}" for p in plan.rows if p.state != "queued"
    ]
    if missing and not board.skip_missing:
        raise NoMatchError(
            f"{len(missing)} of {len(plan.rows)} shots have no footage: " + "; ".join(missing),
            hint="rephrase them or tick 'skip missing'",
        )
    out = default_out(state.settings, board)
    threading.Thread(
        target=_render, args=(state, board, out), name="reelrag-reel", daemon=True
    ).start()
    return {
        "reel_id": board.reel_id,
        "shots": [
            {
                "shot": p.row.line,
                "state": p.state,
                "reason": p.reason,
                "caption": p.hit.asset.caption if p.hit else None,
            }
            for p in plan.rows
        ],
        "videos": [
            o.path.name for o in reel_paths(out, board.aspect_ratios, board.size_px).outputs
        ],
    }


def _render(state: ServerState, board: Storyboard, out: Any) -> None:
    try:
        render_reel(
            board,
            state.settings,
            out=out,
            library=state.library(),
            store=state.store,
            overwrite=True,
        )
    except ReelragError as err:  # shown on the jobs; the log keeps the reason too
        log.warning("reel %s failed: %s", board.reel_id, err)
