"""In-painting with Amazon Nova Canvas on Bedrock (``editor.bedrock`` when ``bedrock_edit_model``
is a Canvas id; the default is Stability AI, :mod:`reelrag.editing.bedrock.stability`).

One synchronous ``InvokeModel`` per edit: ``INPAINTING`` (change the masked region; with no
prompt, remove it and extend the background) or ``OUTPAINTING`` (change around the subject),
with a drawn ``maskImage`` or a text ``maskPrompt`` ("the dog") that Canvas segments itself.

- Polarity: ReelRAG masks are white = edit; Canvas in-painting wants **black = edit**, so the
  mask is inverted here. For out-painting Canvas changes the white area, which is ReelRAG's
  convention already. With a ``maskPrompt`` in out-painting, the named object is what is kept.
- Variants: ``numberOfImages`` 1-5. Canvas returns fewer images when its content filters block
  some; those variants are reported as blocked (with the provider's ``error``) and the rest kept.
  All blocked raises :class:`~reelrag.errors.ContentFilteredError`.
- Pixels outside a drawn mask are put back from the original, so they stay identical.
- Before paying: the body is validated (:mod:`reelrag.editing.bedrock.canvas`) and the model's
  lifecycle is checked (Canvas is Legacy, end of life 2026-09-30: warned before, refused after,
  naming the Stability AI services as the alternative).
- Images larger than Canvas accepts are scaled down uniformly for the call, the result scaled
  back and composited into the full-size original; this is reported in ``details.adjustments``.
"""

from __future__ import annotations

import base64
import io
import logging
import random
from typing import Any

from PIL import Image, ImageOps

from reelrag.aws import lifecycle
from reelrag.aws.clients import invoke_json, with_backoff
from reelrag.aws.schemas import MAX_SEED
from reelrag.editing.base import (
    EditorCapabilities,
    EditRequest,
    EditResult,
    Variant,
    check_edit,
    keep_outside,
)
from reelrag.editing.bedrock.canvas import (
    CANVAS_MAX_IMAGES,
    CANVAS_MAX_PIXELS,
    CANVAS_MAX_SIDE_PX,
    check_canvas_size,
    validate_canvas_edit,
)
from reelrag.editing.bedrock.plumbing import BedrockEditor, scale_for_service
from reelrag.errors import BackendError, ContentFilteredError
from reelrag.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_MODEL = "amazon.nova-canvas-v1:0"
DEFAULT_CFG_SCALE = 6.5


class CanvasEditor(BedrockEditor):
    """Nova Canvas INPAINTING / OUTPAINTING with mask images or mask prompts."""

    name = "bedrock"
    capabilities = EditorCapabilities(
        can_prompt_fill=True,
        can_remove=True,
        can_segment_text=True,
        max_variants=CANVAS_MAX_IMAGES,
        max_prompt_chars=1024,
        can_outpaint=True,
    )

    def default_model(self, settings: Settings) -> str:
        configured = settings.bedrock_edit_model
        return configured if "nova-canvas" in configured else DEFAULT_MODEL

    @classmethod
    def from_settings(cls, settings: Settings) -> CanvasEditor:
        return cls(settings)

    def edit(
        self, image: Image.Image, mask: Image.Image | None, request: EditRequest
    ) -> EditResult:
        check_edit(request, self.capabilities, image, mask)
        work_image, work_mask, adjustments = _fit_to_canvas(image.convert("RGB"), mask)
        seed = (
            request.seed if request.seed is not None else random.SystemRandom().randrange(MAX_SEED)
        )
        body = self.build_body(work_image, work_mask, request.replace(seed=seed))
        validate_canvas_edit(body)
        cycle = self._check_lifecycle()
        response = with_backoff(lambda: self._invoke(body), sleep=self._sleep)
        images, variants = _variants(response, request.variants)
        restored = [self._restore(im, image, mask, adjustments) for im in images]
        return EditResult(
            images=restored,
            variants=variants,
            backend=self.name,
            model=self.model,
            seed=seed,
            details={
                "task": body["taskType"],
                "lifecycle": cycle.to_dict(),
                "adjustments": adjustments,
                "config": body["imageGenerationConfig"],
            },
        )

    def build_body(
        self, image: Image.Image, mask: Image.Image | None, request: EditRequest
    ) -> dict[str, Any]:
        """The InvokeModel body (validated separately by :func:`validate_canvas_edit`)."""
        outpaint = request.mode == "outpaint"
        params: dict[str, Any] = {"image": _png_b64(image)}
        if mask is not None:
            # Canvas in-painting edits black; out-painting edits white (ReelRAG: white = edit)
            params["maskImage"] = _png_b64(
                (mask if outpaint else ImageOps.invert(mask)).convert("RGB")
            )
        else:
            params["maskPrompt"] = request.mask_prompt
        if request.prompt:
            params["text"] = request.prompt
        if request.negative_prompt:
            params["negativeText"] = request.negative_prompt
        if outpaint:
            params["outPaintingMode"] = str(request.options.get("outpainting_mode", "DEFAULT"))
        config = {
            "numberOfImages": request.variants,
            "quality": request.quality or "standard",
            "cfgScale": request.cfg_scale if request.cfg_scale is not None else DEFAULT_CFG_SCALE,
            "seed": request.seed,
        }
        task, key = (
            ("OUTPAINTING", "outPaintingParams") if outpaint else ("INPAINTING", "inPaintingParams")
        )
        return {"taskType": task, key: params, "imageGenerationConfig": config}

    def _check_lifecycle(self) -> lifecycle.Lifecycle:
        return self.check_lifecycle(self.model)

    def _invoke(self, body: dict[str, Any]) -> dict[str, Any]:
        return invoke_json(self.runtime, self.model, body)

    def _restore(
        self,
        edited: Image.Image | None,
        original: Image.Image,
        mask: Image.Image | None,
        adjustments: list[str],
    ) -> Image.Image | None:
        if edited is None:
            return None
        if edited.size != original.size:
            if not adjustments:
                log.warning(
                    "Canvas returned %s for a %s input; scaled back", edited.size, original.size
                )
            edited = edited.resize(original.size, Image.Resampling.LANCZOS)
        return keep_outside(original, edited, mask) if mask is not None else edited


def _fit_to_canvas(
    image: Image.Image, mask: Image.Image | None
) -> tuple[Image.Image, Image.Image | None, list[str]]:
    """Scale an image larger than Canvas accepts down uniformly; smaller ones are refused."""
    width, height = image.size
    scale = min(
        1.0, CANVAS_MAX_SIDE_PX / max(width, height), (CANVAS_MAX_PIXELS / (width * height)) ** 0.5
    )
    return scale_for_service(image, mask, scale, check_canvas_size, "Canvas")


def _variants(
    response: dict[str, Any], asked: int
) -> tuple[list[Image.Image | None], list[Variant]]:
    """Decoded images, and one Variant per asked image (blocked ones carry Canvas's error)."""
    encoded = response.get("images") or []
    error = str(response.get("error") or "")
    if not encoded:
        raise ContentFilteredError(
            f"Nova Canvas returned no image: {error or 'no reason given'}",
            hint="change the prompt, the mask or the image",
        )
    images: list[Image.Image | None] = [
        _decode(item, i + 1) for i, item in enumerate(encoded[:asked])
    ]
    variants = [Variant(index=i + 1) for i in range(len(images))]
    reason = error or "blocked by the provider's content filters"
    for index in range(len(images) + 1, asked + 1):
        images.append(None)
        variants.append(Variant(index=index, blocked=reason))
    if error:
        log.warning(
            "Nova Canvas: %d of %d variants blocked: %s", asked - len(encoded), asked, error
        )
    return images, variants


def _decode(item: Any, index: int) -> Image.Image:
    try:
        with Image.open(io.BytesIO(base64.b64decode(item, validate=True))) as im:
            im.load()
            return im.convert("RGB")
    except (ValueError, OSError) as exc:
        raise BackendError(f"Nova Canvas image {index} cannot be decoded: {exc}") from exc


def _png_b64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")
