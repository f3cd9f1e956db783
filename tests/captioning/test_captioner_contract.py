"""Contract every captioner in the registry honours (later captioners run it too)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from reelrag.captioning.base import Caption, Captioner, CaptionInput
from reelrag.errors import ConfigError, MissingDependencyError
from reelrag.plugins import registry
from reelrag.settings import Settings

UNAVAILABLE = (ConfigError, MissingDependencyError)


def _tiny_transformers(settings: Settings) -> Captioner:
    """``captioner.transformers`` on a tiny random Florence-2 (the default's architecture)."""
    from localmodels_tiny_vlm import build_florence2, cached_tiny
    from reelrag.captioning.transformers import TransformersCaptioner
    from reelrag.localmodels.loading import require

    for extra in ("torch", "transformers"):  # without the local extra the fixture skips
        require(extra)

    folder = cached_tiny("florence2", build_florence2)
    return TransformersCaptioner(str(folder), settings=settings, batch=2)


# Captioners behind a network edge, or whose default weights are not on this machine, add a
# factory here that builds them offline (a botocore Stubber, a tiny saved model); the others
# are built from the default settings.
OFFLINE_FACTORIES: dict[str, Callable[[Settings], Captioner]] = {
    "transformers": _tiny_transformers,
}


@pytest.fixture(params=registry.names("captioner"))
def captioner(request: pytest.FixtureRequest, settings: Settings) -> Captioner:
    factory = OFFLINE_FACTORIES.get(request.param)
    try:
        if factory is not None:
            return factory(settings)
        backend: Captioner = registry.create("captioner", request.param, settings)
    except UNAVAILABLE as exc:
        pytest.skip(f"captioner {request.param} cannot run offline here: {exc}")
    return backend


def _items(tmp_path: Path) -> list[CaptionInput]:
    good = tmp_path / "red_shoes.jpg"
    Image.new("RGB", (32, 24), (200, 20, 20)).save(good)
    image = Image.new("RGB", (32, 24), (200, 20, 20))
    missing = tmp_path / "gone" / "blue_car.jpg"
    return [
        CaptionInput(str(good), good.name, "a" * 64, {}, image),
        CaptionInput(str(missing), missing.name, "b" * 64, {"iptc_caption": "A blue car"}, image),
        CaptionInput("s3://bucket/x/IMG_0001.jpg", "IMG_0001.jpg", "c" * 64, {}, image),
    ]


def test_one_caption_per_item_in_order(captioner: Captioner, tmp_path: Path) -> None:
    items = _items(tmp_path)
    try:
        captions = captioner.caption_batch(items)
    except UNAVAILABLE as exc:  # e.g. no AWS region or credentials on this machine
        pytest.skip(f"{captioner.name} cannot run offline here: {exc}")
    assert len(captions) == len(items)
    for caption in captions:
        assert isinstance(caption, Caption)
        assert isinstance(caption.text, str)
        assert isinstance(caption.keywords, tuple)
        assert all(isinstance(k, str) and k for k in caption.keywords)
        assert caption.source


def test_empty_batch(captioner: Captioner) -> None:
    assert captioner.caption_batch([]) == []


def test_declares_name_and_pixel_needs(captioner: Captioner) -> None:
    assert isinstance(captioner.name, str) and captioner.name
    assert isinstance(captioner.needs_pixels, bool)
