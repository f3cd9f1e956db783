"""Titan Multimodal Embeddings G1 on Bedrock (``embedder.titan``): text and images in one space.

One ``InvokeModel`` call per text or image (the model takes one input per request). The output
length is ``settings.titan_dim`` (256 | 384 | 1024); vectors are L2-normalised float32 and the
identity ``titan:amazon.titan-embed-image-v1:<dim>`` is stored beside them, so an index built with
another embedder or length is refused. Images are downscaled (aspect kept) to at most 2048 px and
re-encoded to stay under 25 MB -- the model's documented limits; the downscale is logged.
Throttling is retried with exponential backoff and jitter (``reelrag.aws.clients.with_backoff``).

Titan refuses an empty ``inputText``, but an asset with no caption, keywords or name words has an
empty index text and must still be indexed (its image vector finds it). An empty text therefore
gets :func:`blank_text_vector` -- the same constant unit vector every time, with no request -- as
the embedder contract asks of every backend.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from reelrag.aws import lifecycle, schemas
from reelrag.aws.clients import invoke_retrying, make_client
from reelrag.embeddings.base import Embedder, EmbedderIdentity, unit_rows
from reelrag.errors import BackendError, ConfigError, InputError
from reelrag.settings import Settings

log = logging.getLogger(__name__)

MODEL_ID = "amazon.titan-embed-image-v1"


class TitanEmbedder(Embedder):
    """Text and image vectors from ``amazon.titan-embed-image-v1``."""

    def __init__(
        self,
        client: Any = None,
        *,
        dim: int = 1024,
        settings: Settings | None = None,
        sleep: Callable[[float], None] | None = None,
    ):
        if dim not in schemas.TITAN_DIMS:
            raise ConfigError(f"titan_dim={dim} is not supported", hint="use 256, 384 or 1024")
        self.identity = EmbedderIdentity("titan", MODEL_ID, dim, ("text", "image"))
        self._client = client
        self._settings = settings
        self._sleep = sleep
        self._first_call = lifecycle.FirstCallCheck(MODEL_ID)  # lifecycle before paying

    @classmethod
    def from_settings(cls, settings: Settings) -> TitanEmbedder:
        return cls(dim=int(settings.titan_dim), settings=settings)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_client("bedrock-runtime", self._settings or Settings())
        return self._client

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for ``texts``; an empty text gets :func:`blank_text_vector` without a request."""
        rows = [
            self._embed({"inputText": text})
            if text.strip()
            else blank_text_vector(self.identity.dim)
            for text in texts
        ]
        return self._stack(rows)

    def embed_images(self, images: Sequence[Any]) -> np.ndarray:
        """Vectors for PIL images, image bytes or paths, in the same space as texts."""
        rows = [self._embed({"inputImage": encode_for_titan(image)}) for image in images]
        return self._stack(rows)

    def _embed(self, body: dict[str, Any]) -> np.ndarray:
        body["embeddingConfig"] = {"outputEmbeddingLength": self.identity.dim}
        schemas.validate_titan_embedding(body)
        response = self._invoke(body)
        vector = np.asarray(response.get("embedding") or [], dtype=np.float32)
        if vector.shape != (self.identity.dim,):
            raise BackendError(
                f"Titan returned {vector.shape[0]} values, expected {self.identity.dim}: "
                f"{response.get('message') or 'no message'}"
            )
        return vector

    def _invoke(self, body: dict[str, Any]) -> dict[str, Any]:
        self._first_call(
            self._settings, lambda: make_client("bedrock", self._settings or Settings())
        )
        return invoke_retrying(self.client, MODEL_ID, body, self._sleep)

    def _stack(self, rows: list[np.ndarray]) -> np.ndarray:
        return unit_rows(rows, self.identity.dim, "Titan")


def blank_text_vector(dim: int) -> np.ndarray:
    """The vector of an empty text: alternating +-1/sqrt(dim), a unit vector that sums to zero.

    It says nothing, so it should lean towards no query; alternating signs keep it orthogonal
    to the all-equal direction, where embeddings' shared mean component tends to lie.
    """
    signs = np.where(np.arange(dim) % 2 == 0, 1.0, -1.0)
    out: np.ndarray = (signs / np.sqrt(dim)).astype(np.float32)
    return out


def encode_for_titan(image: Any) -> str:
    """Base64 PNG/JPEG within Titan's limits (<= 2048 px per side, <= 25 MB)."""
    if isinstance(image, str | Path):
        image = Path(image).read_bytes()
    if isinstance(image, bytes | bytearray):
        data = bytes(image)
        if schemas.sniff_format(data) in ("png", "jpeg") and _fits(data):
            return base64.b64encode(data).decode("ascii")
        image = schemas.open_image(data)
    if not isinstance(image, Image.Image):
        raise InputError(f"cannot embed a {type(image).__name__}; pass a PIL image, bytes or path")
    rgb = image.convert("RGB")
    if max(rgb.size) > schemas.TITAN_MAX_IMAGE_PX:
        log.info("downscaling a %dx%d image to fit Titan's 2048 px limit", *rgb.size)
        rgb.thumbnail(
            (schemas.TITAN_MAX_IMAGE_PX, schemas.TITAN_MAX_IMAGE_PX), Image.Resampling.LANCZOS
        )
    buffer = io.BytesIO()
    rgb.save(buffer, format="JPEG", quality=92)  # photo-sized JPEG stays far below 25 MB
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _fits(data: bytes) -> bool:
    if len(data) > schemas.MAX_IMAGE_BYTES:
        return False
    size = schemas.open_image(data).size
    return max(size) <= schemas.TITAN_MAX_IMAGE_PX
