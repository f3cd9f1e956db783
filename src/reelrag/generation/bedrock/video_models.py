"""Bedrock video models and their request bodies: Nova Reel v1:0 / v1:1 and Luma Ray2.

:data:`VIDEO_MODELS` says what each model accepts (:class:`~reelrag.generation.base.Capabilities`),
where it runs and its default price per second of video -- prices as remembered from AWS's pricing
page in November 2026: **check current pricing** (https://aws.amazon.com/bedrock/pricing/). Each
model's ``sources`` names where every fact of its row comes from (``docs/aws.md`` points here).

Luma Ray2 is **text to video only** on Bedrock: AWS's parameter page for ``luma.ray-v2:0`` (titled
"Text to Video Model") documents ``prompt``, ``aspect_ratio``, ``loop``, ``duration`` and
``resolution`` and no image field; the model card's prose mentions images, and Luma's own API takes
``keyframes``, but nothing AWS documents says Bedrock accepts them. So an image request to Ray2 is
refused before any paid call, naming what can start from an image.

:func:`nova_reel_input` and :func:`luma_input` build ``modelInput`` documents from a resolved
request; :func:`encode_image` turns a fitted image into keyframe bytes whose declared format
matches the bytes, refusing wrong sizes, non-RGB modes and transparency (never stretching).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelrag.aws import schemas
from reelrag.errors import CapabilityError, ConfigError
from reelrag.generation.base import Capabilities, ResolvedRequest

PRICING = "https://aws.amazon.com/bedrock/pricing/"
LUMA_PARAMETERS = "https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-luma.html"
LUMA_CARD = "https://docs.aws.amazon.com/bedrock/latest/userguide/model-card-luma-ai-ray2.html"
NOVA_REEL_SOURCES = {
    "request body, sizes, durations, fps": "https://docs.aws.amazon.com/nova/latest/userguide/video-gen-access.html",
    "lifecycle Legacy, end of life 2026-09-30": "https://docs.aws.amazon.com/bedrock/latest/userguide/model-card-amazon-nova-reel.html",
    "price 0.08 USD per second": f"remembered, unverified: {PRICING}",
}
RAY2_NO_IMAGE = (
    "AWS documents no image input for Luma Ray2 on Bedrock (only prompt, aspect_ratio, loop, "
    "duration, resolution)"
)
RAY2_ALTERNATIVES = (
    "drop the image for Ray2 text-to-video, or start from the image with --backend camera "
    "(camera motion) or --backend diffusers (LTX-Video, Wan, CogVideoX)"
)
NOVA_REEL_LATENCY_S = 90.0  # AWS: "typically about 90 seconds for a 6 second video"
LUMA_LATENCY_S = 120.0  # not documented by AWS: an estimate for planning only


def _luma_sizes() -> dict[tuple[int, int], tuple[str, str]]:
    """Nominal pixel sizes for Luma's aspect ratio x resolution (short side = 540 or 720)."""
    sizes: dict[tuple[int, int], tuple[str, str]] = {}
    for ratio in schemas.LUMA_ASPECT_RATIOS:
        a, b = (int(x) for x in ratio.split(":"))
        for resolution in schemas.LUMA_RESOLUTIONS:
            short = int(resolution.removesuffix("p"))
            long_side = round(short * max(a, b) / min(a, b) / 2) * 2
            sizes[(long_side, short) if a >= b else (short, long_side)] = (ratio, resolution)
    return sizes


LUMA_SIZES = _luma_sizes()


@dataclass(frozen=True)
class VideoModel:
    """A Bedrock video model: what it accepts, where it runs, what it costs by default."""

    id: str
    family: str  # nova-reel | luma
    capabilities: Capabilities
    regions: tuple[str, ...]
    price_per_second_usd: dict[str, float] = field(default_factory=dict)  # by resolution
    sources: dict[str, str] = field(default_factory=dict)  # fact -> where it comes from

    def price(self, height: int, width: int) -> float:
        short = f"{min(width, height)}p"
        return self.price_per_second_usd.get(short, max(self.price_per_second_usd.values()))


def _nova_caps(durations: tuple[float, ...], max_prompt: int) -> Capabilities:
    return Capabilities(
        text_to_video=True,
        image_to_video=True,
        sizes=((1280, 720),),
        durations_s=durations,
        min_duration_s=6.0,
        max_duration_s=max(durations),
        fps=(24,),
        max_prompt_chars=max_prompt,
        cost_per_second_usd=0.08,
        typical_latency_s=NOVA_REEL_LATENCY_S,
        default_size=(1280, 720),
        default_duration_s=6.0,
        default_fps=24,
    )


VIDEO_MODELS: dict[str, VideoModel] = {
    "amazon.nova-reel-v1:0": VideoModel(
        "amazon.nova-reel-v1:0",
        "nova-reel",
        _nova_caps((6.0,), 512),
        ("us-east-1", "eu-west-1", "ap-northeast-1"),
        {"720p": 0.08},
        NOVA_REEL_SOURCES,
    ),
    "amazon.nova-reel-v1:1": VideoModel(
        "amazon.nova-reel-v1:1",
        "nova-reel",
        _nova_caps(tuple(float(s) for s in range(6, 121, 6)), 4000),
        ("us-east-1",),
        {"720p": 0.08},
        NOVA_REEL_SOURCES,
    ),
    "luma.ray-v2:0": VideoModel(
        "luma.ray-v2:0",
        "luma",
        Capabilities(
            text_to_video=True,
            image_to_video=False,
            no_image_reason=RAY2_NO_IMAGE,
            no_image_hint=RAY2_ALTERNATIVES,
            sizes=tuple(LUMA_SIZES),
            durations_s=(5.0, 9.0),
            min_duration_s=5.0,
            max_duration_s=9.0,
            fps=(24,),
            max_prompt_chars=5000,
            cost_per_second_usd=1.50,
            typical_latency_s=LUMA_LATENCY_S,
            default_size=(1280, 720),
            default_duration_s=5.0,
            default_fps=24,
        ),
        ("us-west-2",),
        {"540p": 0.75, "720p": 1.50},
        {
            "request body": LUMA_PARAMETERS,
            "image input": f"none documented ({LUMA_PARAMETERS}; the card {LUMA_CARD} "
            "mentions images in prose only)",
            "durations 5 s / 9 s, 540p / 720p, aspect ratios, loop": LUMA_PARAMETERS,
            "prompt 1-5000 characters": LUMA_PARAMETERS,
            "pixel sizes": "derived by ReelRAG: short side 540 or 720 px at each aspect ratio",
            "24 fps": "not documented by AWS; Luma's output as observed elsewhere (assumed)",
            "lifecycle Active": f"{LUMA_CARD} (read at run time from GetFoundationModel)",
            "region us-west-2": f"{LUMA_CARD} (as remembered; check the console)",
            "price 0.75 / 1.50 USD per second": f"remembered, unverified: {PRICING}",
        },
    ),
}


def video_model(model: str) -> VideoModel:
    spec = VIDEO_MODELS.get(model)
    if spec is None:
        raise ConfigError(
            f"unknown Bedrock video model {model!r}", hint=f"use one of {', '.join(VIDEO_MODELS)}"
        )
    return spec


def encode_image(image: Any, size: tuple[int, int]) -> tuple[str, str]:
    """(base64 bytes, format) for a keyframe: PIL images become PNG; PNG/JPEG bytes pass as-is."""
    if isinstance(image, bytes | bytearray):
        data = bytes(image)
        fmt = schemas.sniff_format(data) or "unknown"
        schemas.check_video_frame_image(data, fmt, size)
        return base64.b64encode(data).decode("ascii"), fmt
    if isinstance(image, str | Path):
        return encode_image(Path(image).read_bytes(), size)
    if tuple(image.size) != size:
        raise CapabilityError(
            f"the image is {image.width}x{image.height}; "
            f"this model needs exactly {size[0]}x{size[1]}",
            hint="let the pipeline fit the image (crop or pad, never stretch)",
        )
    schemas.check_opaque_rgb8(image)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG")  # lossless; RGBA here is fully opaque
    return base64.b64encode(buffer.getvalue()).decode("ascii"), "png"


def nova_reel_input(job: ResolvedRequest, image: tuple[str, str] | None) -> dict[str, Any]:
    """TEXT_VIDEO for 6 s; MULTI_SHOT_MANUAL given options["shots"]; else MULTI_SHOT_AUTOMATED."""
    config: dict[str, Any] = {
        "fps": job.fps,
        "dimension": f"{job.width}x{job.height}",
        "seed": job.seed,
    }
    source = {"format": image[1], "source": {"bytes": image[0]}} if image else None
    shots = job.request.options.get("shots")
    if shots:
        items: list[dict[str, Any]] = [{"text": str(text)} for text in shots]
        if source:
            items[0]["image"] = source
        return {
            "taskType": "MULTI_SHOT_MANUAL",
            "multiShotManualParams": {"shots": items},
            "videoGenerationConfig": config,
        }
    duration = round(job.duration_s)
    if duration == schemas.NOVA_REEL_SHOT_S:
        params: dict[str, Any] = {"text": job.request.prompt}
        if source:
            params["images"] = [source]
        return {
            "taskType": "TEXT_VIDEO",
            "textToVideoParams": params,
            "videoGenerationConfig": {"durationSeconds": duration, **config},
        }
    if source:
        raise CapabilityError(
            "Nova Reel starts from an image only for 6-second videos or manual shots",
            hint="use 6 seconds, drop the image, or pass options={'shots': [...]}",
        )
    return {
        "taskType": "MULTI_SHOT_AUTOMATED",
        "multiShotAutomatedParams": {"text": job.request.prompt},
        "videoGenerationConfig": {"durationSeconds": duration, **config},
    }


def luma_input(job: ResolvedRequest, image: Any = None) -> dict[str, Any]:
    """Luma Ray2 body; the pixel size picks aspect ratio and resolution (see ``LUMA_SIZES``).

    Text only: an image is refused (see the module notes), before anything is paid for.
    """
    if image is not None:
        raise CapabilityError(
            f"Luma Ray2 cannot start from an image: {RAY2_NO_IMAGE}", hint=RAY2_ALTERNATIVES
        )
    ratio, resolution = LUMA_SIZES.get((job.width, job.height), ("?", "?"))
    body: dict[str, Any] = {
        "prompt": job.request.prompt,
        "aspect_ratio": ratio,
        "resolution": resolution,
        "duration": f"{round(job.duration_s)}s",
        "loop": bool(job.request.options.get("loop")),
    }
    return body
