"""Local open video models through diffusers (``generator.diffusers``): LTX-Video, Wan, CogVideoX.

Lifecycle per clip: check the request against the model's rules (:mod:`video_models`) -> map
duration and fps to a valid frame count (the adjustment goes to the manifest) -> get the pipeline
from the process-wide cache (:data:`reelrag.localmodels.MODELS`, slot ``"diffusion"``: a batch
loads it once; another model, or ``model_idle_s`` idle, frees it) -> run it with a CPU-seeded
generator (same noise on every device), step callbacks turned into progress -> encode H.264.
torch and diffusers are imported only when a clip is rendered.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reelrag.errors import BackendError, CapabilityError, ConfigError, ReelragError
from reelrag.generation.base import (
    Capabilities,
    Generator,
    Progress,
    ResolvedRequest,
    VideoOutput,
    no_progress,
)
from reelrag.generation.diffusers.rules import VideoModelRules, rules_for
from reelrag.localmodels import loading
from reelrag.localmodels.cache import MODELS
from reelrag.media import fit as imaging
from reelrag.media.video import VideoWriter
from reelrag.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["DiffusersVideoGenerator", "MemoryOptions"]

SLOT = "diffusion"
OFFLOAD_MODES = ("none", "model", "sequential")


@dataclass(frozen=True)
class MemoryOptions:
    """Device, precision and memory savers; part of the cache key (a change reloads)."""

    device: str = "auto"
    dtype: str = "auto"
    cpu_offload: str = "none"  # none | model | sequential
    vae_tiling: bool = False
    vae_slicing: bool = False
    attention_backend: str = ""

    def __post_init__(self) -> None:
        if self.cpu_offload not in OFFLOAD_MODES:
            raise ConfigError(
                f"unknown cpu_offload {self.cpu_offload!r}", hint=f"use {', '.join(OFFLOAD_MODES)}"
            )


class DiffusersVideoGenerator(Generator):
    """Text- and image-to-video with a local diffusers pipeline."""

    name = "diffusers"

    def __init__(
        self,
        model: str,
        *,
        settings: Settings,
        memory: MemoryOptions | None = None,
        steps: int = 0,
        crf: int = 20,
        preset: str = "veryfast",
    ) -> None:
        self.settings = settings
        self.memory = memory or MemoryOptions()
        self.steps, self.crf, self.preset = steps, crf, preset
        self.folder = _local_folder(model, settings)
        self.rules: VideoModelRules = rules_for(model, self.folder)
        self.model = model
        self.capabilities: Capabilities = self.rules.capabilities()

    @classmethod
    def from_settings(cls, settings: Settings) -> DiffusersVideoGenerator:
        memory = MemoryOptions(
            settings.device,
            settings.dtype,
            settings.cpu_offload,
            settings.vae_tiling,
            settings.vae_slicing,
            settings.attention_backend,
        )
        return cls(
            settings.diffusers_video_model,
            settings=settings,
            memory=memory,
            steps=settings.diffusion_steps,
            crf=settings.video_crf,
            preset=settings.video_preset,
        )

    def estimate_time_s(self, job: ResolvedRequest) -> float:
        return self.rules.typical_latency_s

    def generate(
        self, job: ResolvedRequest, image: Any, out: Path, progress: Progress = no_progress
    ) -> VideoOutput:
        """Render ``job`` (conditioned on ``image`` when given) and write the MP4 to ``out``."""
        started = time.perf_counter()
        call, adjustments = self.plan(job, image)
        progress(0.0, f"loading {self.model}")
        key = (self.model, self.memory)
        with MODELS.use(SLOT, key, self._loader(), self.settings.model_idle_s) as use:
            pipe = use.value.for_task(call["pipeline"])
            render_started = time.perf_counter()
            frames = _run(pipe, call, progress)
            render_s = time.perf_counter() - render_started
            memory = _peak_memory(use.value.device)
        progress(0.95, "encoding")
        _encode(frames, out, job.fps, self.crf, self.preset)
        progress(1.0, "done")
        details = self._details(call, use, adjustments, render_s, memory)
        details["render_timings_s"]["total_s"] = round(time.perf_counter() - started, 4)
        return VideoOutput(
            video=Path(out),
            frames=len(frames),
            fps=job.fps,
            width=job.width,
            height=job.height,
            model=self.model,
            details=details,
        )

    def plan(self, job: ResolvedRequest, image: Any) -> tuple[dict[str, Any], list[str]]:
        """The pipeline call for ``job`` (without callbacks) and the adjustments made."""
        request = job.request
        if request.model and request.model != self.model:
            raise CapabilityError(
                f"this generator runs {self.model}, not {request.model}",
                hint="set diffusers_video_model (or REELRAG_DIFFUSERS_VIDEO_MODEL) to change it",
            )
        rules = self.rules
        frames, note = rules.frames_for(job.duration_s, job.fps)
        adjustments = [note] if note else []
        fitted, fit_note = _fitted(image, job.width, job.height)
        adjustments += [fit_note] if fit_note else []
        options = request.options or {}
        negative = request.negative_prompt
        call: dict[str, Any] = {
            "pipeline": rules.pipeline_for(fitted is not None),
            "prompt": request.prompt,
            "negative_prompt": rules.negative_prompt if negative is None else negative,
            "width": job.width,
            "height": job.height,
            "num_frames": frames,
            "num_inference_steps": int(options.get("steps") or self.steps or rules.steps),
            "guidance_scale": float(options.get("guidance_scale", rules.guidance)),
            "seed": job.seed,
            "max_sequence_length": rules.max_sequence_length,
            **rules.call_kwargs,
        }
        if fitted is not None:
            call["image"] = fitted
        if rules.family == "ltx":
            call["frame_rate"] = job.fps
        return call, adjustments

    def _loader(self) -> Any:
        def load(previous: Any) -> _Loaded:
            return _Loaded.load(
                self.model, self.folder, self.rules, self.memory, self.settings, previous
            )

        return load

    def _details(
        self,
        call: dict[str, Any],
        use: Any,
        adjustments: list[str],
        render_s: float,
        memory: dict[str, float],
    ) -> dict[str, Any]:
        loaded: _Loaded = use.value
        shown = {k: v for k, v in call.items() if k not in ("image", "prompt")}
        return {
            "model_source": loaded.source.describe(),
            "pipeline_call": shown,
            "device": loaded.device,
            "dtype": str(loaded.dtype).removeprefix("torch."),
            "memory_options": {
                "cpu_offload": self.memory.cpu_offload,
                "vae_tiling": self.memory.vae_tiling,
                "vae_slicing": self.memory.vae_slicing,
                "attention_backend": self.memory.attention_backend or "default",
            },
            "pipeline_reused": use.reused,
            "render_timings_s": {"load_s": use.load_s, "denoise_decode_s": round(render_s, 4)},
            "gpu_memory_gib": memory,
            "encoder": {"codec": "libx264", "crf": self.crf, "preset": self.preset},
            "adjustments": adjustments,
        }


class _Loaded:
    """A loaded pipeline plus its siblings for the other task (sharing weights via from_pipe)."""

    def __init__(
        self, pipe: Any, source: loading.ModelSource, device: str, dtype: Any, memory: MemoryOptions
    ) -> None:
        self.pipes = {type(pipe).__name__: pipe}
        self.source, self.device, self.dtype, self.memory = source, device, dtype, memory

    @classmethod
    def load(
        cls,
        model: str,
        folder: Path | None,
        rules: VideoModelRules,
        memory: MemoryOptions,
        settings: Settings,
        previous: Any,
    ) -> _Loaded:
        diffusers: Any = loading.require("diffusers")
        device = loading.resolve_device(memory.device)
        dtype = loading.resolve_dtype(memory.dtype, device)
        if memory.cpu_offload != "none" and not device.startswith("cuda"):
            raise ConfigError(
                f"cpu_offload={memory.cpu_offload} needs a CUDA device, not {device}",
                hint="set cpu_offload=none",
            )
        source = loading.model_source(str(folder) if folder else model, settings)
        source = loading.ModelSource(model, source.location, source.local, source.offline)
        main = rules.i2v_pipeline or rules.t2v_pipeline
        pipe = loading.load_pretrained(getattr(diffusers, str(main)), source, dtype=dtype)
        _configure(pipe, memory, device)
        return cls(pipe, source, device, dtype, memory)

    def for_task(self, class_name: str) -> Any:
        if class_name not in self.pipes:
            diffusers: Any = loading.require("diffusers")
            first = next(iter(self.pipes.values()))
            self.pipes[class_name] = getattr(diffusers, class_name).from_pipe(first)
        return self.pipes[class_name]


def _local_folder(model: str, settings: Settings) -> Path | None:
    for folder in loading.local_candidates(model, settings.models_dir):
        if folder.is_dir():
            return folder
    return None


def _configure(pipe: Any, memory: MemoryOptions, device: str) -> None:
    if memory.cpu_offload == "model":
        pipe.enable_model_cpu_offload(device=device)
    elif memory.cpu_offload == "sequential":
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        pipe.to(device)
    if memory.vae_tiling:
        pipe.vae.enable_tiling()
    if memory.vae_slicing:
        pipe.vae.enable_slicing()
    if memory.attention_backend:
        try:
            pipe.transformer.set_attention_backend(memory.attention_backend)
        except (ValueError, RuntimeError, ImportError) as exc:
            raise ConfigError(
                f"attention backend {memory.attention_backend!r} cannot be used: {exc}",
                hint="set attention_backend to '' for the default",
            ) from exc
    pipe.set_progress_bar_config(disable=True)


def _fitted(image: Any, width: int, height: int) -> tuple[Any, str | None]:
    """The conditioning image at exactly the model size; fitted here (never stretched) if not."""
    if image is None:
        return None, None
    if image.size == (width, height):
        return image.convert("RGB"), None
    fitted = imaging.fit_image(image, width, height)
    return fitted.image.convert("RGB"), (
        f"image {image.size[0]}x{image.size[1]} fitted to {width}x{height} by the generator"
    )


def _run(pipe: Any, call: dict[str, Any], progress: Progress) -> np.ndarray:
    torch: Any = loading.require("torch")
    steps = call["num_inference_steps"]

    def on_step(_pipe: Any, step: int, _timestep: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        progress(0.9 * (step + 1) / steps, f"step {step + 1}/{steps}")
        return kwargs

    args = {k: v for k, v in call.items() if k not in ("pipeline", "seed")}
    args["max_sequence_length"] = _max_sequence_length(pipe, call["max_sequence_length"])
    generator = torch.Generator(device="cpu").manual_seed(int(call["seed"]))
    try:
        with torch.inference_mode():
            result = pipe(
                **args, generator=generator, output_type="np", callback_on_step_end=on_step
            )
    except torch.cuda.OutOfMemoryError as exc:
        raise BackendError(
            "the GPU ran out of memory",
            hint="set cpu_offload=model, vae_tiling=true, or a smaller size / fewer frames",
        ) from exc
    except (ValueError, RuntimeError) as exc:
        if isinstance(exc, ReelragError):
            raise
        raise BackendError(
            f"the diffusers pipeline failed: {exc}", hint="check the model rules and the request"
        ) from exc
    return _to_uint8(result.frames[0])


def _max_sequence_length(pipe: Any, wanted: int) -> int:
    config = getattr(getattr(pipe, "transformer", None), "config", None)
    trained = getattr(config, "max_text_seq_length", None)  # CogVideoX: a fixed text length
    return min(wanted, int(trained)) if trained else wanted


def _to_uint8(frames: Any) -> np.ndarray:
    array = np.asarray(frames, dtype=np.float32)
    if array.ndim != 4 or array.shape[-1] != 3:
        raise BackendError(
            f"the pipeline returned frames of shape {array.shape}",
            hint="expected (frames, height, width, 3)",
        )
    return np.ascontiguousarray((np.clip(array, 0.0, 1.0) * 255 + 0.5).astype(np.uint8))


def _peak_memory(device: str) -> dict[str, float]:
    torch: Any = loading.require("torch")
    if not device.startswith("cuda"):
        return {}
    gib = float(2**30)
    return {
        "peak_allocated": round(torch.cuda.max_memory_allocated() / gib, 3),
        "peak_reserved": round(torch.cuda.max_memory_reserved() / gib, 3),
    }


def _encode(frames: np.ndarray, out: Path, fps: int, crf: int, preset: str) -> None:
    height, width = frames.shape[1:3]
    with VideoWriter(
        Path(out), width, height, fps, crf=crf, preset=preset, x264_params="bframes=0"
    ) as writer:
        for frame in frames:
            writer.write_rgb(frame)
