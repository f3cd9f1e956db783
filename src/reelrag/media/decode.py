"""Robust image decoding: bytes in, upright 8-bit RGB plus embedded metadata out.

Owns format sniffing (from the bytes, never the extension), the decompression-bomb guard, EXIF
orientation, mode conversion (CMYK, 16-bit, palette, alpha, 1-bit, grey -> RGB), reduced-size
JPEG decoding, and reading embedded IPTC / XMP captions and keywords. Every failure is a
:class:`~reelrag.errors.DecodeError` with a one-line reason.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, IptcImagePlugin, UnidentifiedImageError

from reelrag.errors import DecodeError, InputError, first_line
from reelrag.media.reduce import reduce_to

log = logging.getLogger(__name__)

EXTENSIONS = {
    "JPEG": "jpg", "PNG": "png", "WEBP": "webp", "TIFF": "tif", "BMP": "bmp", "GIF": "gif",
    "HEIF": "heic", "MPO": "jpg",
}  # fmt: skip
LOSSLESS_FORMATS = frozenset({"PNG", "GIF", "BMP", "TIFF"})
ORIENTATION_TAG = 0x0112
XMP_TAG = 700
_heif_registered = False


@dataclass
class DecodedImage:
    """An upright RGB image and what the decoder learnt about the original.

    ``width``/``height`` are the original's upright size (before any reduction); ``notes`` lists
    every adjustment made (alpha composited, 16-bit scaled, ...). ``reusable_jpeg`` is True when
    the original bytes already are an upright 8-bit RGB baseline JPEG that can serve as the
    normalised copy unchanged.
    """

    image: Image.Image
    format: str
    width: int
    height: int
    mode: str
    metadata: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    reusable_jpeg: bool = False

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.format, self.format.lower())


def decode_image(
    data: bytes,
    *,
    max_pixels: int,
    target_px: int | None = None,
    name: str = "image",
    reuse_target_px: int | None = None,
) -> DecodedImage:
    """Decode ``data`` into an upright RGB image.

    ``target_px``: when set, JPEGs may be decoded at a reduced size (DCT scaling) whose longest
    side is at least 3/4 of ``target_px``, other formats are box-filtered by an integer factor
    right after decoding (longest side at least ``target_px``); callers then resize to the exact
    size they need.
    ``reuse_target_px``: the smaller size to decode at when the original is reusable as the
    normalised copy (the caller then only needs a thumbnail from the pixels).

    >>> buf = io.BytesIO(); Image.new("L", (4, 2), 128).save(buf, "PNG")
    >>> d = decode_image(buf.getvalue(), max_pixels=100)
    >>> (d.format, d.image.mode, d.image.size)
    ('PNG', 'RGB', (4, 2))
    """
    if not data:
        raise DecodeError(f"{name}: empty file (0 bytes)", hint="remove it or re-export it")
    _register_heif()
    # ReelRAG enforces its own limit (max_pixels) and raises; Pillow's warning for the same
    # condition would only duplicate it. Re-applied per call because apps and test runners
    # reset warning filters; filterwarnings replaces an identical filter, so it never piles up.
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
    im = _open(data, name)
    try:
        decoded = _decode_opened(im, max_pixels, target_px, name, reuse_target_px)
    except BaseException:
        im.close()
        raise
    if decoded.image is not im:
        im.close()
    return decoded


def _open(data: bytes, name: str) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise DecodeError(f"{name}: {exc}", hint="raise max_image_pixels if you trust it") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        if "truncat" in str(exc).lower():  # the header itself is cut short
            raise DecodeError(
                f"{name}: damaged or truncated image data ({_short(exc)})",
                hint="re-export or re-download the file",
            ) from exc
        raise DecodeError(
            f"{name}: not a readable image ({_short(exc)})",
            hint="check the file is a JPEG, PNG, WebP, TIFF, BMP, GIF or HEIC image",
        ) from exc


def _decode_opened(
    im: Image.Image,
    max_pixels: int,
    target_px: int | None,
    name: str,
    reuse_target_px: int | None = None,
) -> DecodedImage:
    fmt = im.format or "unknown"
    _check_size(im, max_pixels, name)
    orientation = _orientation(im)
    width, height = im.size if orientation not in (5, 6, 7, 8) else im.size[::-1]
    metadata = read_metadata(im)
    reusable = _is_reusable_jpeg(im, orientation)
    draft_px = reuse_target_px if reusable and reuse_target_px else target_px
    if fmt == "JPEG" and draft_px:
        _draft(im, draft_px)
    mode = im.mode
    image = _load(im, name)
    if fmt != "JPEG" and target_px:
        image = reduce_to(image, target_px)  # before the steps that copy the pixels
        if image is not im:
            im.close()  # free the full-size pixels now
    notes: list[str] = []
    image = _upright(image, orientation, notes)
    image = to_rgb(image, notes)
    return DecodedImage(image, fmt, width, height, mode, metadata, notes, reusable)


def _check_size(im: Image.Image, max_pixels: int, name: str) -> None:
    pixels = im.size[0] * im.size[1]
    if pixels > max_pixels or im.size[0] <= 0 or im.size[1] <= 0:
        raise DecodeError(
            f"{name}: declares {im.size[0]}x{im.size[1]} = {pixels:,} pixels, over the "
            f"limit of {max_pixels:,} (possible decompression bomb)",
            hint="raise the max_image_pixels setting if you trust this file",
        )


def _orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(ORIENTATION_TAG, 1)
    except Exception:  # a broken EXIF block must not lose the image; treat as upright
        log.debug("unreadable EXIF ignored", exc_info=True)
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _is_reusable_jpeg(im: Image.Image, orientation: int) -> bool:
    """An upright 8-bit RGB baseline JPEG is already normalised in format. Its size is not
    capped here: readers decode it at a reduced size (DCT scaling) whenever they need less,
    which is as fast as reading a smaller stored copy and saves encoding one at ingest."""
    return (
        im.format == "JPEG"
        and im.mode == "RGB"
        and orientation == 1
        and not im.info.get("progressive")
        and not im.info.get("progression")
    )


def _draft(im: Image.Image, target_px: int) -> None:
    """Let libjpeg scale by 1/2, 1/4 or 1/8 while the longest side stays >= 3/4 of the target.

    Decoding at a reduced scale is several times faster than a full decode plus resize, and the
    DCT scaling is a good-quality box filter; 3/4 keeps the loss of detail small.
    """
    longest = max(im.size)
    scale = 1
    while scale < 8 and longest / (scale * 2) >= target_px * 0.75:
        scale *= 2
    if scale > 1:
        im.draft(im.mode, (im.size[0] // scale, im.size[1] // scale))


def _load(im: Image.Image, name: str) -> Image.Image:
    try:
        im.seek(0)  # animated GIF / WebP / multi-page TIFF: the first frame
        im.load()
    except Image.DecompressionBombError as exc:
        raise DecodeError(f"{name}: {exc}", hint="raise max_image_pixels if you trust it") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise DecodeError(
            f"{name}: damaged or truncated {im.format or 'image'} data ({_short(exc)})",
            hint="re-export or re-download the file",
        ) from exc
    return im


def _upright(im: Image.Image, orientation: int, notes: list[str]) -> Image.Image:
    if orientation == 1:
        return im
    notes.append(f"rotated upright (EXIF orientation {orientation})")
    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }[orientation]  # fmt: skip
    return im.transpose(method)


def to_rgb(im: Image.Image, notes: list[str] | None = None) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB, appending what was done to ``notes``.

    Alpha is composited onto white; 16-bit and 32-bit integer data are scaled from 0..65535;
    float data from 0..1 (or its own min..max when it exceeds that range).
    """
    notes = notes if notes is not None else []
    mode = im.mode
    if mode == "RGB":
        return im
    if mode.startswith("I") or mode == "F":
        return _wide_to_rgb(im, notes)
    if mode == "P":
        im = im.convert("RGBA") if "transparency" in im.info else im.convert("RGB")
    elif mode in ("PA", "La", "RGBa", "LA"):
        im = im.convert("RGBA")
    if im.mode == "RGBA":
        return _composite_on_white(im, notes)
    if mode == "CMYK":
        notes.append("converted CMYK to RGB")
    elif mode not in ("P", "L", "1"):
        notes.append(f"converted {mode} to RGB")
    return im.convert("RGB")


def _composite_on_white(im: Image.Image, notes: list[str]) -> Image.Image:
    alpha = im.getchannel("A")
    low, _ = alpha.getextrema()
    if isinstance(low, int | float) and low < 255:
        notes.append("alpha composited onto white")
    background = Image.new("RGB", im.size, (255, 255, 255))
    background.paste(im, mask=alpha)
    return background


def _wide_to_rgb(im: Image.Image, notes: list[str]) -> Image.Image:
    array = np.asarray(im).astype(np.float64)
    if im.mode == "F":
        low, high = float(array.min()), float(array.max())
        if low >= 0.0 and high <= 1.0:
            array = array * 255.0
            notes.append("scaled float 0..1 to 8-bit")
        else:
            array = (array - low) * (255.0 / max(high - low, 1e-12))
            notes.append(f"stretched float range {low:g}..{high:g} to 8-bit")
    else:
        array = np.clip(array, 0, 65535) / 257.0
        notes.append("scaled 16-bit to 8-bit")
    grey = Image.fromarray(np.clip(np.rint(array), 0, 255).astype(np.uint8), "L")
    return grey.convert("RGB")


def _short(exc: BaseException) -> str:
    """The first line of ``exc``'s message, without Pillow's object reprs."""
    if isinstance(exc, UnidentifiedImageError):
        return "unknown or unsupported format"
    text = first_line(exc)
    return re.sub(r"<[^<>]* at 0x[0-9a-f]+>", "the data", text)[:160]


def _register_heif() -> None:
    """Register the HEIC opener on first use; absent pillow-heif just means no HEIC."""
    global _heif_registered
    if _heif_registered:
        return
    _heif_registered = True
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        log.debug("pillow-heif not installed: HEIC files will not decode")
        return
    register_heif_opener()


# --- embedded metadata -------------------------------------------------------------------------


def read_metadata(im: Image.Image) -> dict[str, Any]:
    """Caption and keywords embedded as IPTC (2:120, 2:25), XMP (dc:description, dc:subject).

    Keys present only when found: ``iptc_caption``, ``iptc_keywords``, ``xmp_description``,
    ``xmp_subject``.
    """
    out: dict[str, Any] = {}
    out.update(_read_iptc(im))
    packet = _xmp_packet(im)
    if packet:
        out.update(parse_xmp(packet))
    return out


def _read_iptc(im: Image.Image) -> dict[str, Any]:
    try:
        info = IptcImagePlugin.getiptcinfo(im) or {}  # type: ignore[arg-type]
    except Exception:  # malformed IPTC must not lose the image; it only loses the caption
        log.debug("unreadable IPTC ignored", exc_info=True)
        return {}
    out: dict[str, Any] = {}
    caption = _texts(info.get((2, 120)))
    keywords = _texts(info.get((2, 25)))
    if caption:
        out["iptc_caption"] = " ".join(caption)
    if keywords:
        out["iptc_keywords"] = keywords
    return out


def _texts(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value] if value else []
    texts = []
    for item in values:
        text = item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)
        if text.strip():
            texts.append(text.strip())
    return texts


def _xmp_packet(im: Image.Image) -> str | None:
    raw = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
    if raw is None and hasattr(im, "tag_v2"):
        raw = im.tag_v2.get(XMP_TAG)
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    return raw if isinstance(raw, str) else None


_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def parse_xmp(packet: str) -> dict[str, Any]:
    """``xmp_description`` and ``xmp_subject`` from an XMP packet (empty dict if unparsable)."""
    try:
        root = ET.fromstring(packet.strip().strip("\x00"))
    except ET.ParseError:
        log.debug("unparsable XMP ignored")
        return {}
    out: dict[str, Any] = {}
    description = [_clean(li.text) for li in root.iterfind(".//dc:description//rdf:li", _NS)]
    description = [d for d in description if d]
    subject = [_clean(li.text) for li in root.iterfind(".//dc:subject//rdf:li", _NS)]
    subject = [s for s in subject if s]
    if description:
        out["xmp_description"] = description[0]
    if subject:
        out["xmp_subject"] = subject
    return out


def _clean(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def read_image_file(path: Path, option: str = "--image") -> bytes:
    """The bytes of a user's image file, or an InputError naming ``option`` to fix."""
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"image {path} does not exist", hint=f"check the {option} path") from exc
    except OSError as exc:
        raise InputError(
            f"cannot read image {path}: {exc.strerror}", hint="check the file"
        ) from exc


def decode_file(
    path: Path, *, max_pixels: int, option: str = "--image"
) -> tuple[DecodedImage, str]:
    """Read and decode a user's image file: the decoded image and the SHA-256 of its bytes."""
    data = read_image_file(path, option)
    decoded = decode_image(data, max_pixels=max_pixels, name=str(path))
    return decoded, hashlib.sha256(data).hexdigest()
