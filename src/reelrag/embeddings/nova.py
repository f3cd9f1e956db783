"""Amazon Nova Multimodal Embeddings on Bedrock (``embedder.nova``): text and images, one space.

Model ``amazon.nova-2-multimodal-embeddings-v1:0``, one synchronous ``InvokeModel`` per text or
image. Request body (https://docs.aws.amazon.com/nova/latest/userguide/embeddings-schema.html)::

    {"schemaVersion": "nova-multimodal-embed-v1", "taskType": "SINGLE_EMBEDDING",
     "singleEmbeddingParams": {"embeddingPurpose": ..., "embeddingDimension": 256|384|1024|3072,
       "text": {"truncationMode": "START"|"END"|"NONE", "value": ...}
       | "image": {"format": "png"|"jpeg"|"gif"|"webp", "detailLevel": "STANDARD_IMAGE",
                   "source": {"bytes": base64}}}}

answered by ``{"embeddings": [{"embeddingType": ..., "embedding": [...]}]}``.

``embeddingPurpose``: what is stored is embedded for indexing (``GENERIC_INDEX``); a search query
for retrieval. ReelRAG compares one query vector with both the text and the image vectors of an
index, a mixed-modality index, so queries use ``GENERIC_RETRIEVAL`` (AWS's best-practice pairing
for an index holding several modalities). :meth:`NovaEmbedder.embed_queries` is the query side;
retrieval calls it. The length is ``nova_dim``; the identity
``nova:amazon.nova-2-multimodal-embeddings-v1:0:<dim>`` is stored beside the vectors, so an index
built with Titan (or another length) is refused until ``reelrag ingest --reindex``. The model's
lifecycle is read (or taken from the on-disk reading) before the first paid call.

Texts longer than the model's 8K-token context are truncated at the end by the service
(``truncationMode: END``). Images are sent as PNG/JPEG, downscaled (aspect kept, logged) to at
most 2048 px per side to keep request bodies small -- ReelRAG's choice, not a documented limit.
Large ingests can go through batch inference (``CreateModelInvocationJob``,
:mod:`reelrag.embeddings.nova_batch`) when ``nova_batch_role_arn`` is set and one call holds at
least ``nova_batch_min`` texts or images; otherwise one synchronous call per text and image,
retried with backoff on throttling.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from reelrag.aws import lifecycle, schemas
from reelrag.aws.clients import invoke_retrying, make_client
from reelrag.embeddings.base import Embedder, EmbedderIdentity, unit_rows
from reelrag.embeddings.titan import blank_text_vector
from reelrag.errors import BackendError, ConfigError, InputError
from reelrag.settings import Settings

log = logging.getLogger(__name__)

MODEL_ID = "amazon.nova-2-multimodal-embeddings-v1:0"
SCHEMA_VERSION = "nova-multimodal-embed-v1"
NOVA_DIMS = (256, 384, 1024, 3072)
PURPOSES = (
    "GENERIC_INDEX", "GENERIC_RETRIEVAL", "TEXT_RETRIEVAL", "IMAGE_RETRIEVAL", "VIDEO_RETRIEVAL",
    "DOCUMENT_RETRIEVAL", "AUDIO_RETRIEVAL", "CLASSIFICATION", "CLUSTERING",
)  # fmt: skip
INDEX_PURPOSE = "GENERIC_INDEX"
QUERY_PURPOSE = "GENERIC_RETRIEVAL"
IMAGE_FORMATS = ("png", "jpeg", "gif", "webp")
MAX_SIDE_PX = 2048


class NovaEmbedder(Embedder):
    """Text, query and image vectors from Nova Multimodal Embeddings."""

    def __init__(
        self,
        client: Any = None,
        *,
        dim: int = 1024,
        settings: Settings | None = None,
        sleep: Callable[[float], None] | None = None,
        control: Any = None,
        batch: Any = None,
    ):
        if dim not in NOVA_DIMS:
            raise ConfigError(f"nova_dim={dim} is not supported", hint="use 256, 384, 1024 or 3072")
        self.identity = EmbedderIdentity("nova", MODEL_ID, dim, ("text", "image"))
        self._client = client
        self._control = control
        self._settings = settings
        self._sleep = sleep
        self._batch = batch  # a NovaBatch (tests pass one on stubbed clients)
        self.lifecycle: lifecycle.Lifecycle | None = None  # read before the first paid call
        self._first_call = lifecycle.FirstCallCheck(MODEL_ID)

    @classmethod
    def from_settings(cls, settings: Settings) -> NovaEmbedder:
        return cls(dim=int(settings.nova_dim), settings=settings)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_client("bedrock-runtime", self._settings or Settings())
        return self._client

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors to store (``GENERIC_INDEX``); an empty text gets the blank vector, no call."""
        return self._texts(texts, INDEX_PURPOSE)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors to search with (``GENERIC_RETRIEVAL``), in the same space."""
        return self._texts(texts, QUERY_PURPOSE)

    def embed_images(self, images: Sequence[Any]) -> np.ndarray:
        """Vectors for PIL images, image bytes or paths (``GENERIC_INDEX``)."""
        bodies: list[dict[str, Any] | None] = []
        for image in images:
            data, fmt = encode_for_nova(image)
            part = {"format": fmt, "detailLevel": "STANDARD_IMAGE", "source": {"bytes": data}}
            bodies.append(self.body(INDEX_PURPOSE, image=part))
        return self._embed_all(bodies)

    def body(
        self,
        purpose: str,
        *,
        text: str | None = None,
        image: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "embeddingPurpose": purpose,
            "embeddingDimension": self.identity.dim,
        }
        if text is not None:
            params["text"] = {"truncationMode": "END", "value": text}
        if image is not None:
            params["image"] = image
        return {
            "schemaVersion": SCHEMA_VERSION,
            "taskType": "SINGLE_EMBEDDING",
            "singleEmbeddingParams": params,
        }

    def _texts(self, texts: Sequence[str], purpose: str) -> np.ndarray:
        return self._embed_all([self.body(purpose, text=t) if t.strip() else None for t in texts])

    def _embed_all(self, bodies: Sequence[dict[str, Any] | None]) -> np.ndarray:
        """One vector per body (None: an empty text, the blank vector without a request);
        through one batch-inference job when configured and there are enough of them."""
        dim = self.identity.dim
        todo = {i: body for i, body in enumerate(bodies) if body is not None}
        rows = {i: blank_text_vector(dim) for i in range(len(bodies))}
        for body in todo.values():
            validate_nova_embedding(body)
        if self._use_batch(len(todo)):
            self._check_lifecycle()
            found = self._batch_runner().run(list(todo.values()))
            for i, vector in zip(list(todo), found, strict=True):
                if vector is not None and vector.shape == (dim,):
                    rows[i] = vector
                    del todo[i]  # what the batch did not embed is embedded synchronously
        for i, body in todo.items():
            rows[i] = self._embed(body)
        return self._stack([rows[i] for i in range(len(bodies))])

    def _use_batch(self, count: int) -> bool:
        settings = self._settings
        if settings is None or not settings.nova_batch_role_arn:
            return False
        return count >= max(1, int(settings.nova_batch_min))

    def _batch_runner(self) -> Any:
        if self._batch is None:
            from reelrag.embeddings.nova_batch import NovaBatch

            self._batch = NovaBatch(self._settings or Settings(), control=self._control_client())
        return self._batch

    def _embed(self, body: dict[str, Any]) -> np.ndarray:
        validate_nova_embedding(body)
        response = self._invoke(body)
        items = response.get("embeddings") or []
        first = items[0] if items and isinstance(items[0], Mapping) else {}
        vector = np.asarray(first.get("embedding") or [], dtype=np.float32)
        if vector.shape != (self.identity.dim,):
            raise BackendError(
                f"Nova returned {vector.shape[0]} values, expected {self.identity.dim}: "
                f"{response.get('message') or 'no message'}"
            )
        return vector

    def _check_lifecycle(self) -> None:
        """Once, before the first paid call (with settings): refused past end of life."""
        self.lifecycle = self._first_call(self._settings, self._control_client)

    def _control_client(self) -> Any:
        if self._control is None:
            self._control = make_client("bedrock", self._settings or Settings())
        return self._control

    def _invoke(self, body: dict[str, Any]) -> dict[str, Any]:
        self._check_lifecycle()
        return invoke_retrying(self.client, MODEL_ID, body, self._sleep)

    def _stack(self, rows: list[np.ndarray]) -> np.ndarray:
        return unit_rows(rows, self.identity.dim, "Nova")


def validate_nova_embedding(body: Mapping[str, Any]) -> None:
    """Validate a synchronous Nova Multimodal Embeddings body with one text or one image."""
    schemas._keys(body, "body", {"taskType", "singleEmbeddingParams"}, {"schemaVersion"})
    if body.get("schemaVersion", SCHEMA_VERSION) != SCHEMA_VERSION:
        raise InputError(f"schemaVersion must be {SCHEMA_VERSION}")
    if body["taskType"] != "SINGLE_EMBEDDING":
        raise InputError("taskType must be SINGLE_EMBEDDING for a synchronous call")
    params = body["singleEmbeddingParams"]
    schemas._keys(
        params,
        "singleEmbeddingParams",
        {"embeddingPurpose", "embeddingDimension"},
        {"text", "image"},
    )
    if params["embeddingPurpose"] not in PURPOSES:
        raise InputError(f"embeddingPurpose {params['embeddingPurpose']!r} is not documented")
    if params["embeddingDimension"] not in NOVA_DIMS:
        raise InputError(f"embeddingDimension must be one of {NOVA_DIMS}")
    if ("text" in params) == ("image" in params):
        raise InputError("give exactly one of text and image per request")
    if "text" in params:
        text = params["text"]
        schemas._keys(text, "text", {"truncationMode", "value"}, set())
        if text["truncationMode"] not in ("START", "END", "NONE"):
            raise InputError("text.truncationMode must be START, END or NONE")
        if not isinstance(text["value"], str) or not text["value"].strip():
            raise InputError("text.value must be a non-empty string")
        return
    image = params["image"]
    schemas._keys(image, "image", {"format", "source"}, {"detailLevel"})
    if image.get("detailLevel", "STANDARD_IMAGE") not in ("STANDARD_IMAGE", "DOCUMENT_IMAGE"):
        raise InputError("image.detailLevel must be STANDARD_IMAGE or DOCUMENT_IMAGE")
    schemas._keys(image["source"], "image.source", {"bytes"}, set())
    data = schemas._b64(image["source"]["bytes"], "image.source.bytes")
    if len(data) > schemas.MAX_IMAGE_BYTES:
        raise InputError(f"the image is {len(data)} bytes; the limit is {schemas.MAX_IMAGE_BYTES}")
    schemas.check_declared_format(data, image["format"], IMAGE_FORMATS)


def encode_for_nova(image: Any) -> tuple[str, str]:
    """(base64, format): PNG/JPEG bytes within 2048 px pass as they are, the rest become JPEG."""
    if isinstance(image, str | Path):
        image = Path(image).read_bytes()
    if isinstance(image, bytes | bytearray):
        data = bytes(image)
        fmt = schemas.sniff_format(data)
        opened = schemas.open_image(data)
        if fmt in ("png", "jpeg") and max(opened.size) <= MAX_SIDE_PX:
            return base64.b64encode(data).decode("ascii"), fmt
        image = opened
    if not isinstance(image, Image.Image):
        raise InputError(f"cannot embed a {type(image).__name__}; pass a PIL image, bytes or path")
    rgb = image.convert("RGB")
    if max(rgb.size) > MAX_SIDE_PX:
        log.info("downscaling a %dx%d image to %d px for Nova embeddings", *rgb.size, MAX_SIDE_PX)
        rgb.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    rgb.save(buffer, format="JPEG", quality=92)
    return base64.b64encode(buffer.getvalue()).decode("ascii"), "jpeg"
