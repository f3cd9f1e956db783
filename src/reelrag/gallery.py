"""The gallery: a static HTML page and a contact-sheet PNG of generated videos.

Reads every ``manifest.json`` under the outputs folder (``<batch>/<job>/`` and single outputs'
``<name>.json``), and writes ``index.html`` with video players (prompt as caption, source image
thumbnail, score, backend, seed, timings) and ``contact_sheet.png``. Links are relative to the
page, so the folder opens from the file system (or any static host) without a server.
"""

from __future__ import annotations

import html
import json
import logging
import os
import webbrowser
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from PIL import Image

from reelrag.contactsheet import GREY, SOFTWARE, SheetCell, TextBlock, grid_png
from reelrag.errors import InputError, OutputExistsError
from reelrag.settings import Settings
from reelrag.storage import atomic_write_bytes

log = logging.getLogger(__name__)

PAGE_MARK = "<title>ReelRAG gallery</title>"  # in every page a gallery wrote, old ones too
CELL_PX = 240
COLUMNS = 4


@dataclass(frozen=True)
class GalleryItem:
    """One video and what the page shows about it (paths absolute)."""

    video: Path
    manifest: Path
    prompt: str
    backend: str
    model: str
    seed: int | None
    poster: Path | None = None
    source_image: Path | None = None
    source: str = ""
    score: float | None = None
    timings: dict[str, float] | None = None
    created_at: str = ""
    qa: str = ""  # the output check's one-line verdict, "" when not checked


@dataclass(frozen=True)
class Gallery:
    """What :func:`build_gallery` wrote."""

    html: Path
    contact_sheet: Path | None
    items: int
    skipped: tuple[str, ...] = ()


def collect_items(outputs_dir: Path) -> tuple[list[GalleryItem], list[str]]:
    """Items for every readable manifest under ``outputs_dir`` (newest first) and the
    manifests that could not be used, each with the reason."""
    items: list[GalleryItem] = []
    problems: list[str] = []
    for path in sorted(Path(outputs_dir).rglob("*.json")):
        hidden = any(part.startswith(".") for part in path.relative_to(outputs_dir).parts)
        if hidden:  # partial writes (.tmp-*) and jobs' attempts in flight (.staging)
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(f"{path}: unreadable ({exc})")
            continue
        if isinstance(data, dict) and data.get("reelrag_manifest"):
            item = _item(path, data)
            if item.video.is_file():
                items.append(item)
            else:
                problems.append(f"{path}: its video {item.video.name} is missing")
    items.sort(key=lambda it: it.created_at, reverse=True)
    return items, problems


def _item(path: Path, data: dict[str, Any]) -> GalleryItem:
    folder = path.parent
    request = data.get("request") or {}
    hit = data.get("search_hit") or {}
    source = data.get("source") or {}

    def beside(name: Any) -> Path | None:
        return folder / str(name) if name and (folder / str(name)).is_file() else None

    return GalleryItem(
        video=folder / str(data.get("video") or "video.mp4"),
        manifest=path,
        prompt=str(request.get("prompt", "")),
        backend=str(data.get("backend", "")),
        model=str(data.get("model") or data.get("aspect_ratio", "")),  # a reel: its ratio
        seed=data.get("seed"),
        poster=beside(data.get("poster")),
        source_image=beside(data.get("fitted_image")),
        source=str(source.get("path_or_asset") or ""),
        score=hit.get("score"),
        timings=data.get("timings_s") or {},
        created_at=str(data.get("created_at", "")),
        qa=str((data.get("qa") or {}).get("summary", "")),
    )


def build_gallery(
    settings: Settings, out_dir: Path | None = None, *, overwrite: bool = False
) -> Gallery:
    """Write ``index.html`` and ``contact_sheet.png`` for the outputs into ``out_dir``
    (default: the outputs folder itself). In another folder, files of those names that an
    earlier gallery did not write are replaced only with ``overwrite``."""
    outputs = settings.outputs_dir
    if not outputs.is_dir():
        raise InputError(f"no outputs yet in {outputs}", hint="run `reelrag generate` or a batch")
    target = Path(out_dir).expanduser() if out_dir else outputs
    if not overwrite and target.resolve() != outputs.resolve():
        _check_replaceable(target / "index.html", target / "contact_sheet.png")
    target.mkdir(parents=True, exist_ok=True)
    items, problems = collect_items(outputs)
    for problem in problems:
        log.warning("gallery skips %s", problem)
    sheet = target / "contact_sheet.png" if items else None
    if sheet is not None:
        atomic_write_bytes(sheet, contact_sheet_png(items))
    page = target / "index.html"
    atomic_write_bytes(page, render_html(items, target, sheet).encode("utf-8"))
    return Gallery(html=page, contact_sheet=sheet, items=len(items), skipped=tuple(problems))


def _check_replaceable(page: Path, sheet: Path) -> None:
    """Refuse to replace a page or picture that no ReelRAG gallery wrote."""
    for path, ours in ((page, _is_our_page), (sheet, _is_our_sheet)):
        if path.exists() and not ours(path):
            raise OutputExistsError(
                f"{path} already exists and is not a ReelRAG gallery",
                hint="pass --overwrite or another --out folder",
            )


def _is_our_page(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return PAGE_MARK.encode() in handle.read(4096)
    except OSError:
        return False


def _is_our_sheet(path: Path) -> bool:
    if _is_our_page(path.with_name("index.html")):
        return True
    try:
        with Image.open(path) as image:
            return getattr(image, "text", {}).get("Software") == SOFTWARE
    except (OSError, ValueError):
        return False


def open_in_browser(page: Path) -> bool:
    """Open the page with the system browser; False when none is available."""
    return webbrowser.open(page.resolve().as_uri())


# -- HTML -----------------------------------------------------------------------------------


def render_html(items: list[GalleryItem], page_dir: Path, sheet: Path | None) -> str:
    """The page: one card per video, all links relative to ``page_dir``."""
    cards = "\n".join(_card(item, page_dir) for item in items) or "<p>No videos yet.</p>"
    sheet_link = f'<a href="{_rel(sheet, page_dir)}">contact sheet</a>' if sheet else ""
    return _PAGE.format(mark=PAGE_MARK, count=len(items), sheet=sheet_link, cards=cards)


def _card(item: GalleryItem, page_dir: Path) -> str:
    esc = html.escape
    poster = f' poster="{_rel(item.poster, page_dir)}"' if item.poster else ""
    thumb = (
        f'<img class="src" src="{_rel(item.source_image, page_dir)}" alt="source image">'
        if item.source_image
        else ""
    )
    score = f"score {item.score:.3f} · " if isinstance(item.score, int | float) else ""
    timings = ", ".join(f"{k.removesuffix('_s')} {v:.2f}s" for k, v in (item.timings or {}).items())
    label = _source_label(item.source)
    source = f'<br><span title="{esc(item.source)}">{esc(label)}</span>' if label else ""
    return (
        f'<figure><video src="{_rel(item.video, page_dir)}"{poster} controls loop muted '
        f'preload="metadata"></video>'
        f"<figcaption><p class=prompt>{esc(item.prompt)}</p>{thumb}"
        f"<p class=meta>{esc(score)}{esc(item.backend)} ({esc(item.model)})"
        f"{f' · seed {item.seed}' if item.seed is not None else ''}"
        f"{source}<br>{esc(timings)}</p>{_qa_line(item.qa)}"
        f'<a href="{_rel(item.manifest, page_dir)}">manifest</a></figcaption></figure>'
    )


def _qa_line(qa: str) -> str:
    if not qa:
        return ""
    verdict, _, rest = qa.partition(" ")
    kind = "pass" if verdict == "PASS" else "fail"
    return f'<p class="qa {kind}"><b>QA {html.escape(verdict)}</b> {html.escape(rest)}</p>'


def _source_label(source: str) -> str:
    """A short name for where the image came from (the page shows the whole on hover).

    >>> _source_label("asset:15d43fe4dff38114d83853355925aeb2"), _source_label("/photos/a b.jpg")
    ('asset 15d43fe4dff3', 'a b.jpg')
    """
    kind, _, ident = source.partition(":")
    if kind == "asset" and ident:
        return f"asset {ident[:12]}"
    return Path(source).name or source


def _rel(path: Path | None, page_dir: Path) -> str:
    """A URL-safe link from the page's folder to ``path``."""
    if path is None:
        return ""
    rel = os.path.relpath(Path(path).resolve(), Path(page_dir).resolve())
    return html.escape("/".join(_quote(p) for p in Path(rel).parts), quote=True)


def _quote(part: str) -> str:
    return quote(part)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">{mark}
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem; background: #fafafa; }}
main {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 1rem; }}
figure {{ margin: 0; background: #fff; border: 1px solid #ddd; border-radius: 6px;
          padding: .5rem; }}
video {{ width: 100%; background: #000; }}
.prompt {{ font-weight: 600; margin: .3rem 0; }}
.meta {{ color: #555; font-size: .85rem; overflow-wrap: anywhere; }}
.qa {{ font-size: .8rem; overflow-wrap: anywhere; }} .qa.pass b {{ color: #17803d; }}
.qa.fail {{ color: #b42318; }}
img.src {{ float: right; width: 72px; margin-left: .5rem; border: 1px solid #ccc; }}
</style></head>
<body><h1>ReelRAG gallery</h1><p>{count} videos {sheet}</p>
<main>
{cards}
</main></body></html>
"""


# -- contact sheet --------------------------------------------------------------------------


def contact_sheet_png(items: list[GalleryItem], cell_px: int = CELL_PX) -> bytes:
    """A PNG grid of posters (or source images) with the prompt under each."""
    cells = [
        SheetCell(
            _thumb(item.poster or item.source_image, cell_px),
            (
                TextBlock(item.prompt, max_lines=2),
                TextBlock(f"{item.backend} seed {item.seed}", GREY),
            ),
        )
        for item in items
    ]
    return grid_png(cells, columns=COLUMNS, cell_px=cell_px)


def _thumb(path: Path | None, px: int) -> Image.Image | None:
    if path is None:
        return None
    try:
        with Image.open(path) as opened:
            thumb = opened.convert("RGB")
        thumb.thumbnail((px, px))
        return thumb
    except OSError as exc:
        log.warning("cannot read %s for the contact sheet: %s", path, exc)
        return None
