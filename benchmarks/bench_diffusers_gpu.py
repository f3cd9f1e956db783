"""Local video models on a GPU: seconds per clip, peak memory, and what each memory option costs.

    .venv/bin/python benchmarks/bench_diffusers_gpu.py          # CUDA: full-size models
    .venv/bin/python benchmarks/bench_diffusers_gpu.py --tiny   # CPU: tiny models, a smoke run

Full size: the real architectures (LTX-Video 2B, Wan 2.1 I2V 14B, CogVideoX-5b-I2V, each with its
T5/umT5-XXL text encoder) built from their published configs with random weights (nothing is
downloaded), at native resolution and frame count, run through the generator's own configure/run
code once per memory option (none, VAE tiling, model CPU offload). Random weights make noise,
but the compute and memory are the real ones.

Both modes also measure the baseline users complain about -- reloading the pipeline for every
clip -- against the generator's cache that keeps it loaded across a batch.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the tiny model builders


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="tiny random models on the CPU")
    parser.add_argument("--family", choices=("ltx", "wan", "cogvideox", "all"), default="all")
    parser.add_argument("--steps", type=int, default=0, help="denoising steps (0: 2 tiny, 10 GPU)")
    parser.add_argument("--clips", type=int, default=3, help="clips per batch for the cache test")
    args = parser.parse_args()
    import torch

    if not args.tiny and not torch.cuda.is_available():
        print("no CUDA GPU here: full-size runs need one (run with --tiny for a CPU smoke run)")
        return 2
    families = ("ltx", "wan", "cogvideox") if args.family == "all" else (args.family,)
    for family in families:
        if args.tiny:
            bench_tiny(family, args.steps or 2, args.clips)
        else:
            bench_full(family, args.steps or 10)
    return 0


# -- tiny, through the real generator (settings -> folder -> from_pretrained -> MP4) -----------

TINY = {
    "ltx": ("build_ltx", (64, 64)),
    "wan": ("build_wan_i2v", (64, 64)),
    "cogvideox": ("build_cogvideox_i2v", (64, 32)),
}


def bench_tiny(family: str, steps: int, clips: int) -> None:
    import torch
    from PIL import Image

    import localmodels_tiny
    from reelrag.generation.base import check_request
    from reelrag.generation.diffusers.generator import DiffusersVideoGenerator
    from reelrag.localmodels.cache import MODELS
    from reelrag.settings import load_settings
    from reelrag.types import GenerationRequest

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = getattr(localmodels_tiny, TINY[family][0])(Path(tmp) / family)
        settings = load_settings(
            {"workspace": tmp, "diffusers_video_model": str(folder), "diffusion_steps": steps},
            environ={},
        )
        gen = DiffusersVideoGenerator.from_settings(settings)
        width, height = TINY[family][1]
        fps = gen.rules.default_fps
        request = GenerationRequest(
            prompt="camera zooms in on red shoes",
            image="x",
            width=width,
            height=height,
            fps=fps,
            duration_s=9 / fps,
        )
        image = Image.new("RGB", (width, height), (180, 40, 40))

        def batch(reload: bool) -> float:
            MODELS.clear()
            started = time.perf_counter()
            for i in range(clips):
                if reload:
                    MODELS.clear()
                job = check_request(request.replace(seed=i), gen.capabilities, i)
                gen.generate(job, image, Path(tmp) / f"{family}-{i}.mp4")
            return (time.perf_counter() - started) / clips

        cached, reloaded = batch(False), batch(True)
    print(
        f"{family:10s} tiny {width}x{height} 9 frames {steps} steps CPU: "
        f"{cached:.3f} s/clip with the cache, {reloaded:.3f} s/clip reloading per clip "
        f"(x{reloaded / cached:.2f})"
    )


# -- full size, random weights from the real configs ------------------------------------------


def _t5_xxl(umt5: bool) -> Any:
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    kwargs = dict(
        d_model=4096,
        d_ff=10240,
        d_kv=64,
        num_heads=64,
        num_layers=24,
        feed_forward_proj="gated-gelu",
        relative_attention_num_buckets=32,
    )
    if umt5:
        return UMT5EncoderModel(UMT5Config(vocab_size=256384, **kwargs))
    return T5EncoderModel(T5Config(vocab_size=32128, **kwargs))


def _tokenizer() -> Any:
    from localmodels_tiny import word_tokenizer

    return word_tokenizer(max_length=512)  # ids only; the encoder's size is what costs


def build_full(family: str) -> Any:
    import diffusers
    from diffusers import FlowMatchEulerDiscreteScheduler

    if family == "ltx":
        return diffusers.LTXImageToVideoPipeline(
            transformer=diffusers.LTXVideoTransformer3DModel(
                in_channels=128,
                out_channels=128,
                num_attention_heads=32,
                attention_head_dim=64,
                cross_attention_dim=2048,
                num_layers=28,
                caption_channels=4096,
            ),
            vae=diffusers.AutoencoderKLLTXVideo(),
            scheduler=FlowMatchEulerDiscreteScheduler(),
            text_encoder=_t5_xxl(False),
            tokenizer=_tokenizer(),
        )
    if family == "wan":
        from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

        return diffusers.WanImageToVideoPipeline(
            transformer=diffusers.WanTransformer3DModel(
                patch_size=(1, 2, 2),
                num_attention_heads=40,
                attention_head_dim=128,
                in_channels=36,
                out_channels=16,
                text_dim=4096,
                freq_dim=256,
                ffn_dim=13824,
                num_layers=40,
                cross_attn_norm=True,
                qk_norm="rms_norm_across_heads",
                image_dim=1280,
                added_kv_proj_dim=5120,
                rope_max_seq_len=1024,
            ),
            vae=diffusers.AutoencoderKLWan(),
            scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),
            text_encoder=_t5_xxl(True),
            tokenizer=_tokenizer(),
            image_encoder=CLIPVisionModel(
                CLIPVisionConfig(
                    hidden_size=1280,
                    intermediate_size=5120,
                    num_hidden_layers=32,
                    num_attention_heads=16,
                    image_size=224,
                    patch_size=14,
                )
            ),
            image_processor=CLIPImageProcessor(),
        )
    return diffusers.CogVideoXImageToVideoPipeline(
        transformer=diffusers.CogVideoXTransformer3DModel(
            num_attention_heads=48,
            attention_head_dim=64,
            in_channels=32,
            out_channels=16,
            time_embed_dim=512,
            text_embed_dim=4096,
            num_layers=42,
            sample_width=90,
            sample_height=60,
            sample_frames=49,
            patch_size=2,
            temporal_compression_ratio=4,
            max_text_seq_length=226,
            use_rotary_positional_embeddings=True,
            use_learned_positional_embeddings=True,
        ),
        vae=diffusers.AutoencoderKLCogVideoX(),
        scheduler=diffusers.CogVideoXDDIMScheduler(),
        text_encoder=_t5_xxl(False),
        tokenizer=_tokenizer(),
    )


RULE_IDS = {
    "ltx": "Lightricks/LTX-Video",
    "wan": "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers",
    "cogvideox": "THUDM/CogVideoX-5b-I2V",
}
OPTIONS = {
    "none": {},
    "vae_tiling": {"vae_tiling": True},
    "model_offload": {"cpu_offload": "model"},
}


def bench_full(family: str, steps: int) -> None:
    import torch
    from PIL import Image

    from reelrag.generation.diffusers import generator as dv
    from reelrag.generation.diffusers.rules import VIDEO_RULES as RULES

    rules = RULES[RULE_IDS[family]]
    width, height = rules.default_size
    call = {
        "pipeline": rules.i2v_pipeline,
        "prompt": "a red shoe, camera zooms in slowly",
        "negative_prompt": rules.negative_prompt,
        "width": width,
        "height": height,
        "num_frames": rules.max_frames if family != "ltx" else 121,
        "num_inference_steps": steps,
        "guidance_scale": rules.guidance,
        "seed": 0,
        "max_sequence_length": rules.max_sequence_length,
        "image": Image.new("RGB", (width, height), (180, 40, 40)),
        **rules.call_kwargs,
    }
    if family == "ltx":
        call["frame_rate"] = rules.default_fps
    for option, values in OPTIONS.items():
        started = time.perf_counter()
        with torch.device("cuda" if option == "none" or option == "vae_tiling" else "cpu"):
            torch.set_default_dtype(torch.bfloat16)
            pipe = build_full(family)
            torch.set_default_dtype(torch.float32)
        build_s = time.perf_counter() - started
        dv._configure(pipe, dv.MemoryOptions(device="cuda", **values), "cuda")
        torch.cuda.reset_peak_memory_stats()
        started = time.perf_counter()
        frames = dv._run(pipe, call, lambda f, m: None)
        seconds = time.perf_counter() - started
        peak = torch.cuda.max_memory_allocated() / 2**30
        print(
            f"{family:10s} {width}x{height} {len(frames)} frames {steps} steps "
            f"{option:14s}: {seconds:7.1f} s/clip, peak {peak:6.1f} GiB "
            f"(build {build_s:.0f} s, {seconds / steps:.2f} s/step incl. decode)"
        )
        del pipe
        torch.cuda.empty_cache()


if __name__ == "__main__":
    raise SystemExit(main())
