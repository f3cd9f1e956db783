"""What every Bedrock editor shares: lazily made clients (``runtime`` for InvokeModel, ``control``
for the lifecycle), the constructor every editor takes, and the lifecycle check before a paid call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PIL import Image

from reelrag.aws import lifecycle
from reelrag.aws.clients import LazyClient
from reelrag.editing.base import Editor
from reelrag.settings import Settings

log = logging.getLogger(__name__)

MIN_READ_TIMEOUT_S = 300.0  # AWS recommends at least 300 s for image models


class BedrockEditor(Editor):
    """An editor calling Bedrock image models. Clients, clock and sleep can be passed in (tests
    pass stubbed clients and a fixed clock); by default they are made on first use."""

    runtime = LazyClient("bedrock-runtime", min_read_timeout_s=MIN_READ_TIMEOUT_S)
    control = LazyClient("bedrock")

    def __init__(
        self,
        settings: Settings,
        *,
        model: str | None = None,
        runtime: Any = None,
        control: Any = None,
        now: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.settings = settings
        self.model = str(model or self.default_model(settings))
        self._runtime, self._control = runtime, control
        self._now, self._sleep = now, sleep

    def default_model(self, settings: Settings) -> str:
        """The model used when none is given: ``bedrock_edit_model``."""
        return settings.bedrock_edit_model

    def check_lifecycle(self, model: str) -> lifecycle.Lifecycle:
        """``model``'s lifecycle as configured (read from AWS, cached): refused past end of life."""
        now = self._now() if self._now else None
        return lifecycle.check_for_settings(self.control, model, self.settings, now=now)


def scale_for_service(
    image: Image.Image,
    mask: Image.Image | None,
    scale: float,
    check_size: Callable[[tuple[int, int]], None],
    service: str,
) -> tuple[Image.Image, Image.Image | None, list[str]]:
    """``image`` (and its binary mask) scaled down uniformly by ``scale`` when it is below 1, the
    size then checked by ``check_size``; the note says so (the result is scaled back later)."""
    width, height = image.size
    if scale >= 1.0:
        check_size(image.size)
        return image, mask, []
    size = (max(1, int(width * scale)), max(1, int(height * scale)))
    check_size(size)
    small_mask = None
    if mask is not None:
        small_mask = mask.resize(size, Image.Resampling.BOX).point(lambda v: 255 if v >= 128 else 0)
    note = f"scaled {width}x{height} to {size[0]}x{size[1]} for {service}; result scaled back"
    log.warning(note)
    return image.resize(size, Image.Resampling.LANCZOS), small_mask, [note]
