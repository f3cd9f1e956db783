"""In-painting on Bedrock with Stability AI Image Services (``editor.bedrock``, the default).

One synchronous ``InvokeModel`` per variant (each service returns one image per call), through
the US cross-region inference profiles. The request picks the service:

- a drawn mask and a ``prompt``: **Inpaint** (``us.stability.stable-image-inpaint-v1:0``);
- a drawn mask and no prompt: **Erase Object** (remove and fill from the surroundings);
- a ``mask_prompt`` ("the dog") and a ``prompt``: **Search and Replace** (``search_prompt``);
- ``mode="outpaint"`` with a drawn mask: Inpaint on that mask (ReelRAG's outpaint mask is
  already white = regenerate); growing the canvas itself is :meth:`StabilityEditor.extend`
  (**Outpaint**, ``left/right/up/down``), which ``--fit extend`` calls.

Masks need no conversion: Stability, like ReelRAG, treats white as "edit". Pixels outside a drawn
mask are put back from the original. Images above the services' 9.4 MP are scaled down for the call
and the result scaled back (reported in ``details.adjustments``); smaller or too-narrow ones are
refused, never stretched. A ``finish_reasons`` filter on one variant marks that variant blocked;
a prompt or input-image filter stops the remaining calls (they would be blocked too) and all
blocked raises :class:`~reelrag.errors.ContentFilteredError`. ``details.cost_usd`` = calls x the
service's price estimate. Before paying: every body is validated and the model lifecycle checked.
``bedrock_edit_model`` set to a Nova Canvas id gives the (lifecycle-checked) Canvas editor instead.
"""

from __future__ import annotations

import base64
import io
import logging
import random
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from reelrag.aws.clients import invoke_json, with_backoff
from reelrag.editing.base import (
    Editor,
    EditorCapabilities,
    EditRequest,
    EditResult,
    Variant,
    check_edit,
    keep_outside,
)
from reelrag.editing.bedrock.plumbing import BedrockEditor, scale_for_service
from reelrag.editing.bedrock.stability_bodies import (
    FINISH_INPUT,
    MAX_OUTPAINT_PX,
    MAX_PIXELS,
    MAX_PROMPT,
    MAX_SEED,
    PRICING_PAGE,
    SERVICES,
    check_stability_size,
    finish_reason,
    is_stability,
    service_model,
    validate_stability,
)
from reelrag.errors import BackendError, CapabilityError, ContentFilteredError
from reelrag.settings import Settings

log = logging.getLogger(__name__)

MAX_VARIANTS = 4  # one paid call each


@dataclass
class Extended:
    """An outpainted image of exactly the asked size, and what produced it."""

    image: Image.Image
    details: dict[str, Any] = field(default_factory=dict)


class StabilityEditor(BedrockEditor):
    """Stability AI Inpaint / Erase Object / Search and Replace / Outpaint on Bedrock."""

    name = "bedrock"
    capabilities = EditorCapabilities(
        can_prompt_fill=True,
        can_remove=True,
        can_segment_text=True,
        max_variants=MAX_VARIANTS,
        max_prompt_chars=MAX_PROMPT,
        can_outpaint=True,
    )

    def __init__(self, settings: Settings, **kwargs: Any):
        super().__init__(settings, **kwargs)
        if not is_stability(self.model):
            raise CapabilityError(
                f"{self.model} is not a Stability AI model",
                hint="set bedrock_edit_model to us.stability.stable-image-inpaint-v1:0",
            )

    @classmethod
    def from_settings(cls, settings: Settings) -> Editor:
        if not is_stability(str(settings.bedrock_edit_model)):
            from reelrag.editing.bedrock.editor import CanvasEditor

            return CanvasEditor(settings)
        return cls(settings)

    # -- editing -------------------------------------------------------------------------

    def edit(
        self, image: Image.Image, mask: Image.Image | None, request: EditRequest
    ) -> EditResult:
        check_edit(request, self.capabilities, image, mask)
        key = service_for(request, mask)
        work, work_mask, adjustments = _fit(image.convert("RGB"), mask)
        seed = (
            request.seed if request.seed is not None else random.SystemRandom().randrange(MAX_SEED)
        )
        bodies = [
            self.build_body(key, work, work_mask, request, (seed + i) % (MAX_SEED + 1))
            for i in range(request.variants)
        ]
        for body in bodies:
            validate_stability(key, body)
        model = service_model(self.model, key)
        cycle = self.check_lifecycle(model)
        images, variants, calls = self._run(model, bodies)
        restored = [_restore(im, image, mask) for im in images]
        return EditResult(
            images=restored,
            variants=variants,
            backend=self.name,
            model=model,
            seed=seed,
            not_honoured=not_honoured(key, request),
            details={
                "service": key,
                "seeds": [b.get("seed") for b in bodies],
                "lifecycle": cycle.to_dict(),
                "adjustments": adjustments,
                **_cost(key, calls),
            },
        )

    def build_body(
        self,
        key: str,
        image: Image.Image,
        mask: Image.Image | None,
        request: EditRequest,
        seed: int,
    ) -> dict[str, Any]:
        """The InvokeModel body for service ``key`` (validated by :func:`validate_stability`)."""
        body: dict[str, Any] = {"image": _png_b64(image), "seed": seed, "output_format": "png"}
        if mask is not None:
            body["mask"] = _png_b64(mask)
        if key in ("inpaint", "search_replace"):
            body["prompt"] = request.prompt
            if request.negative_prompt:
                body["negative_prompt"] = request.negative_prompt
        if key == "search_replace":
            body["search_prompt"] = request.mask_prompt
        for name in ("grow_mask", "style_preset"):
            if name in request.options and name in SERVICES[key].optional:
                body[name] = request.options[name]
        return body

    def _run(
        self, model: str, bodies: list[dict[str, Any]]
    ) -> tuple[list[Image.Image | None], list[Variant], int]:
        images: list[Image.Image | None] = []
        variants: list[Variant] = []
        stop: str | None = None
        calls = 0
        for index, body in enumerate(bodies, start=1):
            if stop is None:
                response = self._invoke(model, body)
                calls += 1
                reason = finish_reason(response)
            else:
                reason = stop
            if reason is None:
                images.append(_decode(response["images"][0], index))
                variants.append(Variant(index=index))
                continue
            images.append(None)
            variants.append(Variant(index=index, blocked=reason))
            if reason in FINISH_INPUT:
                stop = reason  # the same input would be filtered again: do not pay for it
        if all(im is None for im in images):
            raise ContentFilteredError(
                f"{model} returned no image: {variants[0].blocked}",
                hint="change the prompt, the mask or the image",
            )
        return images, variants, calls

    # -- outpainting: grow the canvas --------------------------------------------------------

    def extend(
        self,
        image: Image.Image,
        size: tuple[int, int],
        *,
        prompt: str | None = None,
        seed: int | None = None,
        creativity: float | None = None,
    ) -> Extended:
        """``image`` grown (never stretched) to the aspect ratio of ``size``, then scaled to it.

        The original pixels stay where they were; only the new margins are generated.
        """
        rgb = image.convert("RGB")
        work, margins, scale = plan_extension(rgb.size, size)
        if not any(margins):
            return Extended(rgb.resize(size, Image.Resampling.LANCZOS), {"calls": 0})
        small = rgb if work == rgb.size else rgb.resize(work, Image.Resampling.LANCZOS)
        body: dict[str, Any] = {
            "image": _png_b64(small),
            "left": margins[0],
            "right": margins[1],
            "up": margins[2],
            "down": margins[3],
            "seed": seed if seed is not None else random.SystemRandom().randrange(MAX_SEED),
            "output_format": "png",
        }
        if prompt:
            body["prompt"] = prompt
        if creativity is not None:
            body["creativity"] = creativity
        validate_stability("outpaint", body)
        model = service_model(self.model, "outpaint")
        cycle = self.check_lifecycle(model)
        response = self._invoke(model, body)
        reason = finish_reason(response)
        if reason is not None:
            raise ContentFilteredError(f"{model} returned no image: {reason}")
        grown = _decode(response["images"][0], 1)
        canvas = (work[0] + margins[0] + margins[1], work[1] + margins[2] + margins[3])
        if grown.size != canvas:
            grown = grown.resize(canvas, Image.Resampling.LANCZOS)
        grown.paste(small, (margins[0], margins[2]))  # the original region stays identical
        details = {
            "service": "outpaint",
            "model": model,
            "seed": body["seed"],
            "margins": dict(zip(("left", "right", "up", "down"), margins, strict=True)),
            "scale": scale,
            "lifecycle": cycle.to_dict(),
            **_cost("outpaint", 1),
        }
        return Extended(grown.resize(size, Image.Resampling.LANCZOS), details)

    # -- helpers -----------------------------------------------------------------------------

    def _invoke(self, model: str, body: dict[str, Any]) -> dict[str, Any]:
        return with_backoff(lambda: invoke_json(self.runtime, model, body), sleep=self._sleep)


def extend_to_size(
    image: Image.Image,
    size: tuple[int, int],
    settings: Settings,
    *,
    prompt: str | None = None,
    seed: int | None = None,
    runtime: Any = None,
    control: Any = None,
) -> Extended:
    """Outpaint ``image`` to the aspect of ``size`` and scale it there (for ``--fit extend``)."""
    model = str(settings.bedrock_edit_model)
    editor = StabilityEditor(
        settings,
        model=model if is_stability(model) else SERVICES["inpaint"].model_id(),
        runtime=runtime,
        control=control,
    )
    return editor.extend(image, size, prompt=prompt, seed=seed)


def service_for(request: EditRequest, mask: Image.Image | None) -> str:
    """Which Stability service serves ``request`` (refusing what none of them does)."""
    if mask is not None:
        return "inpaint" if request.prompt else "erase"
    if request.mode == "outpaint":
        raise CapabilityError(
            "Stability cannot regenerate around a subject named by text",
            hint="draw the region to regenerate (--mask/--box), or use --fit extend",
        )
    if not request.prompt:
        raise CapabilityError(
            "removing a region named by text is not offered by Stability on Bedrock",
            hint="draw the region (--mask/--box/--polygon) to remove it, or add --prompt",
        )
    return "search_replace"


def not_honoured(key: str, request: EditRequest) -> list[str]:
    """Request parts the chosen Stability service has no parameter for (reported, not sent)."""
    ignored = []
    if request.quality:
        ignored.append("quality (a Nova Canvas option)")
    if request.cfg_scale is not None:
        ignored.append("cfg_scale (Stability image services take no guidance scale)")
    if key == "erase" and request.negative_prompt:
        ignored.append("negative_prompt (Erase Object takes no prompt)")
    return ignored


def plan_extension(
    size: tuple[int, int], target: tuple[int, int]
) -> tuple[tuple[int, int], tuple[int, int, int, int], float]:
    """(working size, (left, right, up, down) margins, scale) to reach ``target``'s aspect."""
    width, height = size
    ratio = target[0] / target[1]
    if abs(width / height - ratio) < 1e-3:
        return size, (0, 0, 0, 0), 1.0
    wide = width / height < ratio
    grown = (round(height * ratio), height) if wide else (width, round(width / ratio))
    pad = (grown[0] - width) if wide else (grown[1] - height)
    scale = min(1.0, 2 * MAX_OUTPAINT_PX / pad, (MAX_PIXELS / (grown[0] * grown[1])) ** 0.5)
    work = (max(1, int(width * scale)), max(1, int(height * scale)))
    check_stability_size(work)
    if wide:
        total = round(work[1] * ratio) - work[0]
        margins = (total // 2, total - total // 2, 0, 0)
    else:
        total = round(work[0] / ratio) - work[1]
        margins = (0, 0, total // 2, total - total // 2)
    return work, margins, round(scale, 4)


def _fit(
    image: Image.Image, mask: Image.Image | None
) -> tuple[Image.Image, Image.Image | None, list[str]]:
    """Scale an image above the 9.4 MP limit down uniformly; smaller ones are checked as-is."""
    width, height = image.size
    scale = min(1.0, (MAX_PIXELS / (width * height)) ** 0.5)
    return scale_for_service(image, mask, scale, check_stability_size, "Stability")


def _restore(
    edited: Image.Image | None, original: Image.Image, mask: Image.Image | None
) -> Image.Image | None:
    if edited is None:
        return None
    if edited.size != original.size:
        edited = edited.resize(original.size, Image.Resampling.LANCZOS)
    return keep_outside(original, edited, mask) if mask is not None else edited


def _cost(key: str, calls: int) -> dict[str, Any]:
    price = SERVICES[key].price_usd
    return {
        "calls": calls,
        "cost_usd": round(calls * price, 4),
        "price_note": f"estimate {price} USD per image; check current pricing ({PRICING_PAGE})",
    }


def _decode(item: Any, index: int) -> Image.Image:
    try:
        with Image.open(io.BytesIO(base64.b64decode(item, validate=True))) as im:
            im.load()
            return im.convert("RGB")
    except (ValueError, OSError) as exc:
        raise BackendError(f"Stability image {index} cannot be decoded: {exc}") from exc


def _png_b64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")
