"""Sign a finished file with Content Credentials (C2PA) through c2pa-python.

Signing comes last, after the final mux or save: re-encoding strips the credentials. The file
is signed into a temporary file beside it and moved into place. Each step of how it was made is
a C2PA action with the IPTC digital source type that fits it; the files it was made from are
ingredients (their own credentials, when they carry some, travel inside), with their SHA-256 in
the ``org.reelrag.ingredients`` assertion; ``org.reelrag.disclosure`` states in words whether
AI generated the content (the EU AI Act's Article 50 transparency duty).
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelrag.errors import BackendError, MissingDependencyError
from reelrag.provenance.certs import Credentials, credentials
from reelrag.settings import Settings
from reelrag.storage.local import temp_beside

log = logging.getLogger(__name__)

__all__ = ["IPTC", "Ingredient", "sha256_file", "sign_file", "source_type"]

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED = "trainedAlgorithmicMedia"  # made by a generative model
COMPOSITE_AI = "compositeWithTrainedAlgorithmicMedia"  # real media with AI-made parts
COMPOSITE = "composite"  # elements combined (a photo in a camera move, shots in a reel)
FORMATS = {
    "jpg": "jpg",
    "jpeg": "jpg",
    "png": "png",
    "webp": "webp",
    "mp4": "mp4",
    "m4a": "m4a",
    "wav": "wav",
    "mp3": "mp3",
    "flac": "flac",
    "tif": "tif",
    "tiff": "tif",
    "heic": "heic",
    "avif": "avif",
    "gif": "gif",
    "mov": "mov",
}


@dataclass(frozen=True)
class Ingredient:
    """A file the output was made from: a photo, an edited image, a shot clip, an audio file."""

    path: str
    role: str  # source photo | edited image | shot | music | voice-over
    relationship: str = "componentOf"  # componentOf | inputTo | parentOf
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. the library asset id


def source_type(name: str) -> str:
    """The IPTC digital source type URI of a short name.

    >>> source_type("composite")
    'http://cv.iptc.org/newscodes/digitalsourcetype/composite'
    """
    return IPTC + name


def sha256_file(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _c2pa() -> Any:
    try:
        import c2pa
    except ImportError as exc:
        raise MissingDependencyError(
            "Content Credentials need c2pa-python",
            hint="pip install c2pa-python, or pass --no-sign for unsigned output",
        ) from exc
    return c2pa


def file_format(path: Path) -> str | None:
    """The C2PA format of a file from its extension, else its content (images); None if none."""
    by_suffix = FORMATS.get(path.suffix.lower().lstrip("."))
    if by_suffix:
        return by_suffix
    try:
        from PIL import Image

        with Image.open(path) as image:
            return FORMATS.get((image.format or "").lower())
    except (OSError, ValueError):
        return None


def sign_file(
    path: Path,
    settings: Settings,
    *,
    title: str,
    actions: list[dict[str, Any]],
    ingredients: list[Ingredient],
    disclosure: dict[str, Any],
) -> dict[str, Any]:
    """Sign ``path`` in place; returns what manifest.json records about the credentials."""
    c2pa = _c2pa()
    creds = credentials(settings)
    listed = [_listed(i, k) for k, i in enumerate(ingredients)]
    definition = _definition(title, actions, listed, disclosure)
    fmt = file_format(path) or "mp4"
    try:
        builder = c2pa.Builder(definition)
        embedded = [
            _add(builder, c2pa, i, entry) for i, entry in zip(ingredients, listed, strict=True)
        ]
        _sign_in_place(builder, _signer(c2pa, creds), fmt, path)
    except c2pa.C2paError as exc:
        raise BackendError(
            f"signing {path.name} failed: {exc}", hint="check sign_cert/sign_key"
        ) from exc
    for entry, ok in zip(listed, embedded, strict=True):
        entry["c2pa_ingredient"] = ok
    return {
        "signed": True,
        "standard": "C2PA (c2pa-python)",
        "signer": creds.source,
        "test_certificate": creds.test_ca,
        "actions": [{k: a[k] for k in ("action", "digitalSourceType") if k in a} for a in actions],
        "ingredients": listed,
        "disclosure": disclosure,
        "signed_sha256": sha256_file(path),
    }


def _listed(ingredient: Ingredient, index: int) -> dict[str, Any]:
    path = Path(ingredient.path)
    return {
        "label": f"ingredient-{index + 1}",
        "title": path.name,
        "role": ingredient.role,
        "relationship": ingredient.relationship,
        "sha256": sha256_file(path),
        **ingredient.extra,
    }


def _definition(
    title: str,
    actions: list[dict[str, Any]],
    listed: list[dict[str, Any]],
    disclosure: dict[str, Any],
) -> dict[str, Any]:
    from reelrag import __version__

    return {
        "claim_generator_info": [{"name": "reelrag", "version": __version__}],
        "title": title,
        "assertions": [
            {"label": "c2pa.actions.v2", "data": {"actions": actions}},
            {"label": "org.reelrag.disclosure", "data": disclosure},
            {"label": "org.reelrag.ingredients", "data": {"ingredients": listed}},
        ],
    }


def _add(builder: Any, c2pa: Any, ingredient: Ingredient, entry: dict[str, Any]) -> bool:
    """Add one ingredient with its file (its thumbnail and own credentials travel along)."""
    path = Path(ingredient.path)
    fmt = file_format(path)
    if fmt is None:
        log.info("%s: no C2PA format; recorded by hash only", path.name)
        return False
    spec = {"title": entry["title"], "relationship": entry["relationship"], "label": entry["label"]}
    try:
        with open(path, "rb") as handle:
            builder.add_ingredient(spec, fmt, handle)
    except c2pa.C2paError as exc:  # an odd file must not stop signing; the hash is recorded
        log.warning("%s: not added as a C2PA ingredient (%s); recorded by hash", path.name, exc)
        return False
    return True


def _signer(c2pa: Any, creds: Credentials) -> Any:
    info = c2pa.C2paSignerInfo(
        alg=creds.alg.encode(), sign_cert=creds.chain, private_key=creds.key, ta_url=None
    )
    return c2pa.Signer.from_info(info)


def _sign_in_place(builder: Any, signer: Any, fmt: str, path: Path) -> None:
    tmp = temp_beside(path, suffix=path.suffix)
    try:
        with open(path, "rb") as source, open(tmp, "w+b") as dest:
            builder.sign(signer, fmt, source, dest)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
