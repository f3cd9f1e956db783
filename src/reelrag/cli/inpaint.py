"""``reelrag inpaint``: remove or repaint a masked region of an image before animating it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from reelrag.cli.common import console, labelled, print_json, settings_from
from reelrag.errors import InputError
from reelrag.settings import Settings


def register(app: typer.Typer) -> None:
    app.command("inpaint")(inpaint_command)


def inpaint_command(
    ctx: typer.Context,
    image: Annotated[Path | None, typer.Argument(help="Image file to edit.")] = None,
    asset: Annotated[str | None, typer.Option("--asset", help="Library asset id instead.")] = None,
    mask: Annotated[
        Path | None, typer.Option("--mask", "-m", help="Mask image: white = edit, black = keep.")
    ] = None,
    box: Annotated[
        list[str] | None, typer.Option("--box", help="Region x,y,w,h in pixels; repeatable.")
    ] = None,
    polygon: Annotated[
        Path | None, typer.Option("--polygon", help="JSON file of polygons [[x, y], ...].")
    ] = None,
    mask_prompt: Annotated[
        str | None, typer.Option("--mask-prompt", help="Find the region from text (bedrock).")
    ] = None,
    prompt: Annotated[
        str | None, typer.Option("--prompt", "-p", help="What to paint; omit to remove.")
    ] = None,
    negative_prompt: Annotated[
        str | None, typer.Option("--negative-prompt", help="What to avoid.")
    ] = None,
    variants: Annotated[int, typer.Option("--variants", "-n", help="How many variants.")] = 1,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed (random if omitted).")] = None,
    backend: Annotated[
        str | None,
        typer.Option("--backend", help="Editor backend: opencv (default), bedrock or diffusers."),
    ] = None,
    cfg_scale: Annotated[float | None, typer.Option("--cfg-scale", help="Prompt strength.")] = None,
    steps: Annotated[
        int | None, typer.Option("--steps", min=1, help="Denoising steps (diffusers).")
    ] = None,
    quality: Annotated[str | None, typer.Option("--quality", help="standard | premium.")] = None,
    outpaint: Annotated[
        bool, typer.Option("--outpaint", help="Regenerate around the subject (bedrock).")
    ] = False,
    threshold: Annotated[
        int | None, typer.Option("--threshold", help="Mask grey level meaning 'edit' (1-255).")
    ] = None,
    invert_mask: Annotated[
        bool, typer.Option("--invert-mask", help="The mask was drawn black = edit.")
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder.")] = None,
    preview: Annotated[
        bool, typer.Option("--preview", help="Write a side-by-side preview.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace existing outputs.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Edit IMAGE (or --asset) where the mask says: remove, or repaint from --prompt.

    Writes the variants, the exact mask used and a manifest (and --preview) into --out, by
    default <workspace>/outputs/edits/<name>-<time>/. The input image is never modified.
    """
    from reelrag.editing.base import EditRequest
    from reelrag.editing.masks import MaskSpec
    from reelrag.editing.run import inpaint

    if image is not None and asset is not None:
        raise InputError("give IMAGE or --asset, not both")
    settings = settings_from(ctx)
    spec = MaskSpec(
        mask=str(mask) if mask else None,
        boxes=tuple(box or ()),
        polygon=str(polygon) if polygon else None,
        threshold=threshold,
        invert=invert_mask,
    )
    request = EditRequest(
        prompt=prompt,
        negative_prompt=negative_prompt,
        mask_prompt=mask_prompt,
        variants=variants,
        seed=seed,
        cfg_scale=cfg_scale,
        quality=quality,
        mode="outpaint" if outpaint else "inpaint",
        backend=backend,
        options={"steps": steps} if steps else {},
    )
    library = _library(settings) if asset else None
    result = inpaint(
        image,
        spec,
        request,
        settings,
        asset_id=asset,
        library=library,
        out=out,
        overwrite=overwrite,
        preview=preview,
    )
    if as_json:
        print_json(result.to_dict())
        return
    _show(result)


def _library(settings: Settings) -> Any:
    from reelrag.library import Library

    return Library(settings)


def _show(result: Any) -> None:
    table = Table("output", "file")
    for path in result.variants:
        best = " (best)" if result.best and path.endswith(f"variant-{result.best}.png") else ""
        table.add_row("variant" + best, path)
    if result.mask:
        table.add_row("mask", result.mask)
    if result.preview:
        table.add_row("preview", result.preview)
    table.add_row("manifest", result.manifest)
    console.print(table)
    for item in result.blocked:
        console.print(labelled("blocked:", "yellow", f" {item}"), highlight=False)
    seed = f", seed {result.seed}" if result.seed is not None else ""
    console.print(
        f"{result.backend} ({result.model}){seed}, {result.elapsed_s:.2f}s", highlight=False
    )
