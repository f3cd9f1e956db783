"""An awkward and malformed image corpus for decoder and ingest tests.

``write_corpus(folder)`` writes every case and returns what each should decode to: either an
:class:`Ok` (real format, upright size, optional checks) or a :class:`Bad` (a phrase the one-line
reason must contain). Images are tiny so the tests stay fast.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

RED, GREEN, BLUE, WHITE, BLACK = (255, 0, 0), (0, 200, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0)

XMP_PACKET = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description><rdf:Alt>'
    '<rdf:li xml:lang="x-default">A lighthouse at dusk</rdf:li></rdf:Alt></dc:description>'
    "<dc:subject><rdf:Bag><rdf:li>lighthouse</rdf:li><rdf:li>coast</rdf:li></rdf:Bag>"
    '</dc:subject></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


@dataclass
class Ok:
    format: str
    size: tuple[int, int]  # upright (width, height) of the original
    pixels: dict[tuple[int, int], tuple[int, int, int]] = field(default_factory=dict)
    metadata: dict[str, object] = field(default_factory=dict)
    note: str | None = None  # a phrase one of DecodedImage.notes must contain
    reusable: bool | None = None


@dataclass
class Bad:
    reason: str  # a phrase the DecodeError message must contain


def _jpeg(im: Image.Image, **options: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=95, **options)
    return buf.getvalue()


def _save(im: Image.Image, fmt: str, **options: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **options)
    return buf.getvalue()


def _marker_image(size: tuple[int, int] = (64, 32)) -> Image.Image:
    """Grey image with a red block in the top-left corner of the stored pixels."""
    im = Image.new("RGB", size, (128, 128, 128))
    im.paste(RED, (0, 0, 12, 12))
    return im


def _exif_rotated(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return _jpeg(_marker_image(), exif=exif.tobytes())


def _iptc_jpeg(caption: str, keywords: list[str]) -> bytes:
    def dataset(tag: int, text: str) -> bytes:
        raw = text.encode()
        return bytes([0x1C, 2, tag]) + struct.pack(">H", len(raw)) + raw

    iptc = dataset(120, caption) + b"".join(dataset(25, k) for k in keywords)
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\0\0" + struct.pack(">I", len(iptc)) + iptc
    resource += b"\0" * (len(iptc) % 2)
    payload = b"Photoshop 3.0\0" + resource
    segment = b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload
    jpeg = _jpeg(Image.new("RGB", (40, 30), BLUE))
    return jpeg[:2] + segment + jpeg[2:]


def _bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header that declares a huge image; the file itself is tiny."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _grey16() -> Image.Image:
    array = np.zeros((8, 8), dtype=np.uint16)
    array[:, 4:] = 65535
    array[0, 0] = 32896  # 32896 / 257 = 128
    return Image.fromarray(array)  # uint16 -> mode I;16


def _animated_gif() -> bytes:
    frames = [Image.new("RGB", (20, 20), RED), Image.new("RGB", (20, 20), BLUE)]
    return _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def _half_transparent(mode: str) -> bytes:
    colour = (*GREEN, 255) if mode == "RGBA" else (0, 255)
    im = Image.new(mode, (20, 10), colour)
    im.paste((0, 0, 0, 0) if mode == "RGBA" else (0, 0), (0, 0, 10, 10))
    return _save(im, "PNG")


def _palette_with_transparency() -> bytes:
    im = Image.new("P", (10, 10), 1)
    im.putpalette([0, 0, 0, *RED] + [0] * 762)
    im.paste(0, (0, 0, 5, 10))
    return _save(im, "PNG", transparency=0)


def _one_bit() -> bytes:
    im = Image.new("1", (16, 16), 0)
    im.paste(1, (8, 0, 16, 16))
    return _save(im, "BMP")


def _float_tiff() -> bytes:
    array = np.zeros((6, 6), dtype=np.float32)
    array[:, 3:] = 1.0
    return _save(Image.fromarray(array), "TIFF")  # float32 -> mode F


def _heic() -> bytes | None:
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        return _save(Image.new("RGB", (64, 48), RED), "HEIF", quality=90)
    except Exception:  # no encoder in this build: the HEIC case is skipped
        return None


def _cases() -> dict[str, tuple[bytes, Ok | Bad]]:
    photo = _jpeg(Image.new("RGB", (48, 32), GREEN))
    cmyk = Image.new("RGB", (16, 16), RED).convert("CMYK")
    return {
        "baseline.jpg": (photo, Ok("JPEG", (48, 32), {(5, 5): GREEN}, reusable=True)),
        "truncated.jpg": (_jpeg(_marker_image((256, 256)))[:400], Bad("truncated")),
        "empty.jpg": (b"", Bad("empty file")),
        "garbage.jpg": (np.random.default_rng(7).bytes(3000), Bad("not a readable image")),
        "text.jpg": (b"this is not an image, just some text\n" * 5, Bad("not a readable image")),
        "png_named.jpg": (_save(Image.new("RGB", (9, 7), BLUE), "PNG"), Ok("PNG", (9, 7))),
        "jpeg_named.png": (photo, Ok("JPEG", (48, 32), {(5, 5): GREEN})),
        "cmyk.jpg": (_jpeg(cmyk), Ok("JPEG", (16, 16), {(8, 8): RED}, note="CMYK")),
        "grey16.png": (
            _save(_grey16(), "PNG"),
            Ok("PNG", (8, 8), {(0, 0): (128,) * 3, (1, 1): BLACK, (6, 6): WHITE}, note="16-bit"),
        ),
        "grey16.tif": (
            _save(_grey16(), "TIFF"),
            Ok("TIFF", (8, 8), {(1, 1): BLACK, (6, 6): WHITE}, note="16-bit"),
        ),
        "float.tif": (_float_tiff(), Ok("TIFF", (6, 6), {(0, 0): BLACK, (5, 5): WHITE})),
        "animated.gif": (_animated_gif(), Ok("GIF", (20, 20), {(10, 10): RED})),
        "rgba.png": (
            _half_transparent("RGBA"),
            Ok("PNG", (20, 10), {(2, 5): WHITE, (15, 5): GREEN}, note="alpha"),
        ),
        "la.png": (
            _half_transparent("LA"),
            Ok("PNG", (20, 10), {(2, 5): WHITE, (15, 5): BLACK}, note="alpha"),
        ),
        "palette_alpha.png": (
            _palette_with_transparency(),
            Ok("PNG", (10, 10), {(1, 5): WHITE, (8, 5): RED}, note="alpha"),
        ),
        "onebit.bmp": (_one_bit(), Ok("BMP", (16, 16), {(2, 2): BLACK, (12, 2): WHITE})),
        # Orientation 6: displayed rotated 90° clockwise, so the stored top-left marker is
        # top-right when upright; orientation 8 (90° counter-clockwise) puts it bottom-left.
        "rot6.jpg": (_exif_rotated(6), Ok("JPEG", (32, 64), {(28, 3): RED, (3, 3): (128,) * 3})),
        "rot8.jpg": (_exif_rotated(8), Ok("JPEG", (32, 64), {(3, 60): RED, (3, 3): (128,) * 3})),
        "photo.webp": (
            _save(Image.new("RGB", (30, 20), BLUE), "WEBP", lossless=True),
            Ok("WEBP", (30, 20), {(15, 10): BLUE}),
        ),
        "progressive.jpg": (
            _jpeg(Image.new("RGB", (40, 40), GREEN), progressive=True),
            Ok("JPEG", (40, 40), {(20, 20): GREEN}, reusable=False),
        ),
        "bomb.png": (_bomb_png(12_000, 12_000), Bad("decompression bomb")),
        "hugebomb.png": (_bomb_png(100_000, 100_000), Bad("decompression bomb")),
        "iptc.jpg": (
            _iptc_jpeg("Red shoes on a wooden floor", ["shoes", "red"]),
            Ok(
                "JPEG",
                (40, 30),
                metadata={
                    "iptc_caption": "Red shoes on a wooden floor",
                    "iptc_keywords": ["shoes", "red"],
                },
            ),
        ),
        "xmp.jpg": (
            _jpeg(Image.new("RGB", (30, 30), BLUE), xmp=XMP_PACKET.encode()),
            Ok(
                "JPEG",
                (30, 30),
                metadata={
                    "xmp_description": "A lighthouse at dusk",
                    "xmp_subject": ["lighthouse", "coast"],
                },
            ),
        ),
    }


def write_corpus(folder: Path) -> dict[str, Ok | Bad]:
    """Write every case into ``folder``; return the expected outcome by file name.

    Besides the byte cases: a folder named ``folder.jpg``, a symlink loop ``loop.jpg``, an
    unreadable file (only when not running as root, which could read it anyway) and a HEIC
    when pillow-heif can encode one.
    """
    folder.mkdir(parents=True, exist_ok=True)
    expected: dict[str, Ok | Bad] = {}
    for name, (data, outcome) in _cases().items():
        (folder / name).write_bytes(data)
        expected[name] = outcome
    heic = _heic()
    if heic is not None:
        (folder / "photo.heic").write_bytes(heic)
        expected["photo.heic"] = Ok("HEIF", (64, 48), {(30, 20): RED})
    (folder / "folder.jpg").mkdir(exist_ok=True)
    os.symlink("loop.jpg", folder / "loop.jpg")
    expected["loop.jpg"] = Bad("symlink loop")
    if os.geteuid() != 0:
        locked = folder / "locked.jpg"
        locked.write_bytes(_jpeg(Image.new("RGB", (8, 8), RED)))
        locked.chmod(0)
        expected["locked.jpg"] = Bad("permission denied")
    return expected


def close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 12) -> bool:
    """Colours equal within ``tolerance`` per channel (JPEG is lossy)."""
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))
