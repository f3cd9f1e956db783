"""``reelrag generate``: image (path, asset or retrieved object) + prompt -> video."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from reelrag.cli.common import console, labelled, print_json, progress_bars, settings_from
from reelrag.editing.base import EditRequest
from reelrag.editing.masks import MaskSpec
from reelrag.editing.step import EditPlan
from reelrag.errors import InputError
from reelrag.settings import Settings
from reelrag.types import GenerationResult


def register(app: typer.Typer) -> None:
    app.command("generate")(generate_command)


def parse_size(size: str | None) -> tuple[int | None, int | None]:
    """ "1280x720" -> (1280, 720); None -> (None, None)."""
    if not size:
        return None, None
    width, sep, height = size.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise InputError(f"size {size!r} is not WIDTHxHEIGHT", hint="e.g. --size 1280x720")
    return int(width), int(height)


def generate_command(
    ctx: typer.Context,
    prompt: Annotated[
        str | None, typer.Option("--prompt", "-p", help="Camera/action prompt.")
    ] = None,
    action: Annotated[str | None, typer.Option("--action", help="Same as --prompt.")] = None,
    image: Annotated[Path | None, typer.Option("--image", "-i", help="Image file.")] = None,
    asset: Annotated[str | None, typer.Option("--asset", help="Library asset id.")] = None,
    object_query: Annotated[
        str | None, typer.Option("--object", help="Retrieve the best library image for this.")
    ] = None,
    duration: Annotated[float | None, typer.Option("--duration", help="Seconds.")] = None,
    fps: Annotated[int | None, typer.Option("--fps", help="Frames per second.")] = None,
    size: Annotated[str | None, typer.Option("--size", help="WIDTHxHEIGHT, e.g. 1280x720.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed (random if omitted).")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output .mp4 path.")] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace existing output.")
    ] = False,
    backend: Annotated[str | None, typer.Option("--backend", help="Generator backend.")] = None,
    move: Annotated[
        str | None, typer.Option("--move", help="Camera move(s), e.g. zoom-in or zoom-in+pan-left.")
    ] = None,
    speed: Annotated[
        str | None, typer.Option("--speed", help="very-slow|slow|medium|fast|very-fast")
    ] = None,
    easing: Annotated[
        str | None, typer.Option("--easing", help="ease-in-out|linear|ease-in|ease-out")
    ] = None,
    atmosphere: Annotated[
        str | None, typer.Option("--atmosphere", help="snow, rain, particles, sparks, fog or none.")
    ] = None,
    fit: Annotated[
        str | None,
        typer.Option("--fit", help="Framing: cover (default), pad, blur, extend or auto."),
    ] = None,
    focus: Annotated[
        str | None,
        typer.Option("--focus", help="Where the subject is: x,y or x,y,w,h (fractions or px)."),
    ] = None,
    qa_retry: Annotated[
        int | None,
        typer.Option("--qa-retry", help="Generative backends: new-seed tries if the QA fails."),
    ] = None,
    mask: Annotated[
        Path | None, typer.Option("--mask", help="Edit first: mask image (white = edit).")
    ] = None,
    box: Annotated[
        list[str] | None, typer.Option("--box", help="Edit first: region x,y,w,h (repeatable).")
    ] = None,
    polygon: Annotated[
        Path | None, typer.Option("--polygon", help="Edit first: polygon(s) JSON file.")
    ] = None,
    mask_prompt: Annotated[
        str | None, typer.Option("--mask-prompt", help="Edit first: region named in words.")
    ] = None,
    invert_mask: Annotated[bool, typer.Option("--invert-mask", help="Swap edit/keep.")] = False,
    edit_prompt: Annotated[
        str | None, typer.Option("--edit-prompt", help="What to paint in (omit to remove).")
    ] = None,
    edit_backend: Annotated[
        str | None, typer.Option("--edit-backend", help="Editor (opencv, bedrock, diffusers).")
    ] = None,
    edit_negative_prompt: Annotated[
        str | None, typer.Option("--edit-negative-prompt", help="What the edit must avoid.")
    ] = None,
    edit_variants: Annotated[int, typer.Option("--edit-variants", min=1, max=5)] = 1,
    edit_variant: Annotated[
        int | None, typer.Option("--edit-variant", help="Use this variant (default: best).")
    ] = None,
    min_score: Annotated[
        float | None,
        typer.Option("--min-score", min=0.0, max=1.0, help="Match threshold for --object."),
    ] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Show the motion plan.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Generate a video from an image and a camera/action prompt."""
    from reelrag.pipeline import build_request, generate

    text = action or prompt
    if not text:
        raise InputError("no prompt given", hint="pass --prompt (or --action with --object)")
    settings = settings_from(ctx, min_score=min_score)
    width, height = parse_size(size)
    controls = {"move": move, "speed": speed, "easing": easing, "atmosphere": atmosphere,
                "fit": fit, "focus": focus, "qa_retry": qa_retry}  # fmt: skip
    plan: EditPlan | None = None
    spec = MaskSpec(
        mask=str(mask) if mask else None,
        boxes=tuple(box or ()),
        polygon=str(polygon) if polygon else None,
        invert=invert_mask,
    )
    if not spec.is_empty() or mask_prompt:
        edit = EditRequest(
            prompt=edit_prompt, negative_prompt=edit_negative_prompt, mask_prompt=mask_prompt,
            variants=edit_variants, seed=seed, backend=edit_backend,
        )  # fmt: skip
        plan = EditPlan(spec, edit, variant=edit_variant)
    elif edit_prompt:
        raise InputError("--edit-prompt needs a region", hint="add --mask, --box or --polygon")
    request = build_request(
        text, image=str(image) if image else None, asset_id=asset, object_query=object_query,
        controls=controls, edit=plan, width=width, height=height, duration_s=duration, fps=fps,
        seed=seed, backend=backend,
    )  # fmt: skip
    library = _library(settings) if (asset or object_query) else None
    with progress_bars(enabled=not as_json) as progress:
        result = generate(
            request,
            settings,
            library=library,
            object_query=object_query,
            out=out,
            overwrite=overwrite,
            progress=progress,
        )
    manifest = json.loads(Path(result.manifest).read_text(encoding="utf-8"))
    if as_json:
        print_json(
            {**result.to_dict(), "plan": manifest.get("details", {}).get("plan")}
            if explain
            else result.to_dict()
        )
        return
    _show(result, manifest, explain)


def _library(settings: Settings) -> Any:
    from reelrag.library import Library

    return Library(settings)


def _show(result: GenerationResult, manifest: dict[str, Any], explain: bool) -> None:
    console.print(
        labelled(
            "wrote",
            "green",
            f" {result.video} ({result.width}x{result.height}, {result.frames} frames, "
            f"{result.duration_s:g}s, seed {result.seed}, {result.elapsed_s:.2f}s)",
        ),
        highlight=False,
    )
    hit = manifest.get("search_hit")
    if hit:
        console.print(
            labelled(
                "animated",
                "green",
                f" {hit['asset']['source']} (score {hit['score']:.2f}: {hit.get('why') or '-'})",
            ),
            highlight=False,
            soft_wrap=True,
        )
    for item in result.not_rendered:
        console.print(labelled("not rendered:", "yellow", f" {item}"), highlight=False)
    for item in manifest.get("adjustments", []):
        console.print(labelled("adjusted:", "yellow", f" {item}"), highlight=False)
    if result.qa:
        verdict, _, rest = result.qa.partition(" ")
        colour = "green" if verdict == "PASS" else "red"
        console.print(labelled(f"QA {verdict}", colour, f" {rest}"), highlight=False)
    plan = manifest.get("details", {}).get("plan")
    if explain and plan:
        table = Table("plan", "value")
        for key in (
            "moves",
            "phrases",
            "speed",
            "easing",
            "start",
            "end",
            "default",
            "atmosphere",
            "not_rendered",
            "from_to",
            "sources",
        ):
            table.add_row(key, json.dumps(plan.get(key), ensure_ascii=False))
        if manifest.get("fit"):
            fit = manifest["fit"]
            table.add_row("fit", f"{fit['method']} crop_box={fit['crop_box']}")
        console.print(table)
