"""A storyboard from a brief (``reelrag reel --brief``), grounded in the library (``aws`` extra).

A Bedrock Converse model (``bedrock_storyboard_model``, else ``bedrock_caption_model``) gets the
brief and the captions of the candidate photos retrieval finds for it (plus, in a small library,
every photo), and answers with shots that may only use those photos, by id. Each proposed shot is
then re-checked against the library's match rule: its ``object`` phrase must retrieve the photo
it names with a score over ``min_score``. Shots that fail are dropped and reported, never kept on
the model's word. The result is YAML for the user to read and edit; nothing is rendered here.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import yaml

from reelrag.errors import BackendError, InputError
from reelrag.reel.storyboard import TRANSITIONS, parse_storyboard
from reelrag.settings import Settings
from reelrag.types import SearchHit, SearchRequest

log = logging.getLogger(__name__)

__all__ = ["BriefResult", "storyboard_from_brief"]

MAX_CANDIDATES = 40
MAX_TOKENS = 2000
SHOT_FIELDS = ("object", "action", "duration", "title", "lower_third", "voiceover", "transition")
INSTRUCTIONS = """You write storyboards for short videos made ONLY from the photos listed below.
Brief: {brief}
Aim for about {duration:g} seconds in about {shots} shots of 2 to 8 seconds each.
Photos (id: caption):
{photos}
Answer with JSON only, no prose: {{"title": "...", "shots": [{{"asset": "<photo id from the
list>", "object": "<a short phrase naming what the photo shows>", "action": "<camera move,
e.g. camera pans left slowly>", "duration": <seconds>, "title": "<optional on-screen title>",
"lower_third": "<optional>", "voiceover": "<optional spoken line, at most 12 words>",
"transition": "cut|crossfade|dip-to-black|slide"}}]}}. Never invent photos; use an id at most
once; if no photo fits the brief, answer {{"title": "", "shots": []}}."""


@dataclass(frozen=True)
class BriefResult:
    """The storyboard (a plain mapping, ready to dump as YAML), and the shots dropped, why."""

    storyboard: dict[str, Any]
    dropped: tuple[str, ...]
    model: str
    objects: tuple[str, ...] = ()  # what each kept shot's photo shows (checked by retrieval)

    def yaml(self) -> str:
        notes = [f"# storyboard written by {self.model} from a brief; every shot re-checked"]
        notes += [f"# shot {i}: {text}" for i, text in enumerate(self.objects, start=1)]
        notes += [f"# dropped: {line}" for line in self.dropped]
        body = yaml.safe_dump(self.storyboard, sort_keys=False, allow_unicode=True, width=100)
        return "\n".join(notes) + "\n" + body


def storyboard_from_brief(
    brief: str,
    settings: Settings,
    *,
    library: Any,
    client: Any = None,
    shots: int = 6,
    duration_s: float = 30.0,
) -> BriefResult:
    """Ask the model for a storyboard over the library's candidates and check every shot."""
    if not brief.strip():
        raise InputError("the brief is empty", hint='e.g. --brief "a 30-second ad for our resort"')
    candidates = _candidates(brief, library)
    if not candidates:
        raise InputError(
            "the library has no photos to build a storyboard from",
            hint="run `reelrag ingest PATH` first",
        )
    model = settings.bedrock_storyboard_model or settings.bedrock_caption_model
    prompt = INSTRUCTIONS.format(
        brief=" ".join(brief.split()), duration=duration_s, shots=shots, photos=_listing(candidates)
    )
    answer = _ask(client or _client(settings), model, prompt)
    proposal = _parse(answer)
    kept, dropped = _checked(proposal.get("shots") or [], candidates, library, settings)
    if not kept:
        raise InputError(
            "no proposed shot passed the match rule: " + "; ".join(dropped),
            hint="rephrase the brief or ingest photos that fit it",
        )
    board = {"title": str(proposal.get("title") or brief)[:120], "shots": kept}
    parse_storyboard(board, source="the proposed storyboard")  # it must load as written
    objects = tuple(
        str(p.get("object"))
        for p in proposal.get("shots") or []
        if isinstance(p, dict) and _kept_asset(p, kept)
    )
    return BriefResult(board, tuple(dropped), model, objects)


def _kept_asset(shot: dict[str, Any], kept: list[dict[str, Any]]) -> bool:
    ref = str(shot.get("asset") or "")
    return bool(ref) and any(k["asset"].startswith(ref) or ref.startswith(k["asset"]) for k in kept)


def _candidates(brief: str, library: Any) -> dict[str, str]:
    """asset id -> caption: retrieval's hits for the brief, then the rest of a small library."""
    found = library.search(SearchRequest(query=brief, limit=MAX_CANDIDATES, min_score=0.0))
    out = {h.asset.id: h.asset.caption for h in found}
    for asset in library.assets(limit=MAX_CANDIDATES):
        if len(out) >= MAX_CANDIDATES:
            break
        out.setdefault(asset.id, asset.caption)
    return out


def _listing(candidates: dict[str, str]) -> str:
    return "\n".join(
        f"{aid[:12]}: {caption or '(no caption)'}" for aid, caption in candidates.items()
    )


def _client(settings: Settings) -> Any:
    from reelrag.aws.clients import make_client

    return make_client("bedrock-runtime", settings)


def _ask(client: Any, model: str, prompt: str) -> str:
    from reelrag.aws.clients import aws_errors, region_of
    from reelrag.captioning.bedrock import answer_text

    with aws_errors(
        "bedrock:InvokeModel", resource=f"model {model}", model=model, region=region_of(client)
    ):
        response = client.converse(
            modelId=model,
            messages=[{"role": "user", "content": [{"text": prompt}]}],
            inferenceConfig={"maxTokens": MAX_TOKENS, "temperature": 0.4},
        )
    return answer_text(response)


def _parse(answer: str) -> dict[str, Any]:
    """The JSON object in the answer (code fences and prose around it tolerated)."""
    match = re.search(r"\{.*\}", answer, re.DOTALL)
    try:
        data = json.loads(match.group(0)) if match else None
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise BackendError(
            f"the model's storyboard is not JSON: {answer[:120]!r}",
            hint="try again; a different model may follow the format better",
        )
    return data


def _checked(
    proposed: list[Any], candidates: dict[str, str], library: Any, settings: Settings
) -> tuple[list[dict[str, Any]], list[str]]:
    kept: list[dict[str, Any]] = []
    dropped: list[str] = []
    used: set[str] = set()
    for number, shot in enumerate(proposed, start=1):
        reason, asset_id = _check_one(shot, candidates, library, settings, used)
        if reason:
            dropped.append(f"shot {number}: {reason}")
            continue
        used.add(asset_id)
        kept.append(_clean(shot, asset_id))
    return kept, dropped


def _check_one(
    shot: Any, candidates: dict[str, str], library: Any, settings: Settings, used: set[str]
) -> tuple[str, str]:
    if not isinstance(shot, dict):
        return "not a mapping", ""
    ref, phrase = str(shot.get("asset") or ""), str(shot.get("object") or "").strip()
    matches = [aid for aid in candidates if ref and aid.startswith(ref)]
    if len(matches) != 1:
        return f"photo {ref!r} is not one of the candidates", ""
    if matches[0] in used:
        return f"photo {ref} is used twice", ""
    if not phrase:
        return "no object phrase to check the photo against", ""
    request = SearchRequest(query=phrase, limit=settings.search_limit, min_score=settings.min_score)
    hits: list[SearchHit] = [h for h in library.search(request) if h.score >= settings.min_score]
    if matches[0] not in {h.asset.id for h in hits}:
        return (
            f"{phrase!r} does not retrieve photo {ref} (min_score {settings.min_score:.2f})",
            "",
        )
    return "", matches[0]


def _clean(shot: dict[str, Any], asset_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {"asset": asset_id[:16]}
    for key in SHOT_FIELDS[1:]:
        value = shot.get(key)
        if value in (None, ""):
            continue
        if key == "duration":
            value = min(8.0, max(2.0, float(value)))  # the bounds the prompt asked for
        if key == "transition" and str(value).replace("-to-black", "") not in (*TRANSITIONS, "dip"):
            value = "cut"
        out[key] = value
    out.setdefault("action", "camera zooms in slowly")
    out.setdefault("duration", 4.0)
    return out
