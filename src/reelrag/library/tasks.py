"""What ingest passes between its stages: a file to read, a batch in flight, a file read."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass

from PIL import Image

from reelrag.captioning.base import CaptionInput
from reelrag.library.catalog import SourceRow
from reelrag.library.sources import SourceFile
from reelrag.types import Asset


@dataclass(frozen=True)
class Task:
    """One file to read: ``recaption`` even when its bytes are a known asset."""

    file: SourceFile
    caption_sig: str
    recaption: bool = False
    caption_changed: bool = False  # only the caption inputs changed: reported as updated


@dataclass(frozen=True)
class Batch:
    """One batch in flight: its catalog rows before the run and its queued reads."""

    known: dict[str, SourceRow]
    futures: list[Future[Prepared | tuple[str, str]]]


@dataclass
class Prepared:
    """One file after the thread-pool stage: an asset, with a caption input when it needs one."""

    task: Task
    asset: Asset
    is_new: bool
    caption_input: CaptionInput | None = None
    embed_image: Image.Image | None = None  # pixels for an image embedder

    @property
    def file(self) -> SourceFile:
        return self.task.file
