"""What an asset's text is worth as evidence.

Captions written by people or models (sidecars, metadata files, IPTC/XMP, a captioning model)
and their keywords are STRONG evidence. Words taken from the file name and the folder are WEAK:
a folder called ``camera`` says nothing about whether a photo shows a photographer, and a
camera-roll folder (``DCIM/100APPLE``) carries no words at all
(:func:`reelrag.captioning.metadata.folder_words_of`).

>>> from reelrag.types import Asset
>>> a = Asset("x", "/p/trips/IMG_1.jpg", 1, 1, "jpeg", caption="A cat", keywords=("pet", "trips"),
...           caption_source="sidecar")
>>> strong_text(a), weak_text(a)
('A cat pet', 'trips')
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

from reelrag.captioning.metadata import folder_words_of, words_from_name
from reelrag.types import Asset

# Caption sources that are only file-name words.
NAME_SOURCES = frozenset({"", "filename"})


def has_caption(asset: Asset) -> bool:
    """Whether the asset has a caption that is more than its file and folder names' words."""
    if not asset.caption.strip():
        return False
    if asset.caption_source not in NAME_SOURCES:
        return True
    return _beyond_names(asset.caption, asset.source)


@lru_cache(maxsize=16_384)
def _beyond_names(caption: str, source: str) -> bool:
    """Whether ``caption`` has a word that is not one of ``source``'s file and folder words."""
    names = set(path_words(source))
    return any(w not in names for w in re.findall(r"\w+", caption.lower()))


def path_words(source: str) -> list[str]:
    """Words of the file name and of its folder (none for camera-roll names)."""
    return list(_path_words(source))


@lru_cache(maxsize=8192)
def _path_words(source: str) -> tuple[str, ...]:
    # A pure function of the path, asked ~5 times per hit by each search's match decision.
    path = source.replace("\\", "/")
    stem = os.path.splitext(path.rsplit("/", 1)[-1])[0]
    folder = path.rsplit("/", 2)[-2] if path.count("/") >= 1 else ""
    return (*words_from_name(stem), *folder_words_of(folder))


def strong_text(asset: Asset) -> str:
    """The caption (when it is a real one) and the keywords that are not path words."""
    names = {w.lower() for w in path_words(asset.source)}
    keywords = [k for k in asset.keywords if k.lower() not in names]
    caption = asset.caption if has_caption(asset) else ""
    return " ".join(p for p in (caption, " ".join(keywords)) if p).strip()


def weak_text(asset: Asset) -> str:
    """File-name and folder words (and a caption made of them)."""
    words = path_words(asset.source)
    caption = "" if has_caption(asset) else asset.caption
    return " ".join(p for p in (caption, " ".join(words)) if p).strip()


def embed_text(asset: Asset) -> str:
    """What the caption vector embeds: the strong text, or the weak text when there is none
    (a path-only vector is then weak evidence in the decision)."""
    return strong_text(asset) or weak_text(asset)
