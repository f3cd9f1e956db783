"""A small sample library built from the real photographs that ship inside scikit-image and
matplotlib, with sidecar captions written by this project. Used by ``reelrag demo`` and the tests.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reelrag.errors import MissingDependencyError

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SamplePhoto:
    name: str  # output file stem
    loader: str  # skimage.data function name, or "grace_hopper" for matplotlib's photo
    caption: str
    folder: str = ""


SAMPLES: tuple[SamplePhoto, ...] = (
    SamplePhoto(
        "astronaut",
        "astronaut",
        "An astronaut in an orange space suit smiling in front of an American flag, "
        "with a model of the space shuttle.",
        "people",
    ),
    SamplePhoto(
        "cat", "chelsea", "A ginger tabby cat with green eyes looking to the side.", "animals"
    ),
    SamplePhoto(
        "coffee",
        "coffee",
        "A cup of coffee with latte art on a saucer, on a red table, with a spoon.",
        "food",
    ),
    SamplePhoto(
        "rocket", "rocket", "A rocket standing on its launch pad under a clear blue sky.", "space"
    ),
    SamplePhoto(
        "galaxies",
        "hubble_deep_field",
        "The Hubble deep field: hundreds of distant galaxies in the dark night sky.",
        "space",
    ),
    SamplePhoto(
        "motorcycle",
        "stereo_motorcycle",
        "A red motorcycle parked in a workshop with shelves of boxes.",
        "vehicles",
    ),
    SamplePhoto(
        "grace-hopper",
        "grace_hopper",
        "Portrait of Grace Hopper, a woman in a navy uniform with medals.",
        "people",
    ),
    SamplePhoto(
        "tissue",
        "immunohistochemistry",
        "Microscope image of stained tissue cells in brown and blue.",
        "science",
    ),
    SamplePhoto(
        "retina",
        "retina",
        "Photograph of the back of a human eye: the orange retina with red blood vessels.",
        "science",
    ),
    SamplePhoto(
        "cameraman",
        "camera",
        "Black and white photo of a man in a coat standing with a camera on a tripod.",
        "people",
    ),
    SamplePhoto("moon", "moon", "Grey close-up of the cratered surface of the moon.", "space"),
    SamplePhoto("coins", "coins", "Old coins scattered on a dark grey table.", "objects"),
    SamplePhoto(
        "bricks", "brick", "A grey brick wall with mortar lines, photographed head-on.", "textures"
    ),
    SamplePhoto(
        "grass", "grass", "A patch of grass blades seen from above, in black and white.", "textures"
    ),
)


def write_samples(folder: Path) -> list[Path]:
    """Write the sample photos (JPEG) and their ``.txt`` sidecar captions into ``folder``.

    Existing files are left as they are, so a user's edits survive. Returns the image paths.
    """
    paths = []
    for sample in SAMPLES:
        target = folder / sample.folder / f"{sample.name}.jpg"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            _load(sample.loader).save(target, quality=92)
        caption = target.with_suffix(".txt")
        if not caption.exists():
            caption.write_text(sample.caption + "\n", encoding="utf-8")
        paths.append(target)
    log.info("sample library ready in %s (%d photos)", folder, len(paths))
    return paths


def load_sample(spec: str) -> Image.Image:
    """An RGB photo from ``skimage:<data function>`` or ``matplotlib:<sample_data file>``
    (transparency flattened onto white)."""
    from PIL import Image

    package, _, name = spec.partition(":")
    image: Image.Image
    if package == "matplotlib":
        image = Image.open(_matplotlib_photo().parent / name)
    elif package == "skimage":
        image = _load(name)
    else:
        raise ValueError(f"unknown sample source {spec!r}")
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A"))
        return flat
    return image.convert("RGB")


def _load(loader: str) -> Image.Image:
    from PIL import Image

    if loader == "grace_hopper":
        return Image.open(_matplotlib_photo()).convert("RGB")
    try:
        import numpy as np
        import skimage.data
    except ModuleNotFoundError as exc:
        raise MissingDependencyError(
            "the sample photos need scikit-image", hint="pip install 'reelrag[samples]'"
        ) from exc
    array = getattr(skimage.data, loader)()
    if isinstance(array, tuple):  # stereo pairs: take the left view
        array = array[0]
    image = Image.fromarray(np.asarray(array))
    return image if image.mode in ("RGBA", "LA") else image.convert("RGB")


def _matplotlib_photo() -> Path:
    try:
        import matplotlib
    except ModuleNotFoundError as exc:
        raise MissingDependencyError(
            "the sample photos need matplotlib", hint="pip install 'reelrag[samples]'"
        ) from exc
    return Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
