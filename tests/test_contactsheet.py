"""Contact sheets: PNG grids and self-contained HTML built from real (small) images."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest
from PIL import Image

from reelrag.contactsheet import (
    SheetCell,
    TextBlock,
    contact_sheet_png,
    fit_lines,
    grid_png,
    load_thumbnail,
    results_html,
    sheet_font,
    write_contact_sheet,
)
from reelrag.errors import InputError, OutputExistsError
from reelrag.retrieval import SearchResults
from reelrag.storage.memory import MemoryStore
from reelrag.types import SearchHit, SearchRequest
from retrieval_library import make_asset

COLOURS = [(200, 30, 30), (30, 200, 30), (30, 30, 200)]


def _jpeg(colour: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def hits(store: MemoryStore, tmp_path: Path) -> list[SearchHit]:
    made = []
    for i, colour in enumerate(COLOURS):
        asset = make_asset(i, f"img{i}", f"<b>caption</b> number {i}", "f")
        if i == 0:  # thumbnail in the store
            store.put_bytes(f"thumbs/{i}.jpg", _jpeg(colour, (64, 40)))
            asset = asset.replace(thumbnail_key=f"thumbs/{i}.jpg")
        elif i == 1:  # only the user's source file exists (read, never changed)
            source = tmp_path / "src.jpg"
            source.write_bytes(_jpeg(colour, (40, 64)))
            asset = asset.replace(source=str(source))
        made.append(SearchHit(asset, score=0.9 - i / 10, rank=i + 1, why="vector 0.90"))
    return made  # the third has no image anywhere: a placeholder is drawn


def test_thumbnail_lookup_order(hits: list[SearchHit], store: MemoryStore) -> None:
    first = load_thumbnail(hits[0].asset, store, 32)
    assert first is not None and max(first.size) == 32 and first.size[0] > first.size[1]
    second = load_thumbnail(hits[1].asset, store, 32)
    assert second is not None and second.size[1] > second.size[0]
    assert load_thumbnail(hits[2].asset, store) is None


def test_png_grid(hits: list[SearchHit], store: MemoryStore) -> None:
    data = contact_sheet_png(hits, store, columns=2, cell_px=64)
    with Image.open(io.BytesIO(data)) as sheet:
        sheet = sheet.convert("RGB")
        assert sheet.width == 2 * (64 + 10) + 10
        # the first cell's centre shows the red thumbnail
        r, g, b = sheet.getpixel((10 + 32, 10 + 32))  # type: ignore[misc]
        assert r > 150 and g < 80 and b < 80


def test_html_is_self_contained_and_escaped(hits: list[SearchHit], store: MemoryStore) -> None:
    results = SearchResults(hits, SearchRequest("red <thing>"), min_score=0.4, store=store)
    page = results_html(results, store)
    images = re.findall(r'src="data:image/jpeg;base64,([^"]+)"', page)
    assert len(images) == 2  # the third asset has no image
    Image.open(io.BytesIO(base64.b64decode(images[0]))).verify()
    assert "<b>caption</b>" not in page and "&lt;b&gt;caption&lt;/b&gt;" in page
    assert "red &lt;thing&gt;" in page and "http" not in page


def test_headings_and_title_label_a_sheet_of_other_hits(
    hits: list[SearchHit], store: MemoryStore
) -> None:
    headings = ["line 2 · 0.90 · <red> shoes", "line 3 · 0.80 · a cat", "line 4 · 0.70 · sky"]
    page = results_html(hits, store, headings=headings, title="ReelRAG batch b1")
    assert "&lt;red&gt; shoes" in page and "<red>" not in page and "#1" not in page
    assert "<title>ReelRAG batch b1</title>" in page and "vector 0.90" in page
    plain = contact_sheet_png(hits, store, columns=3, cell_px=96)
    headed = contact_sheet_png(hits, store, columns=3, cell_px=96, headings=headings)
    with Image.open(io.BytesIO(plain)) as a, Image.open(io.BytesIO(headed)) as b:
        assert b.height > a.height  # the heading and the why add lines under each thumbnail
    with pytest.raises(ValueError, match="2 headings for 3 hits"):
        results_html(hits, store, headings=headings[:2])


def test_write_contact_sheet_atomic_and_safe(
    hits: list[SearchHit], store: MemoryStore, tmp_path: Path
) -> None:
    png = write_contact_sheet(hits, store, tmp_path / "out" / "sheet.png")
    assert png.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(OutputExistsError):
        write_contact_sheet(hits, store, png)
    write_contact_sheet(hits[:1], store, png, overwrite=True)
    with pytest.raises(InputError, match=r"\.png or \.html"):
        write_contact_sheet(hits, store, tmp_path / "sheet.gif")
    with pytest.raises(InputError, match="no hits"):
        contact_sheet_png([], store)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["sheet.png"]  # no temp files


@pytest.mark.parametrize("width", [40, 70, 120, 200])
def test_text_fits_the_cell(width: int) -> None:
    font = sheet_font()
    text = "A rocket on its launch pad, with snow falling. Camera tilts up from the pad to the sky"
    lines = fit_lines(text, font, width, 2)
    assert 1 <= len(lines) <= 2 and all(font.getlength(line) <= width for line in lines)
    assert lines[-1].endswith("…")
    shown = "".join(lines).rstrip("…").replace(" ", "")
    assert text.replace(" ", "").startswith(shown)
    everything = fit_lines(text, font, width, 99)
    # nothing lost or reordered (a word too long for the cell is broken across lines)
    assert "".join(everything).replace(" ", "") == text.replace(" ", "")
    assert fit_lines("x" * 80, font, 40, 9) and all(
        font.getlength(piece) <= 40 for piece in fit_lines("x" * 80, font, 40, 9)
    )


def test_rows_take_the_shape_of_their_thumbnails() -> None:
    wide = Image.new("RGB", (64, 36), (200, 30, 30))
    cells = [SheetCell(wide, (TextBlock("one line"),)) for _ in range(4)]
    with Image.open(io.BytesIO(grid_png(cells, columns=2, cell_px=64))) as sheet:
        # two rows, each 36 px of picture, 4 px, one 17 px line and a 10 px gap, below a 10 px top
        assert sheet.size == (10 + 2 * (64 + 10), 10 + 2 * (36 + 4 + 17 + 10))


def test_the_ellipsis_follows_a_whole_word() -> None:
    font = sheet_font()
    width = int(font.getlength("camera tilts upward"))  # "camera tilts upwa…" would fit
    (line,) = fit_lines("camera tilts upward from the pad", font, width, 1)
    assert line == "camera tilts…"
