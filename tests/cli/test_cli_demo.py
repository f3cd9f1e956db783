"""`reelrag demo` (the README's main job) through the installed entry point, at a small size."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REELRAG = Path(sys.executable).parent / "reelrag"


@pytest.mark.slow
def test_demo_end_to_end_then_rerun_is_a_no_op(tmp_path: Path) -> None:
    env = {**os.environ, "REELRAG_WIDTH": "256", "REELRAG_HEIGHT": "144",
           "REELRAG_DURATION_S": "1", "REELRAG_FPS": "12", "HF_HUB_OFFLINE": "1"}  # fmt: skip
    ws = tmp_path / "ws"
    run = subprocess.run([str(REELRAG), "-w", str(ws), "demo"], env=env, capture_output=True,
                         text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert "9 succeeded, 3 skipped" in run.stdout
    page = ws / "outputs" / "index.html"
    assert page.is_file() and (ws / "outputs" / "contact_sheet.png").is_file()
    videos = sorted(ws.glob("outputs/b*/*/video.mp4"))  # the batch's (the reel's shots: s*)
    assert len(videos) == 9
    reels = [ws / "outputs" / "reels" / "demo" / f"reel.{r}.mp4" for r in ("16x9", "9x16")]
    for reel in reels:  # the demo reel, signed: verify passes
        check = subprocess.run([str(REELRAG), "-w", str(ws), "verify", str(reel)], env=env,
                               capture_output=True, text=True, timeout=120)  # fmt: skip
        assert check.returncode == 0 and "source photo: cat.jpg" in check.stdout, check.stdout
    assert 'src="reels/demo/reel.9x16.mp4"' in page.read_text()
    for video in videos:  # each clip animates the photo that shows its object
        manifest = json.loads((video.parent / "manifest.json").read_text())
        prompt = manifest["request"]["prompt"].lower()
        caption = manifest["search_hit"]["asset"]["caption"].lower()
        word = next(w for w in ("cat", "rocket", "coffee") if w in prompt)
        assert word in caption, (prompt, caption)
    videos += reels
    stamps = [v.stat().st_mtime_ns for v in videos]
    again = subprocess.run([str(REELRAG), "-w", str(ws), "demo"], env=env, capture_output=True,
                           text=True, timeout=300)  # fmt: skip
    assert again.returncode == 0, again.stderr[-2000:]
    assert [v.stat().st_mtime_ns for v in videos] == stamps
