"""The captioner contract: text and keywords for an image."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reelrag.settings import Settings


@dataclass(frozen=True)
class CaptionInput:
    """What a captioner may look at for one image.

    ``path`` is the source file (for sidecars), ``name`` the file name, ``metadata`` the embedded
    IPTC/XMP fields the decoder found, ``image`` the normalised RGB PIL image (vision captioners).
    """

    path: str
    name: str
    content_hash: str
    metadata: dict[str, Any] = field(default_factory=dict)
    image: Any = None


@dataclass(frozen=True)
class Caption:
    text: str
    keywords: tuple[str, ...] = ()
    source: str = "filename"


class Captioner(abc.ABC):
    """Turns images into captions, in batches. ``name`` is recorded as the caption source."""

    name: str = "captioner"
    needs_pixels: bool = False  # True when ``CaptionInput.image`` must be filled
    # True when captions come from files beside the image (sidecar, metadata.jsonl): ingest then
    # records their identity and re-captions when only they change.
    reads_side_files: bool = False

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: Settings) -> Captioner: ...

    @abc.abstractmethod
    def caption_batch(self, items: Sequence[CaptionInput]) -> list[Caption]:
        """One caption per item, in order. Never raises for one bad item: return a fallback."""
