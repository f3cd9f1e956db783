"""API: the user's verdicts on matches (:mod:`reelrag.library.verdicts`): mark a photo right or
wrong for a query, list them, forget them. Search, batch plans and reels obey them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from reelrag.server.api_library import asset_view
from reelrag.server.state import ServerState, get_state

router = APIRouter(tags=["search"])
State = Annotated[ServerState, Depends(get_state)]


class VerdictBody(BaseModel):
    query: str = Field(min_length=1, max_length=500)
    asset_id: str = Field(min_length=1, max_length=64)
    verdict: Literal["right", "wrong"]


@router.post("/verdicts", status_code=201)
def judge(body: VerdictBody, state: State) -> dict[str, Any]:
    """Mark ``asset_id`` (or a unique prefix) right or wrong for ``query``."""
    asset = state.library().judge(body.query, body.asset_id, body.verdict)
    return {"query": body.query, "verdict": body.verdict, "asset": asset_view(asset)}


@router.get("/verdicts")
def list_verdicts(
    state: State, query: Annotated[str | None, Query(max_length=500)] = None
) -> dict[str, Any]:
    """The verdicts (on ``query`` only, if given), newest first."""
    return {"items": [row.__dict__ for row in state.library().verdicts.rows(query)]}


@router.delete("/verdicts")
def forget(
    state: State,
    query: Annotated[str, Query(min_length=1, max_length=500)],
    asset_id: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Forget the verdicts on ``query`` (only on ``asset_id``, if given)."""
    library = state.library()
    target = library.get(asset_id).id if asset_id else None
    return {"forgotten": library.verdicts.forget(query, target)}
