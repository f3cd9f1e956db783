"""``reelrag doctor``: every AWS check for the configured backends.

:mod:`reelrag.aws.doctor` holds the checks themselves; this module knows which Bedrock models
each configured backend calls, what a configured model cannot do that ReelRAG would ask of it,
and which extra checks apply (the OpenSearch index), and runs them all.
"""

from __future__ import annotations

from reelrag.aws.doctor import (
    NOVA_EMBED_MODEL,
    STABILITY_SERVICES,
    TITAN_MODEL,
    Check,
    ClientFor,
)
from reelrag.aws.doctor import run_checks as run_aws_checks
from reelrag.settings import Settings

__all__ = ["bedrock_models", "capability_notes", "run_checks"]


def run_checks(settings: Settings, client_for: ClientFor | None = None) -> list[Check]:
    """Every check that applies to ``settings``, in the order ``reelrag doctor`` prints them."""
    extra = []
    if settings.index == "opensearch":
        from reelrag.index.opensearch.doctor import check_opensearch

        extra.append(check_opensearch)
    return run_aws_checks(
        settings, bedrock_models(settings), client_for, extra, capability_notes(settings)
    )


def bedrock_models(settings: Settings) -> list[str]:
    """The Bedrock model ids the configured backends will call."""
    models = []
    if settings.generator == "bedrock":
        models.append(settings.bedrock_video_model)
    if settings.captioner == "bedrock":
        models.append(settings.bedrock_caption_model)
    if settings.embedder == "titan":
        models.append(TITAN_MODEL)
    if settings.embedder == "nova":
        models.append(NOVA_EMBED_MODEL)
    if settings.editor == "bedrock":
        models.extend(_edit_models(str(settings.bedrock_edit_model)))
    return list(dict.fromkeys(models))


def _edit_models(model: str) -> list[str]:
    """The Canvas model, or every Stability service the editor may call (same profile)."""
    if "stability." not in model:
        return [model]
    from reelrag.editing.bedrock.stability_bodies import service_model

    return [model, *(service_model(model, key) for key in STABILITY_SERVICES)]


def capability_notes(settings: Settings) -> list[Check]:
    """What a configured model cannot do that ReelRAG's defaults would ask of it."""
    if settings.generator != "bedrock":
        return []
    from reelrag.generation.bedrock.video_models import VIDEO_MODELS as MODELS

    spec = MODELS.get(settings.bedrock_video_model)
    if spec is None or spec.capabilities.image_to_video:
        return []
    caps = spec.capabilities
    detail = f"{spec.id} is text-to-video only on Bedrock: {caps.no_image_reason}"
    return [Check("video from images", "warn", detail, caps.no_image_hint)]
