"""Decoding the awkward corpus: every case decodes to the right pixels or fails with a reason."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

import imagecorpus
from imagecorpus import Bad, Ok
from reelrag.errors import DecodeError
from reelrag.library.sources import FileSource
from reelrag.media.decode import decode_image, parse_xmp, to_rgb

MAX_PIXELS = 50_000_000
NAMES = [*imagecorpus._cases(), "photo.heic", "loop.jpg", "locked.jpg"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Ok | Bad]]:
    folder = tmp_path_factory.mktemp("corpus")
    return folder, imagecorpus.write_corpus(folder)


def _decode(path: Path, target_px: int | None = None):
    data = FileSource().read_bytes(str(path))
    return decode_image(data, max_pixels=MAX_PIXELS, target_px=target_px, name=path.name)


@pytest.mark.parametrize("name", NAMES)
def test_corpus_case(corpus: tuple[Path, dict[str, Ok | Bad]], name: str) -> None:
    folder, expected = corpus
    if name not in expected:
        pytest.skip(f"{name} cannot be made here (root user or no HEIC encoder)")
    outcome = expected[name]
    if isinstance(outcome, Bad):
        with pytest.raises(DecodeError) as info:
            _decode(folder / name)
        assert outcome.reason in info.value.message
        assert "\n" not in str(info.value)
        return
    decoded = _decode(folder / name)
    assert decoded.format == outcome.format
    assert (decoded.width, decoded.height) == outcome.size
    assert decoded.image.mode == "RGB"
    assert decoded.image.size == outcome.size
    for (x, y), colour in outcome.pixels.items():
        got = decoded.image.getpixel((x, y))
        assert imagecorpus.close(got, colour), f"{name} pixel {(x, y)} = {got}, want {colour}"
    for key, value in outcome.metadata.items():
        assert decoded.metadata[key] == value
    if outcome.note:
        assert any(outcome.note in note for note in decoded.notes), decoded.notes
    if outcome.reusable is not None:
        assert decoded.reusable_jpeg is outcome.reusable


def test_folder_named_like_an_image_is_not_read(corpus: tuple[Path, dict[str, Ok | Bad]]) -> None:
    folder, _ = corpus
    with pytest.raises(DecodeError, match="folder"):
        _decode(folder / "folder.jpg")


def test_large_jpeg_decodes_reduced_but_reports_full_size() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (1600, 1200), (10, 120, 200)).save(buf, "JPEG")
    decoded = decode_image(buf.getvalue(), max_pixels=MAX_PIXELS, target_px=400)
    assert (decoded.width, decoded.height) == (1600, 1200)
    # DCT scaling by 1/2 or 1/4 keeps the longest side >= 3/4 of the target and <= 2x it.
    assert 300 <= max(decoded.image.size) <= 800
    assert decoded.reusable_jpeg  # upright baseline RGB: reusable whatever its size


def test_bomb_limit_is_the_setting() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (100, 100)).save(buf, "PNG")
    with pytest.raises(DecodeError, match="max_image_pixels"):
        decode_image(buf.getvalue(), max_pixels=9_999)
    assert decode_image(buf.getvalue(), max_pixels=10_000).image.size == (100, 100)


def test_cmyk_colours_roughly_right() -> None:
    colours = [(255, 0, 0), (0, 0, 255), (255, 255, 0), (30, 30, 30)]
    for colour in colours:
        buf = io.BytesIO()
        Image.new("RGB", (16, 16), colour).convert("CMYK").save(buf, "JPEG", quality=95)
        got = decode_image(buf.getvalue(), max_pixels=MAX_PIXELS).image.getpixel((8, 8))
        assert imagecorpus.close(got, colour, 20), (colour, got)


def test_to_rgb_float_out_of_range_is_stretched() -> None:
    im = Image.new("F", (4, 1))
    for x, value in enumerate([-2.0, 0.0, 2.0, 6.0]):
        im.putpixel((x, 0), value)
    notes: list[str] = []
    rgb = to_rgb(im, notes)
    assert [rgb.getpixel((x, 0))[0] for x in range(4)] == [0, 64, 128, 255]
    assert "stretched" in notes[0]


def test_parse_xmp_tolerates_garbage() -> None:
    assert parse_xmp("<not xml") == {}
    assert parse_xmp(imagecorpus.XMP_PACKET)["xmp_subject"] == ["lighthouse", "coast"]
