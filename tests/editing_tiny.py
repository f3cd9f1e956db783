"""Tiny, randomly initialised in-painting pipelines (SD, Flux Fill), saved with save_pretrained.

The shapes are those of a real SD in-painting model scaled down: a UNet with 9 input channels
(4 noise + 1 mask + 4 masked-image latents), a VAE with four blocks (so the image multiple is 8,
as in the real model), a one-layer CLIP text encoder and a word-level tokenizer built locally.
Outputs are noise; shapes, loading and the call path are real. Building it takes about a second.
:func:`build_flux_fill` does the same for FLUX.1-Fill (see its docstring).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from localmodels_tiny import WORD_IDS, _t5, saved, word_tokenizer


def build_sd_inpaint(folder: Path) -> Path:
    """Save a tiny ``StableDiffusionInpaintPipeline`` into ``folder`` and return it."""
    import torch
    from diffusers import DDIMScheduler, StableDiffusionInpaintPipeline, UNet2DConditionModel

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
    vae = _vae(latent_channels=4)
    text_encoder = _clip(width=16)
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


def build_flux_fill(folder: Path) -> Path:
    """Save a tiny ``FluxFillPipeline`` into ``folder`` and return it.

    As in FLUX.1-Fill: a VAE with four blocks (factor 8, so with the 2x2 packing the image
    multiple is 16) and no quant convs, a transformer reading the packed noise latents, the packed
    masked-image latents and the packed 8x8 mask (``4 * (2 * 4 + 8 * 8)`` = 288 channels in, 16
    out) with guidance embedding, a CLIP text encoder (pooled) and a T5 encoder (sequence).
    """
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, FluxFillPipeline, FluxTransformer2DModel

    latent_channels, vae_factor, clip_width = 4, 8, 16
    packed = latent_channels * 4
    torch.manual_seed(0)
    transformer = FluxTransformer2DModel(
        patch_size=1,
        in_channels=2 * packed + vae_factor**2 * 4,
        out_channels=packed,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=32,  # _t5's d_model
        pooled_projection_dim=clip_width,
        guidance_embeds=True,
        axes_dims_rope=[4, 4, 8],
    )
    vae = _vae(
        latent_channels=latent_channels,
        use_quant_conv=False,
        use_post_quant_conv=False,
        shift_factor=0.1159,
        scaling_factor=0.3611,
    )
    text_encoder = _clip(width=clip_width)
    pipe = FluxFillPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=word_tokenizer(max_length=32),
        text_encoder_2=_t5(),
        tokenizer_2=word_tokenizer(max_length=64),
        transformer=transformer,
    )
    return saved(folder, pipe)


def _vae(**config: Any) -> Any:
    """A four-block ``AutoencoderKL`` (image factor 8, as in SD and Flux); ``config`` adds to it."""
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        block_out_channels=(4, 4, 4, 4),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        norm_num_groups=2,
        layers_per_block=1,
        **config,
    )


def _clip(width: int) -> Any:
    """A one-layer CLIP text encoder reading :func:`word_tokenizer` ids, 32 positions long."""
    from transformers import CLIPTextConfig, CLIPTextModel

    return CLIPTextModel(
        CLIPTextConfig(
            vocab_size=64,
            hidden_size=width,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            max_position_embeddings=32,
            **WORD_IDS,
        )
    )


def diffusers_editor(workspace: Path, model: Path | str, **extra: Any) -> Any:
    """The ``diffusers`` editor as settings make it: ``model`` is its in-painting model, 2 steps."""
    from reelrag.editing.diffusers import DiffusersEditor
    from reelrag.settings import load_settings

    values = {"workspace": workspace, "diffusers_inpaint_model": str(model), "inpaint_steps": 2}
    editor = DiffusersEditor.from_settings(load_settings({**values, **extra}, environ={}))
    assert isinstance(editor, DiffusersEditor)
    return editor


def assert_only_the_mask_changed(result: Any, photo: Image.Image, mask: Image.Image) -> None:
    """Every kept variant is ``photo``'s size, RGB, equal outside the mask and not inside it."""
    inside = np.asarray(mask) == 255
    for _, picture in result.kept:
        pixels = np.asarray(picture)
        assert picture.size == photo.size and picture.mode == "RGB"
        assert np.array_equal(pixels[~inside], np.asarray(photo)[~inside])
        assert not np.array_equal(pixels[inside], np.asarray(photo)[inside])


def assert_seeded_and_reused(editor: Any, photo: Image.Image, mask: Image.Image) -> None:
    """The same seed gives the same pixels, another seed others; the pipeline loads once."""
    from reelrag.editing.base import EditRequest
    from reelrag.localmodels.cache import MODELS

    loads = MODELS.stats("diffusion")["loads"]
    first = editor.edit(photo, mask, EditRequest(prompt="a blue car", seed=9))
    again = editor.edit(photo, mask, EditRequest(prompt="a blue car", seed=9))
    other = editor.edit(photo, mask, EditRequest(prompt="a blue car", seed=10))
    assert np.array_equal(np.asarray(first.images[0]), np.asarray(again.images[0]))
    assert not np.array_equal(np.asarray(first.images[0]), np.asarray(other.images[0]))
    assert first.details["pipeline_reused"] is False and again.details["pipeline_reused"] is True
    assert MODELS.stats("diffusion")["loads"] == loads + 1
