"""Image captions from a Bedrock vision model through Converse (``captioner.bedrock``).

The model (``bedrock_caption_model``, default the Nova 2 Lite US inference profile
``us.amazon.nova-2-lite-v1:0``; Claude models work the same way) gets one image block and the
prompt (``bedrock_caption_prompt`` or :data:`DEFAULT_PROMPT`). Its answer is split into a caption
and a ``Keywords:`` line. Answers are cached by (model, prompt, image content hash) under
``<workspace>/cache/bedrock-captions``, so re-ingesting never pays twice. Throttling backs off with
jitter; an item the provider refuses (content filter, bad image) falls back to the metadata
captioner, while account-wide problems (access denied, missing region) raise.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reelrag.aws import lifecycle, schemas
from reelrag.aws.clients import aws_errors, make_client, region_of, with_backoff
from reelrag.captioning.base import Caption, Captioner, CaptionInput
from reelrag.errors import BackendError, ContentFilteredError, InputError
from reelrag.settings import Settings
from reelrag.storage import atomic_write_bytes

log = logging.getLogger(__name__)

DEFAULT_MODEL = "us.amazon.nova-2-lite-v1:0"
DEFAULT_PROMPT = (
    "Describe this photo in one or two plain sentences for a search index: the main subject, "
    "its colours, the setting and any visible action. Do not guess names or places. Then, on a "
    "new line starting with 'Keywords:', list up to 8 comma-separated keywords."
)
MAX_TOKENS = 300


class BedrockCaptioner(Captioner):
    """Captions and keywords from a Converse-capable vision model, cached by content hash."""

    name = "bedrock"
    needs_pixels = True

    def __init__(
        self,
        client: Any = None,
        *,
        model: str = DEFAULT_MODEL,
        prompt: str = DEFAULT_PROMPT,
        cache_dir: Path | None = None,
        settings: Settings | None = None,
        sleep: Callable[[float], None] | None = None,
    ):
        self.model = model
        self.prompt = prompt
        self.cache_dir = cache_dir
        self._client = client
        self._settings = settings
        self._sleep = sleep
        self._fallback: Captioner | None = None
        self._first_call = lifecycle.FirstCallCheck(model)

    @classmethod
    def from_settings(cls, settings: Settings) -> BedrockCaptioner:
        return cls(
            model=settings.bedrock_caption_model or DEFAULT_MODEL,
            prompt=settings.bedrock_caption_prompt or DEFAULT_PROMPT,
            cache_dir=Path(settings.workspace) / "cache" / "bedrock-captions",
            settings=settings,
        )

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_client("bedrock-runtime", self._settings or Settings())
        return self._client

    def caption_batch(self, items: Sequence[CaptionInput]) -> list[Caption]:
        if items:  # the model's lifecycle, once, before the first paid call (raises past EOL)
            self._first_call(
                self._settings, lambda: make_client("bedrock", self._settings or Settings())
            )
        return [self._caption_one(item) for item in items]

    def _caption_one(self, item: CaptionInput) -> Caption:
        key = self._cache_key(item)
        cached = self._cache_get(key)
        if cached is not None:
            return cached
        try:
            caption = parse_answer(self._ask(item), self.name)
        except (ContentFilteredError, InputError) as exc:
            log.warning(
                "captioning %s with %s failed (%s); using metadata", item.name, self.model, exc
            )
            return self._fallback_caption(item)
        self._cache_put(key, caption)
        return caption

    def _ask(self, item: CaptionInput) -> str:
        if item.image is None:
            raise InputError(f"{item.name}: no pixels were given to the Bedrock captioner")
        block = {"image": {"format": "jpeg", "source": {"bytes": jpeg_bytes(item.image)}}}
        schemas.validate_converse_image_block(block)
        messages = [{"role": "user", "content": [block, {"text": self.prompt}]}]

        def call() -> str:
            with aws_errors(
                "bedrock:InvokeModel",
                resource=f"model {self.model}",
                model=self.model,
                region=region_of(self.client),
            ):
                response = self.client.converse(
                    modelId=self.model,
                    messages=messages,
                    inferenceConfig={"maxTokens": MAX_TOKENS, "temperature": 0.2},
                )
            return answer_text(response)

        return with_backoff(call, sleep=self._sleep) if self._sleep else with_backoff(call)

    def _fallback_caption(self, item: CaptionInput) -> Caption:
        if self._fallback is None:
            from reelrag.captioning.metadata import MetadataCaptioner

            self._fallback = MetadataCaptioner()
        return self._fallback.caption_batch([item])[0]

    # -- cache -------------------------------------------------------------------------------

    def _cache_key(self, item: CaptionInput) -> str:
        material = f"{self.model}\n{self.prompt}\n{item.content_hash}".encode()
        return hashlib.sha256(material).hexdigest()

    def _cache_path(self, key: str) -> Path | None:
        return self.cache_dir / key[:2] / f"{key}.json" if self.cache_dir else None

    def _cache_get(self, key: str) -> Caption | None:
        path = self._cache_path(key)
        if path is None or not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Caption(data["text"], tuple(data["keywords"]), data["source"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a corrupt caption cache entry %s", path)
            return None

    def _cache_put(self, key: str, caption: Caption) -> None:
        path = self._cache_path(key)
        if path is not None:
            record = {
                "text": caption.text,
                "keywords": list(caption.keywords),
                "source": caption.source,
                "model": self.model,
            }
            atomic_write_bytes(path, json.dumps(record).encode("utf-8"))


def jpeg_bytes(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def answer_text(response: dict[str, Any]) -> str:
    """The text of a Converse response (all text blocks joined)."""
    content = response.get("output", {}).get("message", {}).get("content", [])
    text = "\n".join(block["text"] for block in content if "text" in block).strip()
    if not text:
        raise BackendError(
            f"the captioning model returned no text (stop: {response.get('stopReason')})"
        )
    return text


def parse_answer(text: str, source: str) -> Caption:
    """Split a model answer into caption text and a ``Keywords:`` line.

    >>> parse_answer("A red shoe on grass.\\nKeywords: shoe, red, grass", "bedrock")
    Caption(text='A red shoe on grass.', keywords=('shoe', 'red', 'grass'), source='bedrock')
    """
    caption_lines: list[str] = []
    keywords: list[str] = []
    for line in text.splitlines():
        head, sep, rest = line.partition(":")
        if sep and head.strip().strip("*").lower() in ("keywords", "tags"):
            keywords.extend(w.strip().strip(".").lower() for w in rest.split(","))
        elif line.strip():
            caption_lines.append(line.strip())
    words = tuple(dict.fromkeys(w for w in keywords if w))
    return Caption(" ".join(caption_lines), words, source)
