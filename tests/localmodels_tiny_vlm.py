"""Tiny, randomly initialised Florence-2 and GIT captioners, saved with ``save_pretrained``.

The companions of tests/localmodels_tiny.py for the captioners that need more than a word-level
T5 tokenizer: Florence-2 pairs a DaViT vision tower with a BART encoder-decoder and its processor
needs a BART-style tokenizer (``<s>``/``<pad>``/``</s>``/``<unk>`` at 0-3) that names an
``<image>`` token; GIT pairs a CLIP vision tower with a BERT-style decoder. Both are built from
configs with a ``tokenizers`` tokenizer, so nothing is downloaded. :func:`cached_tiny` builds one
once per test run into a temporary folder removed at exit.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from localmodels_tiny import WORDS, save_with_processor, text_tower, vision_tower

FLORENCE_IMAGE_PX = 64  # the DaViT strides (4*2*2*2) leave a 2x2 grid: 1 + 4 image tokens
FLORENCE_IMAGE_TOKENS = 1 + (FLORENCE_IMAGE_PX // 32) ** 2


def bart_tokenizer(max_length: int = 64) -> Any:
    """A word-level fast tokenizer laid out like BART's, with Florence-2's ``<image>`` token."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<image>": 4}
    for word in WORDS:
        vocab.setdefault(word, len(vocab))
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        model_max_length=max_length,
        extra_special_tokens={"image_token": "<image>"},  # Florence2Processor reads .image_token
    )


def build_florence2(folder: Path) -> Path:
    """A Florence-2 (DaViT + BART) with its processor; ``<DETAILED_CAPTION>`` works on it."""
    import torch
    from transformers import (
        CLIPImageProcessor,
        Florence2Config,
        Florence2ForConditionalGeneration,
        Florence2Processor,
        GenerationConfig,
    )

    torch.manual_seed(0)
    tokenizer = bart_tokenizer()
    text: dict[str, Any] = {
        "model_type": "bart",
        "vocab_size": 64,
        "d_model": 32,
        "max_position_embeddings": 64,
        "encoder_layers": 1,
        "decoder_layers": 1,
        "encoder_attention_heads": 4,
        "decoder_attention_heads": 4,
        "encoder_ffn_dim": 37,
        "decoder_ffn_dim": 37,
        "bos_token_id": 0,
        "pad_token_id": 1,
        "eos_token_id": 2,
        "decoder_start_token_id": 2,
    }
    vision: dict[str, Any] = {
        "depths": (1, 1, 1, 1),
        "embed_dim": (8, 16, 16, 32),
        "num_heads": (1, 2, 2, 4),
        "num_groups": (1, 2, 2, 4),
        "window_size": 2,
        "projection_dim": 32,  # the BART d_model the image tokens are projected into
        "drop_path_rate": 0.0,
        "max_position_embeddings": 8,
        "max_temporal_embeddings": 4,
    }
    config = Florence2Config(
        text_config=text, vision_config=vision, image_token_id=tokenizer.image_token_id
    )
    Florence2ForConditionalGeneration(config).save_pretrained(folder)
    # Random weights pick </s> first; a few forced tokens make decoding produce real words.
    generation = GenerationConfig.from_pretrained(folder)
    generation.min_new_tokens = 4
    generation.save_pretrained(folder)
    side = {"height": FLORENCE_IMAGE_PX, "width": FLORENCE_IMAGE_PX}
    images = CLIPImageProcessor(
        size=side, crop_size=side, do_center_crop=False, image_seq_length=FLORENCE_IMAGE_TOKENS
    )
    Florence2Processor(image_processor=images, tokenizer=tokenizer).save_pretrained(folder)
    return folder


def build_git(folder: Path) -> Path:
    """A GIT captioner (CLIP vision tower, BERT-style causal decoder)."""
    from transformers import GitConfig, GitForCausalLM, GitProcessor

    text = text_tower(max_position_embeddings=96, bos_token_id=3)
    config = GitConfig(vision_config=vision_tower(), **text)
    return save_with_processor(folder, GitForCausalLM, config, GitProcessor, "clip")


_BUILT: dict[str, Path] = {}


def cached_tiny(name: str, build: Callable[[Path], Path]) -> Path:
    """The folder of tiny model ``name``, built by ``build`` once per process."""
    if name not in _BUILT:
        root = Path(tempfile.mkdtemp(prefix=f"reelrag-tiny-{name}-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        _BUILT[name] = build(root / name)
    return _BUILT[name]
