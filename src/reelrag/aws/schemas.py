"""ReelRAG's own validation of Bedrock model request bodies.

botocore's Stubber and the service model check the API envelope but not the free-form
``modelInput`` / ``body`` documents, so a malformed body would only fail after a network round
trip -- or worse, be billed. These validators encode the documented fields and limits
(``docs/aws.md`` / ``shared/reference/aws.md``) and raise :class:`~reelrag.errors.CapabilityError`
for values a model does not accept and :class:`~reelrag.errors.InputError` for malformed images.

- Nova Reel ``TEXT_VIDEO`` / ``MULTI_SHOT_AUTOMATED`` / ``MULTI_SHOT_MANUAL`` ``modelInput``;
- Luma Ray2 ``modelInput`` (text to video: no image field is documented on Bedrock);
- Titan Multimodal Embeddings G1 ``body``;
- a Converse ``image`` content block.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Mapping
from typing import Any

from PIL import Image, UnidentifiedImageError

from reelrag.errors import CapabilityError, InputError

NOVA_REEL_SIZE = (1280, 720)
NOVA_REEL_FPS = 24
NOVA_REEL_SHOT_S = 6
NOVA_REEL_MAX_S = 120
MAX_SEED = 2_147_483_646
LUMA_ASPECT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21")
LUMA_DURATIONS = ("5s", "9s")
LUMA_RESOLUTIONS = ("540p", "720p")
TITAN_DIMS = (256, 384, 1024)
TITAN_MAX_IMAGE_PX = 2048
MAX_IMAGE_BYTES = 25 * 1024 * 1024
CONVERSE_FORMATS = ("png", "jpeg", "gif", "webp")
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)


def sniff_format(data: bytes) -> str | None:
    """The image format the bytes really are: png | jpeg | gif | webp, or None.

    >>> sniff_format(b"\\x89PNG\\r\\n\\x1a\\n...."), sniff_format(b"nope")
    ('png', None)
    """
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def check_declared_format(data: bytes, declared: str, allowed: tuple[str, ...]) -> None:
    """Refuse bytes whose real format is not ``declared`` or not among ``allowed``."""
    actual = sniff_format(data)
    if actual not in allowed:
        raise InputError(
            f"image bytes are {actual or 'not a known image format'}; expected {'/'.join(allowed)}",
            hint="re-encode the image as PNG or JPEG",
        )
    if actual != declared:
        raise InputError(
            f"image declared as {declared!r} but the bytes are {actual}",
            hint="declare the format that matches the bytes",
        )


def open_image(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InputError(f"the image bytes cannot be decoded: {exc}") from exc
    return image


def check_video_frame_image(data: bytes, declared: str, size: tuple[int, int]) -> None:
    """A video keyframe: PNG/JPEG matching ``declared``, exactly ``size``, 8-bit RGB, opaque."""
    check_declared_format(data, declared, ("png", "jpeg"))
    if len(data) > MAX_IMAGE_BYTES:
        raise InputError(f"the image is {len(data)} bytes; the limit is {MAX_IMAGE_BYTES}")
    image = open_image(data)
    if image.size != size:
        raise CapabilityError(
            f"the image is {image.width}x{image.height}; this model needs exactly "
            f"{size[0]}x{size[1]}",
            hint="let the pipeline fit the image (crop or pad, never stretch)",
        )
    check_opaque_rgb8(image)


def check_opaque_rgb8(image: Image.Image) -> None:
    """8 bits per channel RGB; an alpha channel only if every pixel is fully opaque."""
    if image.mode == "RGB":
        return
    if image.mode == "RGBA":
        low, _high = image.getchannel("A").getextrema()
        if low == 255:
            return
        raise InputError(
            "the image has transparent or translucent pixels",
            hint="flatten it onto a background first",
        )
    raise InputError(
        f"the image mode is {image.mode}; the model needs 8-bit RGB",
        hint="convert it to RGB (8 bits per channel)",
    )


def _b64(value: Any, where: str) -> bytes:
    if not isinstance(value, str | bytes) or not value:
        raise InputError(f"{where} must be a non-empty base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError(f"{where} is not valid base64") from exc


def _keys(body: Mapping[str, Any], where: str, required: set[str], optional: set[str]) -> None:
    if not isinstance(body, Mapping):
        raise InputError(f"{where} must be an object")
    missing = required - set(body)
    unknown = set(body) - required - optional
    if missing:
        raise InputError(f"{where} lacks {', '.join(sorted(missing))}")
    if unknown:
        raise InputError(f"{where} has unknown field(s) {', '.join(sorted(unknown))}")


def _text(value: Any, where: str, limit: int) -> None:
    if not isinstance(value, str) or not 1 <= len(value) <= limit:
        size = len(value) if isinstance(value, str) else type(value).__name__
        raise CapabilityError(f"{where} must be 1 to {limit} characters (got {size})")


def _seed(config: Mapping[str, Any]) -> None:
    seed = config.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        raise CapabilityError(f"seed must be an integer from 0 to {MAX_SEED} (got {seed!r})")


# -- Nova Reel -------------------------------------------------------------------------------


def validate_nova_reel(body: Mapping[str, Any], model: str) -> None:
    """Validate a Nova Reel ``modelInput`` for ``model`` (v1:0 supports only TEXT_VIDEO)."""
    task = body.get("taskType") if isinstance(body, Mapping) else None
    if task == "TEXT_VIDEO":
        _nova_text_video(body)
    elif task in ("MULTI_SHOT_AUTOMATED", "MULTI_SHOT_MANUAL"):
        if not model.endswith("nova-reel-v1:1"):
            raise CapabilityError(
                f"{task} needs amazon.nova-reel-v1:1; {model} makes 6-second videos only",
                hint="use 6 seconds or bedrock_video_model = amazon.nova-reel-v1:1",
            )
        _nova_multi_shot(body, task)
    else:
        raise InputError(f"unknown Nova Reel taskType {task!r}")


def _nova_text_video(body: Mapping[str, Any]) -> None:
    _keys(body, "modelInput", {"taskType", "textToVideoParams", "videoGenerationConfig"}, set())
    params = body["textToVideoParams"]
    _keys(params, "textToVideoParams", {"text"}, {"images"})
    _text(params["text"], "textToVideoParams.text", 512)
    images = params.get("images")
    if images is not None:
        if not isinstance(images, list) or len(images) != 1:
            raise CapabilityError("textToVideoParams.images must hold exactly one image")
        _nova_image(images[0], "textToVideoParams.images[0]")
    config = body["videoGenerationConfig"]
    _nova_config(config, {"durationSeconds", "fps", "dimension"})
    if config["durationSeconds"] != NOVA_REEL_SHOT_S:
        raise CapabilityError(
            f"TEXT_VIDEO makes {NOVA_REEL_SHOT_S}-second videos (got {config['durationSeconds']})"
        )


def _nova_multi_shot(body: Mapping[str, Any], task: str) -> None:
    if task == "MULTI_SHOT_AUTOMATED":
        _keys(
            body,
            "modelInput",
            {"taskType", "multiShotAutomatedParams", "videoGenerationConfig"},
            set(),
        )
        params = body["multiShotAutomatedParams"]
        _keys(params, "multiShotAutomatedParams", {"text"}, set())
        _text(params["text"], "multiShotAutomatedParams.text", 4000)
        config = body["videoGenerationConfig"]
        _nova_config(config, {"durationSeconds", "fps", "dimension"})
        _multi_shot_duration(config["durationSeconds"])
        return
    _keys(body, "modelInput", {"taskType", "multiShotManualParams", "videoGenerationConfig"}, set())
    params = body["multiShotManualParams"]
    _keys(params, "multiShotManualParams", {"shots"}, set())
    shots = params["shots"]
    if not isinstance(shots, list) or not 2 <= len(shots) <= NOVA_REEL_MAX_S // NOVA_REEL_SHOT_S:
        raise CapabilityError("multiShotManualParams.shots must hold 2 to 20 shots of 6 s each")
    for i, shot in enumerate(shots):
        _keys(shot, f"shots[{i}]", {"text"}, {"image"})
        _text(shot["text"], f"shots[{i}].text", 512)
        if "image" in shot:
            _nova_image(shot["image"], f"shots[{i}].image")
    _nova_config(body["videoGenerationConfig"], {"fps", "dimension"})


def _multi_shot_duration(duration: Any) -> None:
    ok = isinstance(duration, int) and 12 <= duration <= NOVA_REEL_MAX_S and duration % 6 == 0
    if not ok:
        raise CapabilityError(
            f"multi-shot duration must be a multiple of 6 from 12 to 120 seconds (got {duration!r})"
        )


def _nova_config(config: Mapping[str, Any], required: set[str]) -> None:
    _keys(config, "videoGenerationConfig", required, {"seed"})
    if config["fps"] != NOVA_REEL_FPS:
        raise CapabilityError(f"Nova Reel renders {NOVA_REEL_FPS} fps only (got {config['fps']})")
    if config["dimension"] != "1280x720":
        raise CapabilityError(f"Nova Reel renders 1280x720 only (got {config['dimension']!r})")
    _seed(config)


def _nova_image(image: Any, where: str) -> None:
    _keys(image, where, {"format", "source"}, set())
    if image["format"] not in ("png", "jpeg"):
        raise InputError(f"{where}.format must be png or jpeg (got {image['format']!r})")
    source = image["source"]
    if not isinstance(source, Mapping) or len(source) != 1:
        raise InputError(f"{where}.source must hold exactly one of bytes or s3Location")
    if "s3Location" in source:
        _keys(source["s3Location"], f"{where}.source.s3Location", {"uri"}, {"bucketOwner"})
        if not str(source["s3Location"]["uri"]).startswith("s3://"):
            raise InputError(f"{where}.source.s3Location.uri must be an s3:// URI")
        return
    _keys(source, f"{where}.source", {"bytes"}, set())
    data = _b64(source["bytes"], f"{where}.source.bytes")
    check_video_frame_image(data, image["format"], NOVA_REEL_SIZE)


# -- Luma Ray2 -------------------------------------------------------------------------------


def validate_luma(body: Mapping[str, Any]) -> None:
    """Validate a Luma Ray2 ``modelInput``: the documented fields only (text to video).

    AWS's parameter page for ``luma.ray-v2:0`` lists ``prompt``, ``aspect_ratio``, ``loop``,
    ``duration`` and ``resolution``; no image field (``keyframes`` is Luma's own API, not
    Bedrock's), so a body with one is refused before it is sent.
    """
    if isinstance(body, Mapping) and "keyframes" in body:
        raise CapabilityError(
            "Luma Ray2 on Bedrock documents no image input (keyframes)",
            hint="send text only, or generate from the image with the camera or diffusers backend",
        )
    _keys(body, "modelInput", {"prompt"}, {"aspect_ratio", "loop", "duration", "resolution"})
    _text(body["prompt"], "prompt", 5000)
    _enum(body, "aspect_ratio", LUMA_ASPECT_RATIOS)
    _enum(body, "duration", LUMA_DURATIONS)
    _enum(body, "resolution", LUMA_RESOLUTIONS)
    if "loop" in body and not isinstance(body["loop"], bool):
        raise InputError("loop must be true or false")


def _enum(body: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> None:
    if key in body and body[key] not in allowed:
        raise CapabilityError(f"{key} must be one of {', '.join(allowed)} (got {body[key]!r})")


def validate_titan_embedding(body: Mapping[str, Any]) -> None:
    """Validate a Titan Multimodal Embeddings G1 request body."""
    _keys(body, "body", set(), {"inputText", "inputImage", "embeddingConfig"})
    if "inputText" not in body and "inputImage" not in body:
        raise InputError("a Titan embedding request needs inputText and/or inputImage")
    if "inputText" in body and (not isinstance(body["inputText"], str) or not body["inputText"]):
        raise InputError("inputText must be a non-empty string")
    if "inputImage" in body:
        _titan_image(_b64(body["inputImage"], "inputImage"))
    if "embeddingConfig" in body:
        config = body["embeddingConfig"]
        _keys(config, "embeddingConfig", {"outputEmbeddingLength"}, set())
        if config["outputEmbeddingLength"] not in TITAN_DIMS:
            raise CapabilityError(
                f"outputEmbeddingLength must be 256, 384 or 1024 "
                f"(got {config['outputEmbeddingLength']!r})"
            )


def _titan_image(data: bytes) -> None:
    if len(data) > MAX_IMAGE_BYTES:
        raise CapabilityError(f"the image is {len(data)} bytes; Titan takes at most 25 MB")
    fmt = sniff_format(data)
    if fmt not in ("png", "jpeg"):
        raise InputError(f"Titan takes PNG or JPEG images (got {fmt or 'unknown bytes'})")
    image = open_image(data)
    if max(image.size) > TITAN_MAX_IMAGE_PX:
        raise CapabilityError(
            f"the image is {image.width}x{image.height}; Titan takes at most "
            f"{TITAN_MAX_IMAGE_PX}x{TITAN_MAX_IMAGE_PX}"
        )


# -- Converse --------------------------------------------------------------------------------


def validate_converse_image_block(block: Mapping[str, Any]) -> None:
    """Validate ``{"image": {"format": ..., "source": {"bytes": raw}}}`` (raw bytes, not base64)."""
    _keys(block, "content block", {"image"}, set())
    image = block["image"]
    _keys(image, "image", {"format", "source"}, set())
    if image["format"] not in CONVERSE_FORMATS:
        raise InputError(f"image.format must be one of {', '.join(CONVERSE_FORMATS)}")
    _keys(image["source"], "image.source", {"bytes"}, set())
    data = image["source"]["bytes"]
    if not isinstance(data, bytes | bytearray) or not data:
        raise InputError("image.source.bytes must be raw image bytes")
    if len(data) > MAX_IMAGE_BYTES:
        raise CapabilityError(f"the image is {len(data)} bytes; the limit is 25 MB")
    check_declared_format(bytes(data), image["format"], CONVERSE_FORMATS)
