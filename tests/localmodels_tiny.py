"""Tiny, randomly initialised versions of the local models, saved with ``save_pretrained``.

No weights can be downloaded here, so tests build each architecture from a small config (the
shapes diffusers' and transformers' own fast tests use), with a word-level tokenizer built by the
``tokenizers`` library, save it to a folder, and load it back through the backends' real loading
path. Building all of them takes well under a second each; outputs are noise, shapes are real.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

WORDS = [
    "a",
    "the",
    "of",
    "in",
    "on",
    "and",
    "with",
    "camera",
    "zooms",
    "pans",
    "slowly",
    "slow",
    "zoom",
    "red",
    "shoes",
    "cat",
    "dog",
    "on",
    "sofa",
    "photo",
    "picture",
    "image",
    "sea",
    "beach",
    "mountain",
    "city",
    "street",
    "car",
    "tree",
    "sky",
    "blue",
    "green",
    "man",
    "woman",
]


def word_tokenizer(max_length: int = 64) -> Any:
    """A word-level fast tokenizer (T5-like: pad=0, eos=1, unk=2) built without any download."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for word in WORDS:
        vocab.setdefault(word, len(vocab))
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.post_processor = processors.TemplateProcessing(
        single="$A </s>", special_tokens=[("</s>", 1)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        model_max_length=max_length,
    )


# word_tokenizer's special ids: it has no BOS, so models that want one start from </s> too.
WORD_IDS = {"pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 1}


def saved(folder: Path, *parts: Any) -> Path:
    """Save each part (a model, a processor, a whole pipeline) into ``folder``; return it."""
    for part in parts:
        part.save_pretrained(folder)
    return folder


def _t5(umt5: bool = False) -> Any:
    import torch
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    torch.manual_seed(0)
    kwargs = dict(
        vocab_size=64,
        d_model=32,
        d_kv=8,
        d_ff=37,
        num_layers=1,
        num_heads=4,
        relative_attention_num_buckets=8,
        pad_token_id=0,
        eos_token_id=1,
    )
    if umt5:
        return UMT5EncoderModel(UMT5Config(**kwargs))
    return T5EncoderModel(T5Config(**kwargs))


def _save_video_pipeline(folder: Path, pipeline_cls: Any, umt5: bool = False, **parts: Any) -> Path:
    """Save ``pipeline_cls`` made of ``parts`` and a tiny (U)T5 text encoder and word tokenizer."""
    pipe = pipeline_cls(**parts, text_encoder=_t5(umt5), tokenizer=word_tokenizer())
    return saved(folder, pipe)


def build_ltx(folder: Path) -> Path:
    """LTX-Video image-to-video (its weights serve text-to-video too)."""
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXImageToVideoPipeline,
        LTXVideoTransformer3DModel,
    )

    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=32,
        num_layers=1,
        caption_channels=32,
    )
    vae = AutoencoderKLLTXVideo(
        in_channels=3,
        out_channels=3,
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    scheduler = FlowMatchEulerDiscreteScheduler()
    return _save_video_pipeline(
        folder, LTXImageToVideoPipeline, transformer=transformer, vae=vae, scheduler=scheduler
    )


def build_wan_i2v(folder: Path) -> Path:
    """Wan 2.1 image-to-video (UMT5 text encoder, CLIP image encoder)."""
    import torch
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanImageToVideoPipeline,
        WanTransformer3DModel,
    )
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    torch.manual_seed(0)
    vae = AutoencoderKLWan(
        base_dim=3,
        z_dim=16,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
    )
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=36,
        out_channels=16,
        text_dim=32,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
        image_dim=4,
    )
    encoder = CLIPVisionModel(
        CLIPVisionConfig(
            hidden_size=4,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=32,
            intermediate_size=16,
            patch_size=1,
        )
    )
    return _save_video_pipeline(
        folder,
        WanImageToVideoPipeline,
        umt5=True,
        transformer=transformer,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        image_encoder=encoder,
        image_processor=CLIPImageProcessor(crop_size=32, size=32),
    )


def build_cogvideox_i2v(folder: Path, width: int = 64, height: int = 32, frames: int = 9) -> Path:
    """CogVideoX image-to-video; its learned position embeddings fix the size it can make."""
    import torch
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXDDIMScheduler,
        CogVideoXImageToVideoPipeline,
        CogVideoXTransformer3DModel,
    )

    torch.manual_seed(0)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=2,
        attention_head_dim=16,
        in_channels=8,
        out_channels=4,
        time_embed_dim=2,
        text_embed_dim=32,
        num_layers=1,
        sample_width=width // 8,
        sample_height=height // 8,
        sample_frames=frames,
        patch_size=2,
        temporal_compression_ratio=4,
        max_text_seq_length=16,
        use_rotary_positional_embeddings=True,
        use_learned_positional_embeddings=True,
    )
    vae = AutoencoderKLCogVideoX(
        in_channels=3,
        out_channels=3,
        down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=2,
        temporal_compression_ratio=4,
    )
    scheduler = CogVideoXDDIMScheduler()
    return _save_video_pipeline(
        folder, CogVideoXImageToVideoPipeline, transformer=transformer, vae=vae, scheduler=scheduler
    )


def _image_processor(kind: str, size: int = 32) -> Any:
    from transformers import BlipImageProcessor, CLIPImageProcessor, SiglipImageProcessor

    if kind == "clip":
        return CLIPImageProcessor(
            size={"shortest_edge": size}, crop_size={"height": size, "width": size}
        )
    cls = BlipImageProcessor if kind == "blip" else SiglipImageProcessor
    return cls(size={"height": size, "width": size})


def _tower(**extra: Any) -> dict[str, Any]:
    """A one-layer, 32-wide transformer tower config (text or vision), plus ``extra``."""
    tiny = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=1, num_attention_heads=4)
    return {**tiny, **extra}


def text_tower(**extra: Any) -> dict[str, Any]:
    """A :func:`_tower` reading :func:`word_tokenizer` ids, 64 positions long; ``extra`` wins."""
    return {**_tower(vocab_size=64, max_position_embeddings=64, **WORD_IDS), **extra}


def vision_tower() -> dict[str, Any]:
    """A :func:`_tower` over 32x32 images cut into 8x8 patches."""
    return _tower(image_size=32, patch_size=8)


def save_with_processor(
    folder: Path, model_cls: Any, config: Any, processor_cls: Any, kind: str, max_length: int = 64
) -> Path:
    """Build ``model_cls(config)`` from seed 0 and save it with its ``processor_cls``.

    The processor pairs :func:`_image_processor` of ``kind`` with a :func:`word_tokenizer` of
    ``max_length`` tokens.
    """
    import torch

    torch.manual_seed(0)
    model = model_cls(config)
    images, tokenizer = _image_processor(kind), word_tokenizer(max_length=max_length)
    return saved(folder, model, processor_cls(image_processor=images, tokenizer=tokenizer))


def build_clip(folder: Path) -> Path:
    """A CLIP model with text and image towers projecting to 16 dimensions."""
    from transformers import CLIPConfig, CLIPModel, CLIPProcessor

    config = CLIPConfig(text_config=text_tower(), vision_config=vision_tower(), projection_dim=16)
    return save_with_processor(folder, CLIPModel, config, CLIPProcessor, "clip")


def build_siglip(folder: Path) -> Path:
    """A SigLIP model (no projection: vectors of the text hidden size, 32)."""
    from transformers import SiglipConfig, SiglipModel, SiglipProcessor

    text = text_tower(max_position_embeddings=16)
    config = SiglipConfig(text_config=text, vision_config=vision_tower())
    return save_with_processor(folder, SiglipModel, config, SiglipProcessor, "siglip", 16)


def build_blip(folder: Path) -> Path:
    """A BLIP captioning model (ViT encoder, BERT-style decoder)."""
    from transformers import BlipConfig, BlipForConditionalGeneration, BlipProcessor

    text = text_tower(bos_token_id=3, sep_token_id=1, encoder_hidden_size=32)
    config = BlipConfig(text_config=text, vision_config=vision_tower(), projection_dim=16)
    return save_with_processor(folder, BlipForConditionalGeneration, config, BlipProcessor, "blip")
