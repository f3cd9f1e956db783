"""Browser tests: Playwright drives Debian's Chromium against a real uvicorn server on 127.0.0.1.

Screenshots go to ``artifacts/browser/`` in the repository root (git-ignored).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-quic", "--no-first-run", "--disable-sync",
]  # fmt: skip

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"{CHROMIUM} is missing (scripts/install-browser.sh installs it)",
    ),
]
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
uvicorn = pytest.importorskip("uvicorn", reason="the web extra is not installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sample_photos: Path) -> Iterator[str]:
    from reelrag.library import Library
    from reelrag.server.app import create_app
    from reelrag.settings import load_settings

    root = tmp_path_factory.mktemp("browser")
    for folder in ("vehicles", "animals", "food", "space"):
        shutil.copytree(sample_photos / folder, root / "photos" / folder)
    settings = load_settings({"workspace": root / "ws"}, environ={})
    Library(settings).ingest(root / "photos", recursive=True)
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=15)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.goto(server + "/")
    page.wait_for_selector("#library-grid .card")
    yield page
    context.close()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def search(page, query: str) -> None:  # type: ignore[no-untyped-def]
    page.click("#tabs button[data-tab=search]")
    page.fill("#search-query", query)
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("#search-results .card")


def test_library_grid_and_search_show_the_expected_image(page) -> None:  # type: ignore[no-untyped-def]
    assert page.locator("#library-grid .card").count() == 6
    shot(page, "library")
    search(page, "red motorcycle")
    first = page.locator("#search-results .card").first
    assert "motorcycle" in first.inner_text().lower()
    assert float(first.locator(".score").inner_text()) > 0.45
    shot(page, "search")


def test_a_refused_search_shows_why_and_the_nearest_candidates(page) -> None:  # type: ignore[no-untyped-def]
    assert "of 6 assets captioned" in page.locator("#library-count").inner_text()
    search(page, "red shoes")
    assert "No good match" in page.locator("#search-summary").inner_text()
    rejected = page.locator("#search-results .card")
    assert 1 <= rejected.count() <= 3
    assert rejected.first.locator(".score").inner_text().startswith("rejected ")
    assert "match " in rejected.first.locator(".why").inner_text()
    shot(page, "search-refused")


def test_a_wrong_photo_is_marked_once_and_gone(page, server) -> None:  # type: ignore[no-untyped-def]
    query = "a red motorcycle parked in a workshop"  # no other test searches this
    search(page, query)
    first = page.locator("#search-results .card").first
    wrong = first.get_attribute("data-id")
    first.locator("button.verdict.wrong").click()
    page.wait_for_selector(f"#search-results .card[data-id='{wrong}']", state="detached")
    assert "Marked wrong" in page.locator("#notice").inner_text()
    shot(page, "search-verdict")
    listed = page.evaluate("fetch('/api/verdicts').then((r) => r.json())")["items"]
    assert [(r["query"], r["asset_id"], r["verdict"]) for r in listed] == [(query, wrong, "wrong")]
    assert page.evaluate("document.querySelector('#selected-preview img')") is None  # no select
    summary = page.locator("#search-summary")
    assert "0 marked right, 1 marked wrong and left out" in summary.inner_text()
    summary.locator("button.verdict.forget").click()  # undo: the photo is back
    page.wait_for_selector(f"#search-results .card[data-id='{wrong}']")
    assert "Your verdicts" not in summary.inner_text()


def test_generate_job_completes_and_the_video_plays(page) -> None:  # type: ignore[no-untyped-def]
    search(page, "rocket on its launch pad")
    page.locator("#search-results .card").first.click()
    page.click("#tabs button[data-tab=generate]")
    page.fill("#gen-prompt", "camera zooms in slowly")
    page.fill("#gen-duration", "1")
    page.select_option("#gen-size", "320x180")
    page.wait_for_function("document.getElementById('estimate').textContent.includes('320×180')")
    shot(page, "generate")
    page.click("#gen-submit")
    page.wait_for_selector("#jobs-body tr[data-state=succeeded]", timeout=60_000)
    # the finished job, its counts and the tab badge all refresh from the server
    done = page.locator("#jobs-body tr[data-state=succeeded]").first
    assert done.locator("button:has-text('Cancel')").count() == 0
    page.wait_for_function(
        "document.getElementById('jobs-counts').textContent.includes('succeeded')"
    )
    assert "running" not in page.inner_text("#jobs-counts")
    page.wait_for_function("document.getElementById('active-count').classList.contains('hidden')")
    shot(page, "jobs")
    page.click("#tabs button[data-tab=gallery]")
    video = page.locator("#gallery-grid video").first
    video.wait_for()
    page.evaluate("document.querySelector('#gallery-grid video').play()")
    page.wait_for_function("document.querySelector('#gallery-grid video').readyState === 4",
                           timeout=20_000)  # fmt: skip
    page.wait_for_function("document.querySelector('#gallery-grid video').currentTime > 0",
                           timeout=20_000)  # fmt: skip
    card = page.locator("#gallery-grid .item").first
    assert "zooms in" in card.inner_text()
    # nothing runs past the card (a 64-hex asset id once did): long lines end in an ellipsis
    assert card.evaluate("c => c.querySelector('.body').scrollWidth <= c.clientWidth")
    assert (card.locator(".source span").get_attribute("title") or "").startswith("asset:")
    shot(page, "gallery")


def test_a_blank_prompt_is_one_plain_sentence(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("#library-grid .card").first.click()
    page.click("#tabs button[data-tab=generate]")
    page.fill("#gen-prompt", "   ")
    page.click("#gen-submit")
    page.wait_for_selector("#error:not(.hidden)")
    message = page.inner_text("#error-message")
    assert "prompt" in message and "pattern" not in message and "String should" not in message


def test_state_changes_carry_the_page_token(page, server) -> None:  # type: ignore[no-untyped-def]
    token = page.get_attribute("meta[name=reelrag-csrf]", "content")
    assert token and len(token) > 20
    forged = page.request.post(server + "/api/jobs/web-x/cancel")  # no token, as another site
    assert forged.status == 403
    own = page.request.post(server + "/api/jobs/web-x/cancel", headers={"X-Reelrag-CSRF": token})
    assert own.status == 404  # past the guard: the job does not exist


def test_bad_upload_shows_an_error(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not a jpeg")
    page.set_input_files("#upload-input", str(bad))
    page.wait_for_selector("#error:not(.hidden)")
    assert "broken.jpg" in page.inner_text("#error-message")
    shot(page, "bad-upload")


def test_edit_draws_a_rectangle_and_inpaints(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("#library-grid .card").first.click()
    page.click("#tabs button[data-tab=edit]")
    page.wait_for_function("document.getElementById('edit-image').naturalWidth > 0")
    box = page.locator("#edit-canvas").bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 140, box["y"] + 110)
    page.mouse.up()
    page.click("#edit-run")
    page.wait_for_selector("#edit-results .card img")
    assert page.locator("#edit-run").is_enabled()  # disabled only while the edit runs
    link = page.locator("#edit-results .card a").first.get_attribute("href")
    full = page.request.get(page.url.rstrip("/") + link if link.startswith("/") else link)
    assert full.ok and full.body().startswith(b"\x89PNG")
    natural = page.evaluate("document.getElementById('edit-image').naturalWidth")
    assert int.from_bytes(full.body()[16:20], "big") == natural  # the variant at full size
    shot(page, "edit")


def test_batch_dry_run_shows_the_plan(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("<object_prompt>, <action_prompt>\nA plate of <object_prompt>\n")
    page.click("#tabs button[data-tab=batch]")
    dry = page.locator("#batch-dry")
    box, label = dry.bounding_box(), page.locator("label.check").bounding_box()
    assert box and label and label["height"] < 2 * box["height"]  # the box sits beside its words
    page.set_input_files("#batch-file", str(prompts))
    page.fill("#batch-object", "a red motorcycle")
    page.fill("#batch-action", "slow zoom in")
    dry.check()
    page.click("#batch-form button[type=submit]")
    page.wait_for_selector("#batch-plan table.plan tbody tr")
    summary = page.locator("#batch-plan p").first.inner_text()
    assert "2 row(s), plan only, nothing queued" in summary
    rows = page.locator("#batch-plan tbody tr")
    assert rows.count() == 2
    cells = [rows.first.locator("td").nth(i).inner_text() for i in range(4)]
    assert cells[1].lower() == "a red motorcycle, slow zoom in"
    assert "motorcycle" in cells[2].lower() and cells[3] == "would queue"
    # the photo each row animates is shown, not only named
    thumb = rows.first.locator("img.plan-thumb")
    thumb.wait_for()
    loaded = "img => img.complete && img.naturalWidth > 0"
    page.wait_for_function(loaded, arg=thumb.element_handle())
    assert "motorcycle" in (thumb.get_attribute("alt") or "").lower()
    shot(page, "batch")
    page.click("#tabs button[data-tab=jobs]")
    assert page.locator(f"#jobs-body tr:has-text('{cells[0]}')").count() == 0


def test_a_wrong_photo_in_the_batch_plan_is_replanned(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = tmp_path / "rows.csv"
    rows.write_text("object,action\na red motorcycle in a workshop,slow zoom in\n")
    page.click("#tabs button[data-tab=batch]")
    page.set_input_files("#batch-file", str(rows))
    page.locator("#batch-dry").check()
    page.click("#batch-form button[type=submit]")
    cell = page.locator("#batch-plan tbody tr").first.locator("td").nth(2)
    cell.locator("button.verdict.wrong").wait_for()
    before = cell.inner_text()
    assert "motorcycle" in before
    cell.locator("button.verdict.wrong").click()
    image = "#batch-plan tbody tr td:nth-child(3)"
    page.wait_for_function(f"(old) => !document.querySelector('{image}').innerText.includes(old)",
                           arg=before.split(" (")[0])  # fmt: skip
    after = page.locator("#batch-plan tbody tr").first.locator("td").nth(3).inner_text()
    assert "motorcycle" not in cell.inner_text()
    assert after == "would queue" or "no good match" in after
    shot(page, "batch-verdict")


def test_reel_tab_plans_and_renders(page) -> None:  # type: ignore[no-untyped-def]
    page.click("#tabs button[data-tab=reel]")
    board = (
        "size: 144\nshots:\n  - object: a red motorcycle\n    action: zoom in\n    duration: 1\n"
    )
    page.fill("#reel-storyboard", board)
    page.click("#reel-form button[type=submit]")
    page.wait_for_selector("#reel-status table.plan tbody tr")
    status = page.locator("#reel-status p").first.inner_text()
    assert "reel.16x9.mp4, reel.9x16.mp4" in status and "Follow it in Jobs" in status
    assert "motorcycle" in page.locator("#reel-status tbody td").nth(1).inner_text().lower()
    shot(page, "reel")
