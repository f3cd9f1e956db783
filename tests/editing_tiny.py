"""A tiny, randomly initialised Stable Diffusion in-painting pipeline, saved with save_pretrained.

The shapes are those of a real SD in-painting model scaled down: a UNet with 9 input channels
(4 noise + 1 mask + 4 masked-image latents), a VAE with four blocks (so the image multiple is 8,
as in the real model), a one-layer CLIP text encoder and a word-level tokenizer built locally.
Outputs are noise; shapes, loading and the call path are real. Building it takes about a second.
"""

from __future__ import annotations

from pathlib import Path

from localmodels_tiny import WORD_IDS, saved, word_tokenizer


def build_sd_inpaint(folder: Path) -> Path:
    """Save a tiny ``StableDiffusionInpaintPipeline`` into ``folder`` and return it."""
    import torch
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        StableDiffusionInpaintPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        sample_size=16,
        in_channels=9,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=16,
        attention_head_dim=4,
        norm_num_groups=4,
    )
    vae = AutoencoderKL(
        block_out_channels=(4, 4, 4, 4),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        latent_channels=4,
        norm_num_groups=2,
        layers_per_block=1,
    )
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=64,
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            max_position_embeddings=32,
            **WORD_IDS,
        )
    )
    pipe = StableDiffusionInpaintPipeline(
        unet=unet,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=word_tokenizer(max_length=32),
        scheduler=DDIMScheduler(
            beta_start=0.00085,
            beta_end=0.012,
            beta_schedule="scaled_linear",
            clip_sample=False,
            steps_offset=1,
        ),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    return saved(folder, pipe)
