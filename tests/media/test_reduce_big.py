"""Big non-JPEG images are box-filtered right after decoding when the caller caps the size, so the
conversions to 8-bit RGB never run on 100 Mpx (measured on 110 Mpx files: see the issue-19 note)."""

from __future__ import annotations

import io
import tracemalloc

import numpy as np
import pytest
from PIL import Image

from reelrag.media.decode import decode_image
from reelrag.media.reduce import reduce_to


def _png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def test_16bit_png_is_reduced_before_the_float_conversion() -> None:
    ramp = np.tile(np.linspace(0, 65535, 4000, dtype=np.uint16), (3000, 1))
    data = _png(Image.fromarray(ramp))
    tracemalloc.start()
    try:
        decoded = decode_image(data, max_pixels=20_000_000, target_px=512)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (decoded.width, decoded.height) == (4000, 3000)  # the original's size is kept
    assert decoded.image.size == (571, 428) and decoded.image.mode == "RGB"
    assert peak < 20_000_000, f"{peak / 1e6:.0f} MB of arrays for a 12 Mpx image"
    row = np.asarray(decoded.image)[0, :, 0].astype(int)
    assert row[0] <= 2 and row[-1] >= 253 and np.all(np.diff(row) >= 0)  # still a ramp


def test_rgba_png_is_reduced_and_composited_small() -> None:
    im = Image.new("RGBA", (3000, 2000), (200, 20, 20, 128))
    decoded = decode_image(_png(im), max_pixels=20_000_000, target_px=600)
    assert decoded.image.size == (600, 400) and decoded.image.mode == "RGB"
    assert decoded.image.getpixel((10, 10)) == pytest.approx((227, 137, 137), abs=2)
    assert "alpha composited onto white" in decoded.notes


@pytest.mark.parametrize("mode", ["P", "1", "L", "RGB", "I;16", "F", "CMYK"])
def test_every_mode_reduces(mode: str) -> None:
    small = reduce_to(Image.new(mode, (1030, 517)), 256)
    assert small.size == (257, 129)
