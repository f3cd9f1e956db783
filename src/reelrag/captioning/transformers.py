"""Captions from a local vision-language model (``captioner.transformers``): Florence-2 or BLIP.

``caption_model`` names a hub id or folder; the architecture is read from its config:
Florence-2 (native in transformers 5, e.g. ``florence-community/Florence-2-base``) runs the
``<DETAILED_CAPTION>`` task, BLIP (``Salesforce/blip-image-captioning-base``) and GIT caption
unprompted. Images go through in batches of ``caption_batch`` with greedy decoding (the same
image always gets the same caption); keywords are the caption's content words. An image that
cannot be read gets a file-name caption instead of failing the batch. The model stays in the
``"caption"`` slot of the model cache until ``model_idle_s`` passes unused.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from PIL import Image

from reelrag.captioning.base import Caption, Captioner, CaptionInput
from reelrag.errors import ConfigError
from reelrag.localmodels import loading
from reelrag.localmodels.cache import MODELS
from reelrag.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["ARCHITECTURES", "TransformersCaptioner", "content_words"]

SLOT = "caption"
# model_type -> (transformers class, task prompt or None)
ARCHITECTURES: dict[str, tuple[str, str | None]] = {
    "florence2": ("Florence2ForConditionalGeneration", "<DETAILED_CAPTION>"),
    "blip": ("BlipForConditionalGeneration", None),
    "git": ("GitForCausalLM", None),
}
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "and",
        "or",
        "with",
        "without",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "this",
        "that",
        "these",
        "those",
        "there",
        "it",
        "its",
        "image",
        "picture",
        "photo",
        "photograph",
        "shows",
        "showing",
        "of",
        "some",
        "into",
        "from",
        "by",
        "for",
        "as",
    ]
)


def content_words(text: str, limit: int = 8) -> tuple[str, ...]:
    """Distinct lower-case words of ``text`` that carry meaning, in order.

    >>> content_words("A red shoe on the red carpet")
    ('red', 'shoe', 'carpet')
    """
    seen: list[str] = []
    for word in re.findall(r"[a-z][a-z'-]+", text.lower()):
        if word not in STOPWORDS and word not in seen:
            seen.append(word)
    return tuple(seen[:limit])


class TransformersCaptioner(Captioner):
    """Batched image captioning with a local Florence-2, BLIP or GIT model."""

    name = "transformers"
    needs_pixels = True

    def __init__(
        self, model: str, *, settings: Settings, batch: int = 8, max_new_tokens: int = 64
    ) -> None:
        self.model, self.settings = model, settings
        self.batch, self.max_new_tokens = max(1, batch), max_new_tokens
        self.source = loading.model_source(model, settings)
        transformers: Any = loading.require("transformers")
        config = loading.load_pretrained(transformers.AutoConfig, self.source)
        self.model_type = str(getattr(config, "model_type", ""))
        if self.model_type not in ARCHITECTURES:
            raise ConfigError(
                f"{model} is a {self.model_type or 'unknown'} model, not a captioner",
                hint="use a Florence-2, BLIP or GIT model for caption_model",
            )
        self.class_name, self.task = ARCHITECTURES[self.model_type]

    @classmethod
    def from_settings(cls, settings: Settings) -> TransformersCaptioner:
        return cls(settings.caption_model, settings=settings, batch=settings.caption_batch)

    def caption_batch(self, items: Sequence[CaptionInput]) -> list[Caption]:
        images = [_pixels(item) for item in items]
        good = [i for i, im in enumerate(images) if im is not None]
        texts: dict[int, str] = {}
        key = (self.model, self.settings.device, self.settings.dtype)
        with MODELS.use(SLOT, key, self._load, self.settings.model_idle_s) as use:
            for start in range(0, len(good), self.batch):
                chunk = good[start : start + self.batch]
                decoded = use.value.run([images[i] for i in chunk], self.task, self.max_new_tokens)
                texts.update(zip(chunk, decoded, strict=True))
        return [self._caption(item, texts.get(i, "")) for i, item in enumerate(items)]

    def _caption(self, item: CaptionInput, text: str) -> Caption:
        text = " ".join(text.split())
        if not text:
            stem = re.sub(r"[_\-.]+", " ", PurePath(item.name).stem).strip()
            return Caption(stem, content_words(stem), "filename")
        return Caption(text, content_words(text), f"{self.name}:{self.model_type}")

    def _load(self, previous: Any) -> _Model:
        transformers: Any = loading.require("transformers")
        device = loading.resolve_device(self.settings.device)
        dtype = loading.resolve_dtype(self.settings.dtype, device)
        model = loading.load_pretrained(
            getattr(transformers, self.class_name), self.source, dtype=dtype
        )
        processor = loading.load_pretrained(transformers.AutoProcessor, self.source)
        return _Model(model.to(device).eval(), processor, device)


class _Model:
    def __init__(self, model: Any, processor: Any, device: str) -> None:
        self.model, self.processor, self.device = model, processor, device

    def run(self, images: list[Image.Image], task: str | None, max_new_tokens: int) -> list[str]:
        torch: Any = loading.require("torch")
        kwargs: dict[str, Any] = {"images": images, "return_tensors": "pt"}
        if task:
            kwargs["text"] = [task] * len(images)
        inputs = self.processor(**kwargs)
        dtype = next(self.model.parameters()).dtype
        moved = {
            k: (v.to(self.device, dtype) if v.is_floating_point() else v.to(self.device))
            for k, v in inputs.items()
        }
        with torch.inference_mode():
            ids = self.model.generate(
                **moved, max_new_tokens=max_new_tokens, do_sample=False, num_beams=1
            )
        return [str(t).strip() for t in self.processor.batch_decode(ids, skip_special_tokens=True)]


def _pixels(item: CaptionInput) -> Image.Image | None:
    """The item's RGB pixels: the decoded image, else the file; None when unreadable."""
    if item.image is not None:
        return item.image.convert("RGB")
    try:
        with Image.open(item.path) as image:
            return image.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        log.warning("cannot read %s for captioning: %s", item.path, exc)
        return None
