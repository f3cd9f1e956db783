"""Contact sheets of search hits: a PNG grid (Pillow) or a self-contained HTML page.

Owns thumbnail lookup for hits (store thumbnail, then normalised copy, then the local source
file) and both renderings. The HTML embeds every thumbnail as base64 JPEG, so the file can be
mailed or opened anywhere; the same markup renders :class:`~reelrag.retrieval.SearchResults`
in Jupyter.
"""

from __future__ import annotations

import base64
import html
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin, UnidentifiedImageError

from reelrag.errors import InputError, NotFoundError, OutputExistsError
from reelrag.storage import atomic_write_bytes
from reelrag.types import Asset, SearchHit

if TYPE_CHECKING:
    from reelrag.storage.base import ObjectStore

log = logging.getLogger(__name__)

FORMATS = (".png", ".html", ".htm")
CELL_PX = 224
CAPTION_LINES = 3
BACKGROUND = (245, 245, 245)
PLACEHOLDER = (200, 200, 200)
SOFTWARE = "ReelRAG contact sheet"


def load_thumbnail(
    asset: Asset, store: ObjectStore | None, px: int = CELL_PX
) -> Image.Image | None:
    """An RGB image of at most ``px`` on its long side, or ``None`` when none can be read."""
    for data in _image_sources(asset, store):
        try:
            with Image.open(io.BytesIO(data)) as im:
                im.draft("RGB", (px, px))  # JPEG: decode at reduced scale
                thumb = im.convert("RGB")
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            log.debug("cannot read an image of %s: %s", asset.id, exc)
            continue
        thumb.thumbnail((px, px))
        return thumb
    return None


def _image_sources(asset: Asset, store: ObjectStore | None) -> Any:
    if store is not None:
        for key in (asset.thumbnail_key, asset.normalized_key):
            if key:
                try:
                    yield store.get_bytes(key)
                except (NotFoundError, OSError) as exc:
                    log.debug("no %s in the store: %s", key, exc)
    source = Path(asset.source)
    if asset.source and "://" not in asset.source and source.is_file():
        yield source.read_bytes()


def _label(hit: SearchHit) -> str:
    return f"#{hit.rank}  {hit.score:.2f}  {hit.asset.width}x{hit.asset.height}"


def _headings(hits: Sequence[SearchHit], headings: Sequence[str] | None) -> list[str | None]:
    """Each hit's own heading (a batch row's line and object), or None where the cell shows
    its rank, score and size."""
    if headings is None:
        return [None] * len(hits)
    if len(headings) != len(hits):
        raise ValueError(f"{len(headings)} headings for {len(hits)} hits")
    return list(headings)


def _caption(hit: SearchHit) -> str:
    return hit.asset.caption or Path(hit.asset.source).name or hit.asset.id[:12]


# -- PNG ---------------------------------------------------------------------------------------

FONT_PX = 13
LINE_PX = 17  # baseline to baseline
GAP_PX = 10  # between cells and around the sheet
INK, GREY = (20, 20, 20), (90, 90, 90)


@dataclass(frozen=True)
class TextBlock:
    """Text under a thumbnail: word-wrapped to the cell's width, cut with "…" after
    ``max_lines``."""

    text: str
    colour: tuple[int, int, int] = INK
    max_lines: int = 1


@dataclass(frozen=True)
class SheetCell:
    """One cell of a contact sheet: a thumbnail (``None`` draws a placeholder) and its text."""

    thumb: Image.Image | None
    text: tuple[TextBlock, ...]


def grid_png(cells: Sequence[SheetCell], *, columns: int, cell_px: int) -> bytes:
    """PNG bytes of ``cells`` in rows of ``columns``, each ``cell_px`` wide.

    Thumbnails keep their shape; a row is as tall as its tallest thumbnail and its longest
    text, so landscape posters leave no empty band (the placeholder is 16:9).
    """
    font = sheet_font()
    columns = max(1, min(columns, len(cells)))
    rows = [cells[i : i + columns] for i in range(0, len(cells), columns)]
    texts = [[_cell_lines(cell, font, cell_px) for cell in row] for row in rows]
    image_h = [max(_thumb_height(cell, cell_px) for cell in row) for row in rows]
    text_h = [max(len(lines) for lines in row) * LINE_PX for row in texts]
    height = GAP_PX + sum(i + 4 + t + GAP_PX for i, t in zip(image_h, text_h, strict=True))
    sheet = Image.new("RGB", (GAP_PX + columns * (cell_px + GAP_PX), height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    y = GAP_PX
    for row, row_texts, row_h, row_text_h in zip(rows, texts, image_h, text_h, strict=True):
        for n, (cell, lines) in enumerate(zip(row, row_texts, strict=True)):
            x = GAP_PX + n * (cell_px + GAP_PX)
            _draw_thumb(sheet, draw, cell.thumb, (x, y), (cell_px, row_h))
            for k, (line, colour) in enumerate(lines):
                draw.text((x, y + row_h + 4 + k * LINE_PX), line, fill=colour, font=font)
        y += row_h + 4 + row_text_h + GAP_PX
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", SOFTWARE)  # how the gallery knows a sheet it may replace
    out = io.BytesIO()
    sheet.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def sheet_font() -> Any:
    """Pillow's bundled font at a readable size (its default 10 px nearly hides the spaces)."""
    return ImageFont.load_default(size=FONT_PX)


def _thumb_height(cell: SheetCell, cell_px: int) -> int:
    return cell.thumb.height if cell.thumb is not None else round(cell_px * 9 / 16)


def _draw_thumb(
    sheet: Image.Image,
    draw: ImageDraw.ImageDraw,
    thumb: Image.Image | None,
    origin: tuple[int, int],
    box: tuple[int, int],
) -> None:
    """The thumbnail centred in ``box`` (never stretched), or a placeholder filling it."""
    (x, y), (w, h) = origin, box
    if thumb is None:
        draw.rectangle((x, y, x + w - 1, y + h - 1), fill=PLACEHOLDER)
    else:
        sheet.paste(thumb, (x + (w - thumb.width) // 2, y + (h - thumb.height) // 2))


def _cell_lines(cell: SheetCell, font: Any, width: int) -> list[tuple[str, tuple[int, int, int]]]:
    return [
        (line, block.colour)
        for block in cell.text
        for line in fit_lines(block.text, font, width, block.max_lines)
    ]


def fit_lines(text: str, font: Any, width: int, max_lines: int) -> list[str]:
    """``text`` wrapped at spaces into lines at most ``width`` pixels wide; a word too long
    for a line is broken, and text past ``max_lines`` ends the last line with "…".

    >>> fit_lines("a red shoe on a white floor", sheet_font(), 100, 2)
    ['a red shoe on a', 'white floor']
    >>> fit_lines("a red shoe on a white floor", sheet_font(), 60, 2)
    ['a red', 'shoe on…']
    >>> fit_lines("a red shoe on a white floor", sheet_font(), 80, 1)
    ['a red shoe…']
    """
    lines: list[str] = []
    for word in text.split():
        joined = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(joined) <= width:
            lines[-1] = joined
        else:
            lines.extend(_break_word(word, font, width))
    if len(lines) <= max_lines:
        return lines
    return [*lines[: max_lines - 1], _ellipsis(lines[max_lines - 1], font, width)]


def _break_word(word: str, font: Any, width: int) -> list[str]:
    pieces = [""]
    for char in word:
        if pieces[-1] and font.getlength(pieces[-1] + char) > width:
            pieces.append("")
        pieces[-1] += char
    return pieces


def _ellipsis(line: str, font: Any, width: int) -> str:
    """``line`` cut to end with "…" within ``width``, at a space where it has one."""
    fitted = line
    while fitted and font.getlength(fitted + "…") > width:
        fitted = fitted[:-1]
    if len(fitted) < len(line) and line[len(fitted)] != " " and " " in fitted:
        fitted = fitted[: fitted.rindex(" ")]  # no half word before the "…"
    return fitted.rstrip() + "…"


def contact_sheet_png(
    hits: Sequence[SearchHit],
    store: ObjectStore | None,
    *,
    columns: int = 5,
    cell_px: int = CELL_PX,
    headings: Sequence[str] | None = None,
) -> bytes:
    """PNG bytes of a grid: one cell per hit with thumbnail, heading (rank, score and size
    unless ``headings`` says otherwise; then the hit's ``why`` too) and caption."""
    if not hits:
        raise InputError("no hits to put on a contact sheet", hint="loosen the query or min-score")
    cells = [
        SheetCell(load_thumbnail(hit.asset, store, cell_px), _texts(hit, heading))
        for hit, heading in zip(hits, _headings(hits, headings), strict=True)
    ]
    return grid_png(cells, columns=columns, cell_px=cell_px)


def _texts(hit: SearchHit, heading: str | None) -> tuple[TextBlock, ...]:
    if heading is None:
        return TextBlock(_label(hit)), TextBlock(_caption(hit), GREY, CAPTION_LINES)
    why = TextBlock(hit.why, GREY, CAPTION_LINES) if hit.why else None
    texts = (TextBlock(heading, max_lines=2), TextBlock(_caption(hit), max_lines=2), why)
    return tuple(block for block in texts if block is not None)


# -- HTML --------------------------------------------------------------------------------------

_STYLE = (
    ".rr-grid{display:flex;flex-wrap:wrap;gap:12px;font-family:sans-serif;font-size:13px}"
    ".rr-cell{width:224px}.rr-cell img{max-width:224px;max-height:224px;display:block;"
    "margin:auto}.rr-ph{width:224px;height:160px;background:#ccc}.rr-meta{color:#333}"
    ".rr-why{color:#777;font-size:11px}"
)


def _data_uri(thumb: Image.Image) -> str:
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _html_cell(hit: SearchHit, store: ObjectStore | None, heading: str | None = None) -> str:
    thumb = load_thumbnail(hit.asset, store)
    image = (
        f'<img src="{_data_uri(thumb)}" alt="{html.escape(_caption(hit))}">'
        if thumb is not None
        else '<div class="rr-ph"></div>'
    )
    meta = (
        f"<b>#{hit.rank}</b> score {hit.score:.2f} · {hit.asset.width}×{hit.asset.height}"
        if heading is None
        else f"<b>{html.escape(heading)}</b>"
    )
    return (
        f'<div class="rr-cell">{image}<div class="rr-meta">{meta}</div>'
        f"<div>{html.escape(_caption(hit))}</div>"
        f'<div class="rr-why">{html.escape(hit.why)} · {html.escape(hit.asset.id[:12])}</div></div>'
    )


def results_html(
    results: Any,
    store: ObjectStore | None,
    *,
    standalone: bool = True,
    headings: Sequence[str] | None = None,
    title: str | None = None,
) -> str:
    """HTML for search results (a :class:`SearchResults` or any sequence of hits); ``headings``
    replace each hit's rank line, ``title`` the page's."""
    hits: Sequence[SearchHit] = list(results)
    query = getattr(getattr(results, "request", None), "query", "")
    title = title or (f"ReelRAG search: {query}" if query else "ReelRAG search")
    if hits:
        cells = (_html_cell(h, store, heading)
                 for h, heading in zip(hits, _headings(hits, headings), strict=True))  # fmt: skip
        body = '<div class="rr-grid">' + "".join(cells) + "</div>"
    else:
        body = "<p>No good match" + (f" for <b>{html.escape(query)}</b>" if query else "") + ".</p>"
    fragment = f"<style>{_STYLE}</style><h3>{html.escape(title)}</h3>{body}"
    if not standalone:
        return fragment
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>{fragment}</body></html>"
    )


def write_contact_sheet(
    results: Any,
    store: ObjectStore | None,
    path: Path | str,
    *,
    overwrite: bool = False,
    headings: Sequence[str] | None = None,
    title: str | None = None,
) -> Path:
    """Write a PNG or HTML contact sheet (chosen by the file suffix) atomically; return the path.
    ``headings`` (one per hit) and ``title`` label a sheet that is not one search's results."""
    path = check_sheet_path(path, overwrite)
    if path.suffix.lower() == ".png":
        data = contact_sheet_png(list(results), store, headings=headings)
    else:
        data = results_html(results, store, headings=headings, title=title).encode("utf-8")
    atomic_write_bytes(path, data)
    return path


def check_sheet_path(path: Path | str, overwrite: bool = False) -> Path:
    """``path`` as a contact sheet may be written there: a .png or .html name, and no file
    there unless ``overwrite`` (checked before any work, and again when writing)."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise InputError(
            f"cannot write a contact sheet as {path.name!r}", hint="use a .png or .html file name"
        )
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path} already exists", hint="choose another name or overwrite")
    return path
