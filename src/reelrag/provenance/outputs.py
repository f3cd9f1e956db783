"""What each kind of output says about itself: clips, edited images and reels.

* a **clip** from a generative backend (Bedrock, diffusers) is ``c2pa.created`` as
  ``trainedAlgorithmicMedia`` with the photo as an ``inputTo`` ingredient; a clip from the
  camera renderer (a camera move over the real photo, no model) is ``c2pa.created`` as
  ``composite`` with the photo ``c2pa.placed`` as a ``componentOf`` ingredient; an in-painted
  photo adds ``c2pa.edited`` (``compositeWithTrainedAlgorithmicMedia`` for model editors) and
  the edited image as an ingredient;
* an **edited image** is ``c2pa.opened`` from its source photo (``parentOf``), then ``c2pa.edited``;
* a **reel** is ``c2pa.created`` as ``composite`` (``compositeWithTrainedAlgorithmicMedia`` when
  a shot or the voice is AI-made), its shot clips -- each carrying its own credentials, hence
  the chain down to the photos -- and audio files ``c2pa.placed``, then ``c2pa.transcoded``
  (re-encoded, reframed) and ``c2pa.edited`` (titles, subtitles, mix).

C2PA has no "composited" action: a composition is ``c2pa.created`` with a composite digital
source type plus one ``c2pa.placed`` per component.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reelrag.provenance.sign import (
    COMPOSITE,
    COMPOSITE_AI,
    TRAINED,
    Ingredient,
    sign_file,
    source_type,
)
from reelrag.settings import Settings

__all__ = ["NON_GENERATIVE", "TRAINED_EDITORS", "sign_clip", "sign_image", "sign_reel"]

NON_GENERATIVE = frozenset({"camera"})  # generators that draw no pixel with a trained model
TRAINED_EDITORS = frozenset({"bedrock", "diffusers"})  # opencv in-painting is not a model


def _agent(name: str, version: str = "") -> dict[str, Any]:
    return {"name": name, **({"version": version} if version else {})}


def _ids(listed: list[Ingredient], roles: tuple[str, ...]) -> list[str]:
    return [f"ingredient-{k + 1}" for k, i in enumerate(listed) if i.role in roles]


def sign_clip(
    video: Path,
    settings: Settings,
    *,
    backend: str,
    model: str,
    photo: str | None,
    photo_extra: dict[str, Any] | None = None,
    edited_image: str | None = None,
    editor: str | None = None,
) -> dict[str, Any]:
    """Sign a generated clip (see the module docstring for what it records)."""
    generative = backend not in NON_GENERATIVE
    ai_edit = bool(edited_image) and editor in TRAINED_EDITORS
    relation = "inputTo" if generative else "componentOf"
    ingredients = []
    if photo:
        ingredients.append(Ingredient(photo, "source photo", relation, photo_extra or {}))
    if edited_image:
        ingredients.append(Ingredient(edited_image, "edited image", relation))
    kind = TRAINED if generative else (COMPOSITE_AI if ai_edit else COMPOSITE)
    created: dict[str, Any] = {
        "action": "c2pa.created",
        "digitalSourceType": source_type(kind),
        "softwareAgent": _agent(f"reelrag {backend}", model),
    }
    actions = [created]
    if edited_image:
        edit: dict[str, Any] = {
            "action": "c2pa.edited",
            "softwareAgent": _agent(f"reelrag {editor}"),
        }
        if ai_edit:
            edit["digitalSourceType"] = source_type(COMPOSITE_AI)
        actions.append(edit | {"parameters": {"description": "in-painting of a masked region"}})
    if ingredients:
        verb = "c2pa.created" if generative else "c2pa.placed"
        ids = _ids(ingredients, ("source photo", "edited image"))
        if generative:
            created["parameters"] = {"ingredientIds": ids}
        else:
            actions.append({"action": verb, "parameters": {"ingredientIds": ids}})
    if has_credentials(video):  # a provider signed it (Nova Reel): keep theirs as the parent
        ingredients.insert(0, Ingredient(str(video), "provider's signed output", "parentOf"))
        created["action"] = "c2pa.opened"
        created.pop("digitalSourceType")
        created["parameters"] = {"ingredientIds": ["ingredient-1"]}
        actions = [a for a in actions if a.get("action") != "c2pa.placed"]
    ai = generative or ai_edit
    disclosure = _disclosure(ai, [f"{backend}:{model}"] + ([f"editor:{editor}"] if editor else []))
    return sign_file(
        video,
        settings,
        title=video.name,
        actions=actions,
        ingredients=ingredients,
        disclosure=disclosure,
    )


def has_credentials(path: Path) -> bool:
    """Whether ``path`` already carries a C2PA manifest (a provider's, for remote backends)."""
    from reelrag.provenance.sign import _c2pa, file_format

    c2pa = _c2pa()
    fmt = file_format(path)
    if fmt is None:
        return False
    try:
        with open(path, "rb") as handle:
            reader = c2pa.Reader.try_create(fmt, handle)
    except c2pa.C2paError:
        return False
    if reader is None:
        return False
    reader.close()
    return True


def sign_image(
    image: Path, settings: Settings, *, source: str | None, editor: str, model: str
) -> dict[str, Any]:
    """Sign an edited (in-painted) image: opened from its source photo, then edited."""
    ai = editor in TRAINED_EDITORS
    ingredients = [Ingredient(source, "source photo", "parentOf")] if source else []
    actions: list[dict[str, Any]] = []
    if ingredients:
        actions.append({"action": "c2pa.opened", "parameters": {"ingredientIds": ["ingredient-1"]}})
    else:
        actions.append({"action": "c2pa.created", "digitalSourceType": source_type(COMPOSITE)})
    edit: dict[str, Any] = {
        "action": "c2pa.edited",
        "softwareAgent": _agent(f"reelrag {editor}", model),
        "parameters": {"description": "in-painting of a masked region"},
    }
    if ai:
        edit["digitalSourceType"] = source_type(COMPOSITE_AI)
    actions.append(edit)
    return sign_file(
        image,
        settings,
        title=image.name,
        actions=actions,
        ingredients=ingredients,
        disclosure=_disclosure(ai, [f"editor:{editor}:{model}"]),
    )


def sign_reel(
    video: Path,
    settings: Settings,
    *,
    title: str,
    clips: list[str],
    audio: list[str],
    tts_model: str | None = None,
) -> dict[str, Any]:
    """Sign a composed reel; its shot clips (with their own credentials) are the ingredients."""
    models = [m for m in (_clip_model(c) for c in clips) if m]
    ai_shots = any(not m.startswith(tuple(f"{b}:" for b in NON_GENERATIVE)) for m in models)
    ai_voice = bool(tts_model and tts_model.startswith("polly"))
    ingredients = [Ingredient(c, "shot") for c in clips] + [Ingredient(a, "audio") for a in audio]
    kind = COMPOSITE_AI if ai_shots or ai_voice else COMPOSITE
    actions = [
        {
            "action": "c2pa.created",
            "digitalSourceType": source_type(kind),
            "softwareAgent": _agent("reelrag reel"),
        },
        {
            "action": "c2pa.placed",
            "parameters": {"ingredientIds": _ids(ingredients, ("shot", "audio"))},
        },
        {
            "action": "c2pa.transcoded",
            "parameters": {"description": "shots re-encoded and reframed"},
        },
        {
            "action": "c2pa.edited",
            "parameters": {"description": "transitions, titles, subtitles and sound mix added"},
        },
    ]
    used = sorted(set(models)) + ([f"tts:{tts_model}"] if tts_model else [])
    return sign_file(
        video,
        settings,
        title=title,
        actions=actions,
        ingredients=ingredients,
        disclosure=_disclosure(ai_shots or ai_voice, used),
    )


def _clip_model(clip: str) -> str:
    """``backend:model`` of a shot clip, from the manifest beside it."""
    for name in ("manifest.json", Path(clip).with_suffix(".json").name):
        path = Path(clip).with_name(name)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        return f"{data.get('backend', '')}:{data.get('model', '')}"
    return ""


def _disclosure(ai: bool, models: list[str]) -> dict[str, Any]:
    statement = (
        "Contains AI-generated content (trained algorithmic media)."
        if ai
        else "Made from real photographs by algorithmic camera motion and editing; "
        "no generative model."
    )
    return {"ai_generated": ai, "statement": statement, "models": models}
