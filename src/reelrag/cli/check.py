"""``reelrag check``: output QA of a video from its pixels (any backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from reelrag.cli.common import console, labelled, print_json

FAILED_EXIT = 3  # the check ran and the video failed it (1 and 2: the check could not run)


def register(app: typer.Typer) -> None:
    app.command("check")(check_command)


def check_command(
    video: Annotated[Path, typer.Argument(help="The .mp4 to check.")],
    prompt: Annotated[
        str | None, typer.Option("--prompt", "-p", help="The camera prompt it was made from.")
    ] = None,
    reference: Annotated[
        Path | None, typer.Option("--reference", help="Image the first frame should match.")
    ] = None,
    duration: Annotated[float | None, typer.Option("--duration", help="Seconds asked.")] = None,
    fps: Annotated[float | None, typer.Option("--fps", help="Frame rate asked.")] = None,
    backend: Annotated[
        str | None, typer.Option("--backend", help="Backend that made it (camera: strict amounts).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report.")] = False,
) -> None:
    """Check a video: camera motion vs the prompt, padding, frozen or black frames, the first
    frame vs the reference (SSIM), duration, fps, codec. What is not given is read from the
    manifest beside the video (clip.json), if any. Exits 3 when the check fails."""
    from reelrag.qa import check_video, expect_from_manifest

    expect = expect_from_manifest(video)
    overrides: dict[str, Any] = {
        "prompt": prompt,
        "reference": reference,
        "duration_s": duration,
        "fps": fps,
        "backend": backend,
    }
    for key, value in overrides.items():
        if value is not None:
            setattr(expect, key, value)
    report = check_video(video, expect)
    if as_json:
        print_json(report)
    else:
        colour = "green" if report["verdict"] == "pass" else "red"
        summary = report["summary"]
        verdict, _, rest = summary.partition(" ")
        console.print(labelled(verdict, colour, f" {rest}"), highlight=False, soft_wrap=True)
        for warning in report["warnings"]:
            console.print(labelled("warning:", "yellow", f" {warning}"), highlight=False)
    if report["verdict"] != "pass":
        raise typer.Exit(FAILED_EXIT)
