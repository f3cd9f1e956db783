"""The static gallery: relative links that resolve from the page's folder, a real contact sheet."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

import pytest
from PIL import Image

from reelrag.batch.files import parse_templates
from reelrag.batch.plan import plan_rows
from reelrag.errors import InputError, OutputExistsError
from reelrag.gallery import GalleryItem, _card, build_gallery
from reelrag.jobs import SQLiteJobStore, Worker
from reelrag.settings import load_settings


def test_gallery_links_resolve_from_any_folder(
    workspace: Path, tmp_path: Path, simulated: Callable[[float], None]
) -> None:
    simulated(0.05)
    settings = load_settings({"workspace": workspace}, environ={})
    with pytest.raises(InputError, match="no outputs"):
        build_gallery(settings)
    rows = parse_templates(
        "A <b>bold</b> shot, <action_prompt>\nSecond shot, <action_prompt>", None, "pan"
    )
    plan = plan_rows(rows, settings, backend="simulated")
    store = SQLiteJobStore(settings.jobs_path)
    store.add_many(plan.jobs())
    Worker(store, settings).run(batch_id=plan.batch_id)
    (settings.outputs_dir / "broken.json").write_text("{not json")
    for out in (None, tmp_path / "elsewhere" / "site"):
        gallery = build_gallery(settings, out)
        assert gallery.items == 2 and len(gallery.skipped) == 1
        page = gallery.html.read_text(encoding="utf-8")
        assert "&lt;b&gt;bold&lt;/b&gt;" in page  # prompts are escaped
        assert "<span title" not in page  # text-to-video: no source line
        links = re.findall(r'(?:src|href|poster)="([^"]+)"', page)
        assert links and all(not link.startswith(("/", "http")) for link in links)
        assert all((gallery.html.parent / unquote(link)).is_file() for link in links)
        assert sum(link.endswith("video.mp4") for link in links) == 2
        assert gallery.contact_sheet is not None
        with Image.open(gallery.contact_sheet) as sheet:
            assert sheet.format == "PNG" and sheet.width >= 2 * 200
    # the user's own page in a folder is never replaced unasked; a gallery's own is
    site = tmp_path / "my-site"
    site.mkdir()
    (site / "index.html").write_text("<html>my home page</html>")
    with pytest.raises(OutputExistsError, match="not a ReelRAG gallery"):
        build_gallery(settings, site)
    assert (site / "index.html").read_text() == "<html>my home page</html>"
    assert not (site / "contact_sheet.png").exists()
    build_gallery(settings, site, overwrite=True)
    build_gallery(settings, site)  # now it is a gallery's page
    (site / "index.html").unlink()
    build_gallery(settings, site)  # a sheet a gallery wrote, known by its PNG text
    (site / "index.html").unlink()
    Image.new("RGB", (4, 4)).save(site / "contact_sheet.png")
    with pytest.raises(OutputExistsError, match=r"contact_sheet\.png"):
        build_gallery(settings, site)


def test_cards_name_the_source_briefly(tmp_path: Path) -> None:
    asset = "asset:" + "15d43fe4dff38114d83853355925aeb2" * 2
    item = GalleryItem(
        tmp_path / "v.mp4", tmp_path / "v.json", "pan", "camera", "m", 1, source=asset
    )
    card = _card(item, tmp_path)
    assert f'<span title="{asset}">asset 15d43fe4dff3</span>' in card
    photo = replace(item, source="/photos/<my> trip.jpg")
    assert '<span title="/photos/&lt;my&gt; trip.jpg">&lt;my&gt; trip.jpg</span>' in _card(
        photo, tmp_path
    )
