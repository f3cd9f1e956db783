"""Classical in-painting with OpenCV (``editor.opencv``): the offline default.

Fills the masked region from its surroundings with Telea's fast-marching method (2004) or the
Navier-Stokes method (Bertalmio et al., 2001). What it cannot do: paint anything new from a prompt,
find a region from text, or invent structure that is not around the hole -- it propagates nearby
colours and edges inward, so small objects on smooth or regular backgrounds disappear cleanly
while large holes over detailed texture come out smeared. It is deterministic: variants are the
two methods at two radii, not random samples, and a seed changes nothing.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np
from PIL import Image

from reelrag.editing.base import (
    Editor,
    EditorCapabilities,
    EditRequest,
    EditResult,
    Variant,
    check_edit,
    keep_outside,
)
from reelrag.settings import Settings

log = logging.getLogger(__name__)

METHODS = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}
DEFAULT_RADIUS_PX = 5


class OpenCVEditor(Editor):
    """Telea / Navier-Stokes in-painting; removes what is masked, never paints from a prompt."""

    name = "opencv"
    capabilities = EditorCapabilities(
        can_prompt_fill=False,
        can_remove=True,
        can_segment_text=False,
        max_variants=4,
        deterministic=True,
    )

    def __init__(self, radius_px: int = DEFAULT_RADIUS_PX):
        if radius_px < 1:
            raise ValueError("radius_px must be at least 1")
        self.radius_px = radius_px
        self.model = f"opencv-{cv2.__version__}"

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenCVEditor:
        return cls(int(settings.inpaint_radius_px))

    def plans(self, count: int) -> list[tuple[str, int]]:
        """(method, radius) per variant: Telea, Navier-Stokes, then both at twice the radius."""
        order = [
            ("telea", self.radius_px),
            ("ns", self.radius_px),
            ("telea", 2 * self.radius_px),
            ("ns", 2 * self.radius_px),
        ]
        return order[:count]

    def edit(
        self, image: Image.Image, mask: Image.Image | None, request: EditRequest
    ) -> EditResult:
        check_edit(request, self.capabilities, image, mask)
        assert mask is not None  # check_edit: no text segmentation here, so a mask is given
        rgb = np.ascontiguousarray(np.asarray(image.convert("RGB")))
        holes = np.asarray(mask)
        images: list[Image.Image | None] = []
        for method, radius in self.plans(request.variants):
            filled = cv2.inpaint(rgb, holes, radius, METHODS[method])
            images.append(keep_outside(image, Image.fromarray(filled), mask))
        not_honoured = ["seed (classical in-painting is deterministic)"] if request.seed else []
        return EditResult(
            images=images,
            variants=[Variant(index=i + 1) for i in range(len(images))],
            backend=self.name,
            model=self.model,
            seed=None,
            not_honoured=not_honoured,
            details={
                "plans": [{"method": m, "radius_px": r} for m, r in self.plans(request.variants)]
            },
        )
