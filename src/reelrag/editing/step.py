"""The edit step of a generation: the user's mask, drawn on the original image, is carried
through the fit onto the model-sized canvas, the canvas is edited, and the chosen variant
replaces it (:func:`edit_fitted`). The step travels in ``GenerationRequest.options["edit"]`` as
an :class:`EditPlan`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reelrag.editing.base import Editor, EditRequest, EditResult
from reelrag.editing.masks import MaskSpec, transform_mask
from reelrag.editing.run import make_editor, mask_for, score_variants
from reelrag.errors import InputError
from reelrag.settings import Settings
from reelrag.types import Record

if TYPE_CHECKING:
    from reelrag.media.fit import FittedImage

__all__ = ["EDIT_OPTION", "EditPlan", "edit_fitted", "edit_from_options", "edit_options"]


def edit_fitted(
    fitted: FittedImage,
    mask_spec: MaskSpec,
    request: EditRequest,
    settings: Settings,
    *,
    editor: Editor | None = None,
    variant: int | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Edit a fitted image (:class:`reelrag.media.fit.FittedImage`) for the video pipeline.

    The mask is drawn on the *original* image (any uniformly scaled copy is accepted); it is
    carried through ``fitted.fit`` onto the canvas, the canvas is edited, and ``variant``
    (1-based; None = the best seam score) becomes the new canvas and nominal frame.
    Returns (the edited FittedImage, a JSON-ready manifest dict for the video's manifest).
    """
    from reelrag.media.fit import FittedImage  # lazy: keeps editing light for `inpaint` alone

    started = time.perf_counter()
    editor = editor or make_editor(request, settings)
    fit = fitted.fit
    built = mask_for(mask_spec, request, (fit.source_size[0], fit.source_size[1]), settings)
    moved = transform_mask(built.mask, fit, canvas=True) if built else None
    mask = moved.mask if moved else None
    result = editor.edit(fitted.canvas, mask, request)
    best = score_variants(result, fitted.canvas, mask)
    chosen = _choose(result, variant, best)
    canvas = result.images[chosen - 1]
    assert canvas is not None  # _choose only returns kept variants
    left, top = fit.canvas_offset
    width, height = fit.output_size
    nominal = canvas.crop((left, top, left + width, top + height))
    manifest = {
        "request": request.to_dict(),
        **result.to_dict(),
        "best": best,
        "chosen": chosen,
        "mask": {
            "spec": mask_spec.to_dict(),
            "report": built.report if built else {"source": "mask_prompt"},
            "transform": moved.report if moved else None,
        },
        "elapsed_s": round(time.perf_counter() - started, 4),
    }
    return FittedImage(image=nominal, canvas=canvas, fit=fit), manifest


def _choose(result: EditResult, variant: int | None, best: int | None) -> int:
    if variant is None:
        if best is None:
            raise InputError("every variant was blocked; nothing to animate")
        return best
    if not 1 <= variant <= len(result.variants):
        raise InputError(f"variant {variant} does not exist (1..{len(result.variants)})")
    chosen = result.variants[variant - 1]
    if chosen.blocked:
        raise InputError(
            f"variant {variant} was blocked: {chosen.blocked}",
            hint="choose another variant or let the best one be used",
        )
    return variant


EDIT_OPTION = "edit"  # the key in GenerationRequest.options that carries an edit plan


@dataclass(frozen=True)
class EditPlan(Record):
    """The edit step of a generation: where (``mask``), what (``request``) and which variant.

    Travels as JSON in ``GenerationRequest.options["edit"]`` (jobs, manifests); read it back
    with :meth:`parse`.

    >>> EditPlan(MaskSpec(boxes=("1,2,3,4",)), EditRequest()).to_dict()["mask"]["boxes"]
    ['1,2,3,4']
    """

    mask: MaskSpec
    request: EditRequest
    variant: int | None = None

    @classmethod
    def parse(cls, plan: Any) -> EditPlan:
        """The plan of an ``options["edit"]`` object; a one-line error when it is not one."""
        if not isinstance(plan, dict):
            raise InputError("options.edit must be an object with mask, request and variant")
        variant = plan.get("variant")
        return cls(
            MaskSpec.from_dict(dict(plan.get("mask") or {})),
            EditRequest.from_dict(dict(plan.get("request") or {})),
            None if variant is None else int(variant),
        )


def edit_options(
    mask_spec: MaskSpec, request: EditRequest, variant: int | None = None
) -> dict[str, Any]:
    """The JSON-ready ``options["edit"]`` of an edit step (see :class:`EditPlan`)."""
    return EditPlan(mask_spec, request, variant).to_dict()


def edit_from_options(
    fitted: FittedImage, options: dict[str, Any], settings: Settings
) -> tuple[Any, dict[str, Any] | None]:
    """Apply ``options["edit"]`` (see :class:`EditPlan`) to a fitted image; no plan, no edit."""
    raw = options.get(EDIT_OPTION)
    if not raw:
        return fitted, None
    plan = EditPlan.parse(raw)
    return edit_fitted(fitted, plan.mask, plan.request, settings, variant=plan.variant)
