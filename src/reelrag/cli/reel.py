"""``reelrag reel``: a storyboard -> finished reels in every aspect ratio (see docs/reel.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from reelrag.cli.common import console, labelled, print_json, progress_bars, settings_from
from reelrag.errors import InputError
from reelrag.settings import Settings


def register(app: typer.Typer) -> None:
    app.command("reel")(reel_command)


def reel_command(
    ctx: typer.Context,
    storyboard: Annotated[
        Path | None, typer.Argument(help="Storyboard file (.yaml, .yml or .json).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output .mp4 (several ratios: NAME.16x9.mp4, ...)."),
    ] = None,
    aspect: Annotated[
        str | None, typer.Option("--aspect", help="Aspect ratios, e.g. 16:9,9:16,1:1.")
    ] = None,
    fps: Annotated[int | None, typer.Option("--fps", help="Frames per second.")] = None,
    backend: Annotated[str | None, typer.Option("--backend", help="Generator backend.")] = None,
    music: Annotated[Path | None, typer.Option("--music", help="Music bed audio file.")] = None,
    voice: Annotated[
        str | None, typer.Option("--voice", help="TTS for voice-over text: espeak or polly.")
    ] = None,
    distinct: Annotated[
        bool | None, typer.Option("--distinct", help="Never use one photo for two shots.")
    ] = None,
    skip_missing: Annotated[
        bool | None,
        typer.Option("--skip-missing", help="Leave out shots without a match (else fail)."),
    ] = None,
    budget: Annotated[
        float | None, typer.Option("--budget", help="Refuse if the shots cost more (USD).")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace existing outputs.")
    ] = False,
    brief: Annotated[
        str | None,
        typer.Option("--brief", help="Write STORYBOARD from a brief (Bedrock; reelrag[aws])."),
    ] = None,
    render: Annotated[
        bool, typer.Option("--render", help="With --brief: also render the storyboard.")
    ] = False,
    no_sign: Annotated[
        bool, typer.Option("--no-sign", help="Write the reel without Content Credentials.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Render a storyboard's shots as jobs, then compose, mix, subtitle and sign the reel."""
    from reelrag.reel import load_storyboard, render_reel
    from reelrag.reel.storyboard import parse_aspects

    if storyboard is None:
        raise InputError(
            "give a storyboard file", hint="reelrag reel storyboard.yaml --out reel.mp4"
        )
    settings = settings_from(ctx, sign_outputs=False if no_sign else None)
    overrides: dict[str, Any] = {
        "aspect_ratios": parse_aspects(aspect) if aspect else None,
        "fps": fps, "backend": backend, "voice": voice, "distinct": distinct,
        "skip_missing": skip_missing, "music": str(music.resolve()) if music else None,
    }  # fmt: skip
    board = load_storyboard(storyboard, **overrides)
    with progress_bars(not as_json) as bars:
        result = render_reel(
            board, settings, out=out, overwrite=overwrite, progress=bars, budget_usd=budget
        )
    if as_json:
        print_json(result.to_dict())
        return
    for line in result.missing:
        console.print(labelled("skipped", "yellow", f" {line}"))
    for video in result.videos:
        console.print(labelled("wrote", "green", f" {video}"))
    loudness = f", {result.loudness_lufs:.1f} LUFS" if result.loudness_lufs is not None else ""
    signed = "signed" if result.signed else "unsigned"
    console.print(
        f"{result.shots} shots, {result.duration_s:.2f} s ({result.frames} frames){loudness}, "
        f"{signed}; subtitles: {', '.join(result.subtitles) or 'none'}"
    )


def _write_brief(target: Path, brief: str, settings: Settings, overwrite: bool) -> None:
    """Ask the model for a storyboard grounded in the library and write it as YAML."""
    from reelrag.library import Library
    from reelrag.reel.brief import storyboard_from_brief
    from reelrag.storage import atomic_write_bytes, check_replaceable

    if target.suffix.lower() not in (".yaml", ".yml"):
        raise InputError(
            f"{target} must end in .yaml", hint="e.g. reelrag reel ad.yaml --brief ..."
        )
    check_replaceable([target], overwrite=overwrite, inputs=(), out_hint="another STORYBOARD")
    library = Library(settings)
    try:
        result = storyboard_from_brief(brief, settings, library=library)
    finally:
        library.close()
    atomic_write_bytes(target, result.yaml().encode("utf-8"))
    for line in result.dropped:
        console.print(labelled("dropped", "yellow", f" {line}"))
    shots = len(result.storyboard["shots"])
    console.print(labelled("wrote", "green", f" {target} ({shots} shots, by {result.model})"))
