"""Shrinking a freshly decoded image by an integer factor before anything else touches it.

When the caller only needs ``target_px`` (ingest caps the normalised copy at
``normalized_max_px``), a 100-120 Mpx PNG, TIFF or WebP is box-filtered down right after decoding,
so the upright turn and the conversion to 8-bit RGB (alpha compositing, 16-bit scaling in
floating point) work on a fraction of the pixels: these steps, not the decode, made several
gigabytes of peak memory. JPEGs are scaled inside libjpeg instead (``Image.draft``).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

STRIP_ROWS = 64  # output rows per strip: a few MB of copies at a time


def reduction_factor(size: tuple[int, int], target_px: int) -> int:
    """The largest integer factor that keeps the longest side at or above ``target_px``.

    >>> reduction_factor((11000, 10000), 2048), reduction_factor((3000, 2000), 2048)
    (5, 1)
    """
    return max(1, max(size) // max(1, target_px))


def reduce_to(im: Image.Image, target_px: int) -> Image.Image:
    """``im`` box-filtered by :func:`reduction_factor` (``im`` itself when no reduction helps).

    Works a strip of rows at a time, so the only full-size pixels in memory are the decoded ones
    (``Image.reduce`` on a whole RGBA image would first copy it premultiplied)."""
    factor = reduction_factor(im.size, target_px)
    if factor < 2:
        return im
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif im.mode == "1":
        im = im.convert("L")
    wide = im.mode.startswith("I;16")
    width, height = im.size[0] // factor, im.size[1] // factor
    out = Image.new("I" if wide else im.mode, (width, height))
    for top in range(0, height, STRIP_ROWS):
        rows = min(STRIP_ROWS, height - top)
        strip = im.crop((0, top * factor, width * factor, (top + rows) * factor))
        out.paste(_block_means(strip, factor) if wide else strip.reduce(factor), (0, top))
    return out


def _block_means(strip: Image.Image, factor: int) -> Image.Image:
    """Block means of a 16-bit strip as a 32-bit ``I`` image (Image.reduce refuses I;16)."""
    pixels = np.asarray(strip)
    rows, width = pixels.shape[0] // factor, pixels.shape[1] // factor
    sums = pixels.reshape(rows, factor, width, factor).sum(axis=(1, 3), dtype=np.int64)
    means = (sums + factor * factor // 2) // (factor * factor)
    return Image.fromarray(means.astype(np.int32), "I")
