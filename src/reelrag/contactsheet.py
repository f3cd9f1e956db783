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
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from reelrag.errors import InputError, NotFoundError, OutputExistsError
from reelrag.storage import atomic_write_bytes
from reelrag.types import Asset, SearchHit

log = logging.getLogger(__name__)

FORMATS = (".png", ".html", ".htm")
CELL_PX = 224
CAPTION_LINES = 3
BACKGROUND = (245, 245, 245)
PLACEHOLDER = (200, 200, 200)


def load_thumbnail(asset: Asset, store: Any, px: int = CELL_PX) -> Image.Image | None:
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


def _image_sources(asset: Asset, store: Any) -> Any:
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


def _caption(hit: SearchHit) -> str:
    return hit.asset.caption or Path(hit.asset.source).name or hit.asset.id[:12]


# -- PNG ---------------------------------------------------------------------------------------


def contact_sheet_png(
    hits: Sequence[SearchHit], store: Any, *, columns: int = 5, cell_px: int = CELL_PX
) -> bytes:
    """PNG bytes of a grid: one cell per hit with thumbnail, rank, score, size and caption."""
    if not hits:
        raise InputError("no hits to put on a contact sheet", hint="loosen the query or min-score")
    font = ImageFont.load_default()
    columns = max(1, min(columns, len(hits)))
    rows = -(-len(hits) // columns)
    line_px = 14
    cell_h = cell_px + line_px * (1 + CAPTION_LINES) + 10
    sheet = Image.new("RGB", (columns * (cell_px + 10) + 10, rows * cell_h + 10), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for i, hit in enumerate(hits):
        x, y = 10 + (i % columns) * (cell_px + 10), 10 + (i // columns) * cell_h
        _draw_cell(sheet, draw, hit, store, (x, y), cell_px, font, line_px)
    out = io.BytesIO()
    sheet.save(out, "PNG", optimize=False)
    return out.getvalue()


def _draw_cell(
    sheet: Image.Image,
    draw: ImageDraw.ImageDraw,
    hit: SearchHit,
    store: Any,
    origin: tuple[int, int],
    cell_px: int,
    font: Any,
    line_px: int,
) -> None:
    x, y = origin
    thumb = load_thumbnail(hit.asset, store, cell_px)
    if thumb is None:
        draw.rectangle((x, y, x + cell_px - 1, y + cell_px - 1), fill=PLACEHOLDER)
    else:  # centre in the square cell, never stretched
        sheet.paste(thumb, (x + (cell_px - thumb.width) // 2, y + (cell_px - thumb.height) // 2))
    text_y = y + cell_px + 4
    draw.text((x, text_y), _label(hit), fill=(0, 0, 0), font=font)
    chars = max(10, cell_px // 7)
    lines = textwrap.wrap(_caption(hit), chars)[:CAPTION_LINES]
    for n, line in enumerate(lines, start=1):
        draw.text((x, text_y + n * line_px), line, fill=(60, 60, 60), font=font)


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


def _html_cell(hit: SearchHit, store: Any) -> str:
    thumb = load_thumbnail(hit.asset, store)
    image = (
        f'<img src="{_data_uri(thumb)}" alt="{html.escape(_caption(hit))}">'
        if thumb is not None
        else '<div class="rr-ph"></div>'
    )
    return (
        f'<div class="rr-cell">{image}<div class="rr-meta"><b>#{hit.rank}</b> '
        f"score {hit.score:.2f} · {hit.asset.width}×{hit.asset.height}</div>"
        f"<div>{html.escape(_caption(hit))}</div>"
        f'<div class="rr-why">{html.escape(hit.why)} · {html.escape(hit.asset.id[:12])}</div></div>'
    )


def results_html(results: Any, store: Any, *, standalone: bool = True) -> str:
    """HTML for search results (a :class:`SearchResults` or any sequence of hits)."""
    hits: Sequence[SearchHit] = list(results)
    query = getattr(getattr(results, "request", None), "query", "")
    title = f"ReelRAG search: {query}" if query else "ReelRAG search"
    if hits:
        body = '<div class="rr-grid">' + "".join(_html_cell(h, store) for h in hits) + "</div>"
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
    results: Any, store: Any, path: Path | str, *, overwrite: bool = False
) -> Path:
    """Write a PNG or HTML contact sheet (chosen by the file suffix) atomically; return the path."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            f"cannot write a contact sheet as {path.name!r}", hint="use a .png or .html file name"
        )
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path} already exists", hint="choose another name or overwrite")
    if suffix == ".png":
        data = contact_sheet_png(list(results), store)
    else:
        data = results_html(results, store).encode("utf-8")
    atomic_write_bytes(path, data)
    return path
