"""The copies ingest keeps of each photo: the original bytes, a normalised copy and a thumbnail,
under ``assets/<hash prefix>/<hash>.*`` in the object store."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime

from PIL import Image

from reelrag.library.sources import SourceFile
from reelrag.media.decode import LOSSLESS_FORMATS, DecodedImage
from reelrag.settings import Settings
from reelrag.storage.base import ObjectStore
from reelrag.types import Asset

log = logging.getLogger(__name__)

JPEG_QUALITY = 90
THUMBNAIL_QUALITY = 85


def objects_exist(store: ObjectStore, asset: Asset) -> bool:
    """Whether every stored copy of ``asset`` is still in ``store``."""
    keys = {asset.original_key, asset.normalized_key, asset.thumbnail_key} - {""}
    return all(store.exists(key) for key in keys)


def store_objects(
    store: ObjectStore,
    settings: Settings,
    file: SourceFile,
    asset_id: str,
    data: bytes,
    decoded: DecodedImage,
) -> Asset:
    """Store the original, the normalised copy and the thumbnail of one decoded file; the asset
    that points at them."""
    # One folder per hash prefix, no folder per asset: creating one costs as much as a file.
    base = f"assets/{asset_id[:2]}/{asset_id}"
    original_key = f"{base}.original.{decoded.extension}"
    if not store.exists(original_key):
        store.put_bytes(original_key, data, _content_type(decoded.format))
    normalized = fit_longest(decoded.image, settings.normalized_max_px)
    if decoded.reusable_jpeg:
        # Already an upright 8-bit RGB baseline JPEG: it serves as the normalised copy, and
        # readers decode it at a reduced size (Library.image) when it is larger.
        normalized_key = original_key
    else:
        fmt = "PNG" if decoded.format in LOSSLESS_FORMATS else "JPEG"
        normalized_key = f"{base}.normalized.{'png' if fmt == 'PNG' else 'jpg'}"
        store.put_bytes(normalized_key, encode(normalized, fmt), _content_type(fmt))
    thumb_key = f"{base}.thumbnail.jpg"
    thumb = fit_longest(normalized, settings.thumbnail_px, 2.0, Image.Resampling.BICUBIC)
    store.put_bytes(thumb_key, encode(thumb, "JPEG", THUMBNAIL_QUALITY), "image/jpeg")
    for note in decoded.notes:
        log.info("%s: %s", file.name, note)
    return Asset(
        id=asset_id, source=file.uri, width=decoded.width, height=decoded.height,
        format=decoded.format, folder=file.folder, original_key=original_key,
        normalized_key=normalized_key, thumbnail_key=thumb_key, size_bytes=len(data),
        ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )  # fmt: skip


def fit_longest(
    image: Image.Image,
    max_px: int,
    reducing_gap: float = 3.0,
    resample: Image.Resampling = Image.Resampling.LANCZOS,
) -> Image.Image:
    """``image`` scaled down (never up) so its longest side is at most ``max_px``.

    ``reducing_gap``: box-reduce first down to that multiple of the size, then ``resample``;
    2.0 with bicubic is fine for thumbnails and several times faster than a full Lanczos.
    """
    width, height = image.size
    longest = max(width, height)
    if longest <= max_px:
        return image
    scale = max_px / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, resample, reducing_gap=reducing_gap)


def encode(image: Image.Image, fmt: str, quality: int = JPEG_QUALITY) -> bytes:
    """Bytes of ``image`` as JPEG (``quality``) or PNG (fast compression)."""
    buffer = io.BytesIO()
    if fmt == "PNG":
        image.save(buffer, "PNG", compress_level=1)
    else:
        image.save(buffer, "JPEG", quality=quality, optimize=False)
    return buffer.getvalue()


def _content_type(fmt: str) -> str:
    return {"JPEG": "image/jpeg", "PNG": "image/png", "HEIF": "image/heic"}.get(
        fmt, f"image/{fmt.lower()}"
    )
