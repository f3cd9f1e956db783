"""`reelrag batch`, `reelrag jobs` and `reelrag gallery` end to end: a real library (sample photos,
bundled MiniLM, LanceDB), the simulated remote backend, real SQLite and real MP4 files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clirunner import run_cli
from reelrag.cli.batch import edit_label
from reelrag.library import Library
from reelrag.settings import load_settings
from reelrag.testing.remote import SimulatedGenerator
from reelrag.testing.remote import register as register_simulated


@pytest.fixture(scope="module")
def ingested(sample_photos: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = tmp_path_factory.mktemp("library") / "ws"
    library = Library(load_settings({"workspace": workspace}, environ={}))
    library.ingest([str(sample_photos)], recursive=True)
    library.close()
    return workspace


@pytest.fixture
def ws(ingested: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "ws"
    shutil.copytree(ingested, target)
    register_simulated(latency_s=0.2)
    return target


def _prompts(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "prompts.txt"
    path.write_text("\n".join(["# test prompts", *lines]) + "\n", encoding="utf-8")
    return path


def test_dry_run_plans_retrieval_once_and_distinct_images(ws: Path, tmp_path: Path) -> None:
    prompts = _prompts(tmp_path, [f"Shot {i}: <object_prompt>. <action_prompt>." for i in range(2)])
    # "the sky": two captions name it (the galaxies' night sky, the rocket's clear blue sky); a
    # folder name alone ("space/") accepts no photo
    args = ["batch", str(prompts), "--object", "the sky", "--action", "Camera pans down.",
            "--backend", "simulated", "--dry-run", "--json"]  # fmt: skip
    code, out = run_cli(ws, *args)
    plan = json.loads(out)
    assert code == 0 and plan["searches"] == 1
    assert len({row["request"]["asset_id"] for row in plan["rows"]}) == 1
    assert plan["rows"][0]["request"]["prompt"] == "Shot 0: the sky. Camera pans down."
    code, out = run_cli(ws, *args, "--distinct")
    rows = json.loads(out)["rows"]
    assert len({row["request"]["asset_id"] for row in rows}) == 2
    assert all(row["hit"]["score"] >= 0.45 for row in rows)
    # two clips of the simulated backend's own 1 s at $0.08 per second
    assert json.loads(out)["cost_usd"] == pytest.approx(2 * 0.08)
    assert not (ws / "jobs.sqlite").exists() or not json.loads(
        run_cli(ws, "jobs", "list", "--json")[1]
    )


def test_budget_refuses_an_expensive_batch(ws: Path, tmp_path: Path) -> None:
    prompts = _prompts(tmp_path, ["<object_prompt> <action_prompt>"] * 2)
    code, out = run_cli(ws, "batch", str(prompts), "--object", "cat", "--action", "pan",
                     "--backend", "simulated", "--budget", "0.1")  # fmt: skip
    assert code == 1 and "over the budget" in out


def test_batch_runs_skips_no_match_and_rerun_does_nothing(ws: Path, tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("object,action,output\ncat,Camera pans left.,cat\ncoffee,zoom in,coffee\n"
                    "red shoes,pan,shoes\n", encoding="utf-8")  # fmt: skip
    code, out = run_cli(ws, "batch", str(path), "--backend", "simulated", "--json")
    summary = json.loads(out)
    assert code == 0, out
    assert [s["id"][-1] for s in summary["succeeded"]] == ["1", "2"]
    assert "no good match" in summary["skipped"][0]["reason"]
    batch_dir = Path(summary["succeeded"][0]["video"]).parent.parent
    assert sorted(p.name for p in batch_dir.iterdir()) == ["cat", "coffee"]
    manifest = json.loads((batch_dir / "cat" / "manifest.json").read_text())
    assert manifest["search_hit"]["asset"]["source"].endswith("cat.jpg")
    code, out = run_cli(ws, "batch", str(path), "--backend", "simulated")
    assert code == 0 and "already finished" in out
    ledger = SimulatedGenerator.from_settings(load_settings({"workspace": ws}, environ={}))
    assert set(ledger.submissions().values()) == {1}

    code, out = run_cli(ws, "gallery", "--json")
    gallery = json.loads(out)
    assert code == 0 and gallery["videos"] == 2
    html = Path(gallery["html"]).read_text()
    assert "Cat. Camera pans left." in html and 'src="' in html


def test_jobs_commands_show_wait_cancel_retry(ws: Path, tmp_path: Path) -> None:
    prompts = _prompts(tmp_path, ["BROKEN <action_prompt>", "Fine <action_prompt>"])
    code, out = run_cli(
        ws, "batch", str(prompts), "--action", "pan", "--backend", "simulated", "--json"
    )
    summary = json.loads(out)
    assert code == 1 and len(summary["failed"]) == 1  # a failed row sets the exit code
    failed_id = summary["failed"][0]["id"]
    batch_id = failed_id.rsplit("-", 1)[0]
    code, out = run_cli(ws, "jobs", "show", failed_id, "--json")
    shown = json.loads(out)
    assert shown["state"] == "failed" and "BROKEN" in shown["error"]["message"]
    assert [e["state"] for e in shown["events"]][:2] == ["queued", "running"]
    code, out = run_cli(ws, "jobs", "retry", batch_id, "--json")
    assert [j["state"] for j in json.loads(out)] == ["queued"]
    code, out = run_cli(ws, "jobs", "cancel", failed_id)
    assert code == 0 and "cancelled" in out
    code, out = run_cli(ws, "jobs", "wait", batch_id, "--json")
    waited = json.loads(out)
    assert len(waited["succeeded"]) == 1 and len(waited["cancelled"]) == 1
    code, out = run_cli(ws, "jobs", "show", "nope")
    assert code == 1 and "no job" in out


@pytest.mark.slow
def test_detached_batch_is_followed_from_another_command(ws: Path, tmp_path: Path) -> None:
    prompts = _prompts(tmp_path, ["One <object_prompt>, <action_prompt>", "Two <object_prompt>"])
    # the detached worker is another process: a built-in backend (test twins register per process)
    code, out = run_cli(ws, "batch", str(prompts), "--object", "cat", "--action", "pan",
                     "--backend", "camera", "--detach", "--json")  # fmt: skip
    info = json.loads(out)
    assert code == 0 and info["jobs_added"] == 2
    code, out = run_cli(ws, "jobs", "wait", info["batch_id"], "--timeout", "60", "--json")
    assert len(json.loads(out)["succeeded"]) == 2, out + Path(info["log"]).read_text()


def test_bad_prompts_file_is_one_line(ws: Path, tmp_path: Path) -> None:
    path = _prompts(tmp_path, ["A photo of <object-prompt>"])
    code, out = run_cli(ws, "batch", str(path), "--object", "cat", "--dry-run")
    assert code == 2 and "unknown placeholder" in out


def test_rows_with_an_edit_step_remove_before_animating(
    ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np
    from PIL import Image

    for name, value in (("WIDTH", "128"), ("HEIGHT", "96"), ("FPS", "8")):
        monkeypatch.setenv(f"REELRAG_{name}", value)
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8)).save(tmp_path / "p.png")
    path = tmp_path / "edits.csv"
    path.write_text("prompt,image,box,mask,duration,output\n"
                    'slow zoom in,p.png,"40,30,30,20",,1,removed\n'
                    "pan left,p.png,,no-such-mask.png,1,broken\n", encoding="utf-8")  # fmt: skip
    code, out = run_cli(ws, "batch", str(path), "--backend", "camera", "--dry-run")
    assert code == 0 and "edit:" in out, out  # the table cell wraps at 80 columns
    code, out = run_cli(ws, "batch", str(path), "--backend", "camera", "--dry-run", "--json")
    planned = json.loads(out)["rows"]
    assert edit_label(planned[0]["request"]["options"]["edit"]) == (
        "+ edit: remove in 1 box(es) (default editor)"
    )
    assert (
        planned[1]["state"] == "failed"
        and "no-such-mask.png does not exist" in planned[1]["reason"]
    )
    code, out = run_cli(ws, "batch", str(path), "--backend", "camera", "--json")
    summary = json.loads(out)
    assert code == 1  # the bad row failed; the batch went on
    assert [Path(s["video"]).parent.name for s in summary["succeeded"]] == ["removed"]
    assert "no-such-mask.png does not exist" in summary["failed"][0]["reason"]
    manifest = json.loads((Path(summary["succeeded"][0]["video"]).parent / "manifest.json")
                          .read_text())  # fmt: skip
    edit = manifest["edit"]
    assert edit["backend"] == "opencv" and edit["request"]["prompt"] is None
    assert edit["mask"]["spec"]["boxes"] == ["40,30,30,20"] and edit["mask"]["transform"]


def test_min_score_flags_and_the_photo_each_job_animates(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "cat.mp4"
    args = ["generate", "--object", "a ginger cat", "--prompt", "zoom in", "--size", "96x64",
            "--duration", "0.5", "--fps", "8", "--out", str(out)]  # fmt: skip
    code, text = run_cli(ws, *args, "--min-score", "1")
    assert code != 0 and "no good match" in text and not out.exists()
    code, text = run_cli(ws, *args)
    assert code == 0, text
    assert "animated" in text and "cat.jpg (score" in text and "stands out" in text
    prompts = _prompts(tmp_path, ["<object_prompt> <action_prompt>"])
    batch = ["batch", str(prompts), "--object", "a ginger cat", "--action", "pan",
             "--backend", "simulated"]  # fmt: skip
    code, text = run_cli(ws, *batch, "--dry-run", "--json", "--min-score", "1")
    assert json.loads(text)["rows"][0]["state"] != "queued"
    code, text = run_cli(ws, *batch)
    assert code == 0 and "line 2: " in text and "cat.jpg (score" in text  # line 1: a comment


def test_contact_sheet_shows_the_photo_each_row_animates(ws: Path, tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("object,action\na ginger cat,zoom in\na ginger cat,pan left\n"
                    "rocket on the launch pad,zoom out\nred running shoes,pan\n")  # fmt: skip
    sheet = tmp_path / "matches.html"
    batch = ["batch", str(rows), "--backend", "simulated", "--dry-run"]
    code, text = run_cli(ws, *batch, "--contact-sheet", str(sheet))
    assert code == 0, text
    page = sheet.read_text(encoding="utf-8")
    # one cell per object and photo, headed by its lines; the no-match row has none
    assert page.count('class="rr-cell"') == 2
    assert "lines 2, 3 · " in page and "a ginger cat" in page and "line 4 · " in page
    assert "ginger tabby cat" in page and "red running shoes" not in page
    assert "the photo each row animates" in page
    # never over an existing file unless asked; a bad name is refused before any search
    code, text = run_cli(ws, *batch, "--contact-sheet", str(sheet))
    assert code != 0 and "already exists" in text
    code, text = run_cli(ws, *batch, "--contact-sheet", str(sheet), "--overwrite")
    assert code == 0, text
    code, text = run_cli(ws, *batch, "--contact-sheet", str(tmp_path / "matches.txt"))
    assert code != 0 and "use a .png or .html file name" in text
    png = tmp_path / "matches.png"
    code, text = run_cli(ws, *batch, "--contact-sheet", str(png))
    assert code == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
