"""Local in-painting with diffusers (``editor.diffusers``): Stable Diffusion in-painting, Flux Fill.

The model is a hub id or a folder (``diffusers_inpaint_model``), found and loaded through
:mod:`reelrag.localmodels.loading` (offline, a missing model names the folder to create) and kept
in the process-wide cache's ``"diffusion"`` slot, so it swaps out a loaded video pipeline instead
of sitting beside it. The family decides the pipeline class: a Flux *Fill* model runs
``FluxFillPipeline``, anything else ``AutoPipelineForInpainting`` (SD 1.5/2 in-painting, SDXL
in-painting, ...).

Lifecycle per edit: check the request (:func:`check_edit`) -> load or reuse the pipeline -> refuse
a prompt longer than its text encoder reads -> pad the image (edge pixels) and the mask (keep) up
to the model's multiple (8 for SD's VAE, 16 for Flux's packed latents; the padding is recorded)
-> one call with ``num_images_per_prompt = variants`` and one CPU-seeded generator per variant
(variant *i* starts from the noise of ``seed + i - 1``; the same seed and variant count remake the
same set on any device) -> crop back and paste with :func:`keep_outside`, so unmasked pixels stay
identical.

Masks need no conversion: diffusers, like ReelRAG, repaints where the mask is white (255).
Without a prompt this editor **refuses** (``can_remove`` is False): a diffusion model asked for
"nothing" paints plausible new things, not the background; describe the fill ("empty sand") or
remove with the ``opencv`` editor. torch and diffusers are imported only when an edit runs.
"""

from __future__ import annotations

import inspect
import json
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from reelrag.editing.base import (
    Editor,
    EditorCapabilities,
    EditRequest,
    EditResult,
    Variant,
    check_edit,
    keep_outside,
)
from reelrag.errors import BackendError, CapabilityError, ConfigError, InputError, ReelragError
from reelrag.localmodels import loading
from reelrag.localmodels.cache import MODELS
from reelrag.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_MODEL", "DiffusersEditor", "InpaintFamily", "family_for", "pad_to_multiple"]

SLOT = "diffusion"  # shared with the video pipelines: one large model in memory at a time
DEFAULT_MODEL = "stable-diffusion-v1-5/stable-diffusion-inpainting"
SAFETY_BLOCKED = "the model's safety checker flagged this variant"


@dataclass(frozen=True)
class InpaintFamily:
    """How one family of in-painting models is run; steps and guidance are its recommended ones."""

    name: str
    pipeline: str  # diffusers class loaded with from_pretrained
    steps: int
    guidance: float
    packed: bool  # latents packed 2x2 (Flux): the image multiple is twice the VAE's factor


FAMILIES = {
    "sd": InpaintFamily("sd", "AutoPipelineForInpainting", 30, 7.5, False),
    "flux-fill": InpaintFamily("flux-fill", "FluxFillPipeline", 28, 30.0, True),
}


def family_for(model: str, folder: Path | None = None) -> InpaintFamily:
    """The family of ``model``: from the folder's ``model_index.json`` when there is one, else
    from the id ("flux" and "fill" in it means Flux Fill).

    >>> family_for("black-forest-labs/FLUX.1-Fill-dev").name
    'flux-fill'
    >>> family_for("stable-diffusion-v1-5/stable-diffusion-inpainting").pipeline
    'AutoPipelineForInpainting'
    """
    class_name = _class_name(folder) if folder else ""
    if class_name == "FluxFillPipeline":
        return FAMILIES["flux-fill"]
    lowered = model.lower()
    if not class_name and "flux" in lowered and "fill" in lowered:
        return FAMILIES["flux-fill"]
    if class_name.startswith("Flux") or (not class_name and "flux" in lowered):
        raise ConfigError(
            f"{model} is a Flux model but not Flux Fill; only FLUX.1-Fill in-paints well",
            hint="set diffusers_inpaint_model=black-forest-labs/FLUX.1-Fill-dev",
        )
    return FAMILIES["sd"]


def _class_name(folder: Path) -> str:
    index = folder / "model_index.json"
    try:
        return str(json.loads(index.read_text(encoding="utf-8")).get("_class_name", ""))
    except (OSError, ValueError):
        return ""


class DiffusersEditor(Editor):
    """Prompted in-painting with a local diffusers model; refuses requests without a prompt."""

    name = "diffusers"
    capabilities = EditorCapabilities(
        can_prompt_fill=True,
        can_remove=False,  # see the module docstring: no prompt is refused, not guessed
        can_segment_text=False,
        max_variants=4,
        max_prompt_chars=2000,  # the real limit is in tokens, checked once the tokenizer is loaded
        deterministic=False,
    )

    def __init__(
        self, model: str, *, settings: Settings, steps: int = 0, guidance: float = 0.0
    ) -> None:
        if steps < 0 or guidance < 0:
            raise ConfigError(
                "inpaint_steps and inpaint_guidance must be 0 (model default) or more"
            )
        self.model = model or DEFAULT_MODEL
        self.settings = settings
        self.steps, self.guidance = steps, guidance

    @classmethod
    def from_settings(cls, settings: Settings) -> DiffusersEditor:
        return cls(
            str(settings.diffusers_inpaint_model),
            settings=settings,
            steps=int(settings.inpaint_steps),
            guidance=float(settings.inpaint_guidance),
        )

    def edit(
        self, image: Image.Image, mask: Image.Image | None, request: EditRequest
    ) -> EditResult:
        check_edit(request, self.capabilities, image, mask)
        assert mask is not None  # check_edit: no text segmentation here, so a mask is given
        seed = request.seed if request.seed is not None else secrets.randbelow(2**31)
        key = (self.model, self.settings.device, self.settings.dtype, self.settings.cpu_offload)
        idle_s = self.settings.model_idle_s
        with MODELS.use(SLOT, key, self._load, idle_s) as use:
            loaded: _Loaded = use.value
            _check_tokens(loaded.pipe, request, loaded.takes_negative)
            call, adjustments = self.plan(loaded, image.size, request, seed)
            canvas, canvas_mask = pad_to_multiple(image, mask, call["width"], call["height"])
            started = time.perf_counter()
            output = _run(loaded.pipe, call, canvas, canvas_mask)
            render_s = round(time.perf_counter() - started, 4)
        images, variants = _variants(output, image, mask)
        details = {
            **loaded.describe(),
            "pipeline_call": {k: v for k, v in call.items() if k != "prompt"},
            "variant_seeds": [seed + i for i in range(request.variants)],
            "adjustments": adjustments,
            "pipeline_reused": use.reused,
            "timings_s": {"load_s": use.load_s, "denoise_decode_s": render_s},
        }
        return EditResult(
            images=images,
            variants=variants,
            backend=self.name,
            model=self.model,
            seed=seed,
            not_honoured=_not_honoured(request, loaded),
            details=details,
        )

    def plan(
        self, loaded: _Loaded, size: tuple[int, int], request: EditRequest, seed: int
    ) -> tuple[dict[str, Any], list[str]]:
        """The pipeline call for ``request`` on an image of ``size``, and the adjustments made."""
        options = request.options or {}
        family = loaded.family
        width, height = (_round_up(side, loaded.multiple) for side in size)
        adjustments = []
        if (width, height) != size:
            adjustments.append(
                f"image {size[0]}x{size[1]} padded to {width}x{height} (a multiple of "
                f"{loaded.multiple} for {self.model}); the result is cropped back"
            )
        call: dict[str, Any] = {
            "prompt": request.prompt,
            "width": width,
            "height": height,
            "num_inference_steps": _positive_int(
                options.get("steps") or self.steps or family.steps
            ),
            "guidance_scale": _guidance(request, options, self.guidance or family.guidance),
            "strength": _strength(options.get("strength", 1.0)),
            "num_images_per_prompt": request.variants,
            "seed": seed,
        }
        if request.negative_prompt and loaded.takes_negative:
            call["negative_prompt"] = request.negative_prompt
        return call, adjustments

    def _load(self, previous: Any) -> _Loaded:
        del previous  # another model (video or in-painting) is dropped, not reused
        return _Loaded.load(self.model, self.settings)


class _Loaded:
    """A loaded in-painting pipeline and the facts the edit needs about it."""

    def __init__(
        self, pipe: Any, family: InpaintFamily, source: loading.ModelSource, device: str, dtype: Any
    ) -> None:
        self.pipe, self.family, self.source = pipe, family, source
        self.device, self.dtype = device, dtype
        factor = int(getattr(pipe, "vae_scale_factor", 8))
        # SD's check_inputs wants multiples of 8 even for a smaller VAE factor
        self.multiple = max(8, factor * 2 if family.packed else factor)
        self.takes_negative = "negative_prompt" in inspect.signature(pipe.__call__).parameters

    @classmethod
    def load(cls, model: str, settings: Settings) -> _Loaded:
        diffusers: Any = loading.require("diffusers")
        device = loading.resolve_device(settings.device)
        dtype = loading.resolve_dtype(settings.dtype, device)
        source = loading.model_source(model, settings)
        family = family_for(model, Path(source.location) if source.local else None)
        pipe = loading.load_pretrained(getattr(diffusers, family.pipeline), source, dtype=dtype)
        _place(pipe, settings, device)
        log.info("in-painting with %s (%s) on %s", model, type(pipe).__name__, device)
        return cls(pipe, family, source, device, dtype)

    def describe(self) -> dict[str, Any]:
        return {
            "model_source": self.source.describe(),
            "family": self.family.name,
            "pipeline": type(self.pipe).__name__,
            "device": self.device,
            "dtype": str(self.dtype).removeprefix("torch."),
            "image_multiple_px": self.multiple,
        }


def _place(pipe: Any, settings: Settings, device: str) -> None:
    offload = str(settings.cpu_offload)
    if offload != "none" and not device.startswith("cuda"):
        raise ConfigError(
            f"cpu_offload={offload} needs a CUDA device, not {device}", hint="set cpu_offload=none"
        )
    if offload == "model":
        pipe.enable_model_cpu_offload(device=device)
    elif offload == "sequential":
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        pipe.to(device)
    if settings.vae_tiling:
        pipe.vae.enable_tiling()  # large canvases decode in tiles
    pipe.set_progress_bar_config(disable=True)


def _check_tokens(pipe: Any, request: EditRequest, takes_negative: bool) -> None:
    """Refuse a prompt the text encoder would truncate (diffusers only logs a warning).

    The negative prompt is checked only where the pipeline reads one: Flux Fill takes none, so
    its negative prompt is reported as not honoured, not refused for a length it never reads.
    """
    tokenizer = getattr(pipe, "tokenizer_2", None) or getattr(pipe, "tokenizer", None)
    if tokenizer is None:
        return
    limit = min(int(tokenizer.model_max_length), 512)
    for name in ("prompt", "negative_prompt") if takes_negative else ("prompt",):
        text = getattr(request, name)
        count = len(tokenizer(text).input_ids) if text else 0
        if count > limit:
            raise CapabilityError(
                f"{name} is {count} tokens; this model reads at most {limit}",
                hint="shorten it: the model would silently drop the rest",
            )


def pad_to_multiple(
    image: Image.Image, mask: Image.Image, width: int, height: int
) -> tuple[Image.Image, Image.Image]:
    """``image`` padded right/bottom to ``width`` x ``height`` with its edge pixels (no
    resampling, so no pixel moves) and ``mask`` padded with "keep"."""
    dw, dh = width - image.width, height - image.height
    if dw < 0 or dh < 0:
        raise InputError(f"cannot pad {image.size} down to {width}x{height}")
    if not dw and not dh:
        return image.convert("RGB"), mask
    rgb = np.pad(np.asarray(image.convert("RGB")), ((0, dh), (0, dw), (0, 0)), mode="edge")
    keep = np.pad(np.asarray(mask), ((0, dh), (0, dw)), constant_values=0)
    return Image.fromarray(rgb), Image.fromarray(keep)


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _positive_int(value: Any) -> int:
    try:
        steps = int(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"steps {value!r} is not a whole number", hint="e.g. 30") from exc
    if not 1 <= steps <= 500:
        raise InputError(f"steps must be 1 to 500 (got {steps})", hint="e.g. 30")
    return steps


def _guidance(request: EditRequest, options: dict[str, Any], default: float) -> float:
    value = request.cfg_scale if request.cfg_scale is not None else options.get("guidance_scale")
    guidance = float(default if value is None else value)
    if not 0 <= guidance <= 100:
        raise InputError(f"guidance {guidance} is outside 0..100", hint="SD: ~7.5, Flux Fill: ~30")
    return guidance


def _strength(value: Any) -> float:
    strength = float(value)
    if not 0 < strength <= 1:
        raise InputError(f"strength {strength} is outside (0, 1]", hint="1.0 repaints fully")
    return strength


def _run(pipe: Any, call: dict[str, Any], image: Image.Image, mask: Image.Image) -> Any:
    torch: Any = loading.require("torch")
    seed, count = int(call["seed"]), int(call["num_images_per_prompt"])
    # one CPU generator per variant: the same noise on every device for the same seed
    generators = [torch.Generator(device="cpu").manual_seed(seed + i) for i in range(count)]
    args = {k: v for k, v in call.items() if k != "seed"}
    try:
        with torch.inference_mode():
            return pipe(**args, image=image, mask_image=mask, generator=generators)
    except torch.cuda.OutOfMemoryError as exc:
        raise BackendError(
            "the GPU ran out of memory while in-painting",
            hint="set cpu_offload=model or vae_tiling=true, ask fewer variants, or edit a "
            "smaller image",
        ) from exc
    except (ValueError, RuntimeError, TypeError) as exc:
        if isinstance(exc, ReelragError):
            raise
        raise BackendError(
            f"the diffusers in-painting pipeline failed: {exc}",
            hint="check the model folder and the request",
        ) from exc


def _variants(
    output: Any, original: Image.Image, mask: Image.Image
) -> tuple[list[Image.Image | None], list[Variant]]:
    """Crop each output back to the original size and keep the unmasked pixels identical."""
    flagged = list(getattr(output, "nsfw_content_detected", None) or [])
    images: list[Image.Image | None] = []
    variants = []
    for i, picture in enumerate(output.images):
        if i < len(flagged) and flagged[i]:
            images.append(None)
            variants.append(Variant(index=i + 1, blocked=SAFETY_BLOCKED))
            continue
        cropped = picture.convert("RGB").crop((0, 0, original.width, original.height))
        images.append(keep_outside(original, cropped, mask))
        variants.append(Variant(index=i + 1))
    return images, variants


def _not_honoured(request: EditRequest, loaded: _Loaded) -> list[str]:
    out = []
    if request.negative_prompt and not loaded.takes_negative:
        out.append(f"negative_prompt ({loaded.family.name} models take none)")
    if request.quality:
        out.append("quality (a Bedrock Canvas option)")
    return out
