"""The rules of each local video model: sizes, frame counts, fps, steps, guidance, pipelines.

:data:`VIDEO_RULES` encodes what each open model was trained for and what its architecture requires
(from the model cards and the diffusers pipelines): LTX-Video needs sides divisible by 32 and
``8k+1`` frames; Wan 2.1/2.2 and CogVideoX need sides divisible by 16 and ``4k+1`` frames (Wan 2.2
TI2V-5B: 32 and ``4k+1``); CogVideoX-5b-I2V only works at 720x480 (learned position embeddings).
:meth:`VideoModelRules.frames_for` maps a duration and fps to a valid frame count and says
how it adjusted the request, so the manifest can record it. A folder holding another checkpoint of
a known architecture (a fine-tune, or the tiny test models) gets its family's hard rules from
:func:`rules_for`, read from the folder's ``model_index.json``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reelrag.errors import CapabilityError, ConfigError
from reelrag.generation.base import Capabilities

LTX_NEGATIVE = "worst quality, inconsistent motion, blurry, jittery, distorted"
WAN_NEGATIVE = (
    "bright tones, overexposed, static, blurred details, subtitles, worst quality, low quality, "
    "JPEG compression artifacts, ugly, deformed, disfigured, extra fingers, poorly drawn hands, "
    "poorly drawn faces, fused fingers, still picture, messy background, walking backwards"
)
COG_NEGATIVE = "low quality, blurry, distorted, static"


@dataclass(frozen=True)
class VideoModelRules:
    """One local video model. Sizes are ``(width, height)`` in pixels."""

    id: str
    family: str  # ltx | wan | cogvideox
    t2v_pipeline: str | None  # diffusers class for text-to-video, None when unsupported
    i2v_pipeline: str | None  # diffusers class for image-to-video
    size_multiple: int
    frame_step: int  # frame counts are frame_step * k + 1
    min_frames: int
    max_frames: int
    native_sizes: tuple[tuple[int, int], ...]
    fps: tuple[int, ...]
    steps: int
    guidance: float
    fixed_size: bool = False  # only the native sizes work
    max_area_px: int = 0  # the largest area it was trained at, where below its side bounds
    min_side_px: int = 256
    max_side_px: int = 1280
    max_prompt_chars: int = 2000
    max_sequence_length: int = 512  # text tokens passed to the pipeline
    negative_prompt: str = ""
    typical_latency_s: float = 120.0  # one clip at the defaults on one H100, order of magnitude
    call_kwargs: dict[str, Any] = field(default_factory=dict)  # extra recommended call arguments

    @property
    def default_size(self) -> tuple[int, int]:
        return self.native_sizes[0]

    @property
    def default_fps(self) -> int:
        return self.fps[0]

    @property
    def default_frames(self) -> int:
        return self.max_frames if self.family != "ltx" else 121

    def capabilities(self) -> Capabilities:
        """The generator contract's view of these rules (validated before any work)."""
        return Capabilities(
            text_to_video=self.t2v_pipeline is not None,
            image_to_video=self.i2v_pipeline is not None,
            sizes=self.native_sizes if self.fixed_size else (),
            min_side_px=self.min_side_px,
            max_side_px=self.max_side_px,
            size_multiple=self.size_multiple,
            max_area_px=self.max_area_px,
            min_duration_s=round(self.min_frames / max(self.fps), 3),
            max_duration_s=round(self.max_frames / min(self.fps), 3),
            fps=self.fps,
            max_prompt_chars=self.max_prompt_chars,
            typical_latency_s=self.typical_latency_s,
            default_size=self.default_size,
            default_duration_s=round(self.default_frames / self.default_fps, 3),
            default_fps=self.default_fps,
        )

    def frames_for(self, duration_s: float, fps: int) -> tuple[int, str | None]:
        """The nearest valid frame count for ``duration_s`` at ``fps``, and a note if adjusted.

        >>> frames, note = VIDEO_RULES["Lightricks/LTX-Video"].frames_for(6.0, 24)
        >>> frames, note.split(": ")[-1]
        (145, 'using 145 (6.042s)')
        """
        wanted = max(1, round(duration_s * fps))
        k = max(0, math.floor((wanted - 1) / self.frame_step + 0.5))
        frames = min(max(self.frame_step * k + 1, self.min_frames), self.max_frames)
        if wanted > self.max_frames + self.frame_step // 2:
            raise CapabilityError(
                f"duration {duration_s:g}s at {fps} fps is {wanted} frames; {self.id} makes at "
                f"most {self.max_frames}",
                hint=f"use at most {self.max_frames / fps:.2f}s at {fps} fps",
            )
        if frames == wanted:
            return frames, None
        return frames, (
            f"duration {duration_s:g}s at {fps} fps is {wanted} frames; {self.id} needs "
            f"{self.frame_step}k+1 frames: using {frames} ({frames / fps:.3f}s)"
        )

    def pipeline_for(self, with_image: bool) -> str:
        name = self.i2v_pipeline if with_image else self.t2v_pipeline
        if name is None:
            task = "image-to-video" if with_image else "text-to-video"
            raise CapabilityError(
                f"{self.id} does not do {task}",
                hint="drop --image" if with_image else "pass an image",
            )
        return name


_LTX = VideoModelRules(
    id="Lightricks/LTX-Video",
    family="ltx",
    t2v_pipeline="LTXPipeline",
    i2v_pipeline="LTXImageToVideoPipeline",
    size_multiple=32,
    frame_step=8,
    min_frames=9,
    max_frames=257,
    native_sizes=((704, 480), (480, 704), (768, 512), (512, 768), (1216, 704)),
    fps=(24, 25, 30),
    steps=50,
    guidance=3.0,
    max_sequence_length=128,
    max_prompt_chars=1000,
    negative_prompt=LTX_NEGATIVE,
    typical_latency_s=30.0,
    call_kwargs={"decode_timestep": 0.03, "decode_noise_scale": 0.025},
)
_WAN21_480 = VideoModelRules(
    id="Wan-AI/Wan2.1-I2V-14B-480P-Diffusers",
    family="wan",
    t2v_pipeline=None,
    i2v_pipeline="WanImageToVideoPipeline",
    size_multiple=16,
    frame_step=4,
    min_frames=5,
    max_frames=81,
    native_sizes=((832, 480), (480, 832)),
    max_area_px=832 * 480,  # the 480P checkpoint: 1280x720 is allowed, not what it learned
    fps=(16,),
    steps=40,
    guidance=5.0,
    negative_prompt=WAN_NEGATIVE,
    typical_latency_s=600.0,
)
_COG_I2V = VideoModelRules(
    id="THUDM/CogVideoX-5b-I2V",
    family="cogvideox",
    t2v_pipeline=None,
    i2v_pipeline="CogVideoXImageToVideoPipeline",
    size_multiple=16,
    frame_step=4,
    min_frames=5,
    max_frames=49,
    native_sizes=((720, 480),),
    fps=(8,),
    steps=50,
    guidance=6.0,
    fixed_size=True,
    max_sequence_length=226,
    max_prompt_chars=1000,
    negative_prompt=COG_NEGATIVE,
    typical_latency_s=180.0,
    call_kwargs={"use_dynamic_cfg": True},
)

VIDEO_RULES: dict[str, VideoModelRules] = {
    m.id: m
    for m in (
        _LTX,
        replace(_LTX, id="Lightricks/LTX-Video-0.9.7-dev"),
        _WAN21_480,
        replace(
            _WAN21_480,
            id="Wan-AI/Wan2.1-I2V-14B-720P-Diffusers",
            native_sizes=((1280, 720), (720, 1280)),
            max_area_px=1280 * 720,
            typical_latency_s=1500.0,
        ),
        replace(
            _WAN21_480,
            id="Wan-AI/Wan2.2-I2V-A14B-Diffusers",
            steps=40,
            guidance=3.5,
            native_sizes=((1280, 720), (720, 1280), (832, 480), (480, 832)),
            max_area_px=1280 * 720,
        ),
        replace(
            _WAN21_480,
            id="Wan-AI/Wan2.2-TI2V-5B-Diffusers",
            t2v_pipeline="WanPipeline",
            size_multiple=32,
            max_frames=121,
            native_sizes=((1280, 704), (704, 1280)),
            max_area_px=1280 * 704,
            fps=(24,),
            steps=50,
            guidance=5.0,
            typical_latency_s=300.0,
        ),
        _COG_I2V,
        replace(
            _COG_I2V,
            id="THUDM/CogVideoX1.5-5B-I2V",
            fixed_size=False,
            frame_step=8,
            min_frames=9,
            max_frames=81,
            native_sizes=((1360, 768), (768, 1360)),
            fps=(16,),
            max_side_px=1360,
        ),
    )
}

# Hard architectural rules per family, for checkpoints not in VIDEO_RULES (fine-tunes, test models):
# any size that is a multiple, small sizes allowed, the family's frame rule.
# A Wan fine-tune's trained area is not known: only the side bounds apply.
_FAMILY_BASE = {
    "ltx": _LTX,
    "wan": replace(_WAN21_480, max_area_px=0),
    "cogvideox": replace(_COG_I2V, fixed_size=False),
}
_CLASS_PREFIXES = (("LTX", "ltx"), ("Wan", "wan"), ("CogVideoX", "cogvideox"))


def rules_for(model: str, folder: Path | None = None) -> VideoModelRules:
    """The rules of ``model``: :data:`VIDEO_RULES`, or ``folder``'s ``model_index.json``."""
    if model in VIDEO_RULES:
        return VIDEO_RULES[model]
    if folder is None or not (folder / "model_index.json").is_file():
        known = ", ".join(sorted(VIDEO_RULES))
        raise ConfigError(
            f"unknown local video model {model!r}",
            hint=f"use one of {known}, or a folder saved by diffusers",
        )
    class_name = _pipeline_class(folder / "model_index.json")
    family = next((f for prefix, f in _CLASS_PREFIXES if class_name.startswith(prefix)), None)
    if family is None:
        raise ConfigError(
            f"{folder} holds a {class_name}, not an LTX, Wan or CogVideoX pipeline",
            hint="point diffusers_video_model at a supported video model",
        )
    base = _FAMILY_BASE[family]
    image_only = family != "ltx" and "ImageToVideo" in class_name
    text_only = family != "ltx" and "ImageToVideo" not in class_name
    rules = replace(
        base,
        id=model,
        fixed_size=False,
        min_side_px=32,
        t2v_pipeline=None if image_only else (base.t2v_pipeline or class_name),
        i2v_pipeline=None if text_only else (base.i2v_pipeline or class_name),
    )
    return _learned_size(rules, folder) if family == "cogvideox" else rules


def _learned_size(rules: VideoModelRules, folder: Path) -> VideoModelRules:
    """CogVideoX 1.0 (``use_learned_positional_embeddings``, as CogVideoX-5b-I2V) renders only
    the size and frame count its position embeddings were made for; the pipeline refuses any
    other size, so the rules do too, before any weights load. CogVideoX 1.5 takes any size."""
    transformer = _config(folder / "transformer" / "config.json")
    width, height = transformer.get("sample_width"), transformer.get("sample_height")
    if not transformer.get("use_learned_positional_embeddings") or width is None or height is None:
        return rules
    channels = _config(folder / "vae" / "config.json").get("block_out_channels", (0,) * 4)
    scale = 2 ** (len(channels) - 1)  # the VAE's spatial compression
    size = (int(width) * scale, int(height) * scale)
    frames = int(transformer.get("sample_frames", rules.max_frames))
    return replace(
        rules, fixed_size=True, native_sizes=(size,), min_side_px=min(size),
        max_frames=min(rules.max_frames, frames),
    )  # fmt: skip


def _config(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _pipeline_class(index: Path) -> str:
    try:
        return str(json.loads(index.read_text(encoding="utf-8"))["_class_name"])
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(
            f"{index} is not a diffusers model index: {exc}",
            hint="re-save the pipeline with save_pretrained()",
        ) from exc
