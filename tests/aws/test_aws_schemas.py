"""ReelRAG's own validation of Bedrock model bodies (Stubber does not check modelInput)."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

from reelrag.aws import schemas
from reelrag.errors import CapabilityError, InputError


def _encoded(image: Image.Image, fmt: str = "PNG") -> str:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return base64.b64encode(buffer.getvalue()).decode()


def _text_video(text: str = "a slow pan", **config: Any) -> dict[str, Any]:
    base = {"durationSeconds": 6, "fps": 24, "dimension": "1280x720", "seed": 42}
    return {
        "taskType": "TEXT_VIDEO",
        "textToVideoParams": {"text": text},
        "videoGenerationConfig": {**base, **config},
    }


def test_valid_text_video_with_image() -> None:
    body = _text_video()
    image = Image.new("RGB", (1280, 720), (10, 120, 200))
    body["textToVideoParams"]["images"] = [{"format": "png", "source": {"bytes": _encoded(image)}}]
    schemas.validate_nova_reel(body, "amazon.nova-reel-v1:0")


@pytest.mark.parametrize(
    ("body", "error", "match"),
    [
        (_text_video("x" * 513), CapabilityError, "1 to 512"),
        (_text_video(durationSeconds=12), CapabilityError, "6-second"),
        (_text_video(fps=30), CapabilityError, "24 fps"),
        (_text_video(dimension="1920x1080"), CapabilityError, "1280x720"),
        (_text_video(seed=2_147_483_647), CapabilityError, "seed"),
        ({**_text_video(), "extra": 1}, InputError, "unknown field"),
        ({"taskType": "IMAGE_VIDEO"}, InputError, "taskType"),
    ],
)
def test_text_video_limits(body: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        schemas.validate_nova_reel(body, "amazon.nova-reel-v1:1")


def test_declared_format_must_match_bytes() -> None:
    body = _text_video()
    jpeg = _encoded(Image.new("RGB", (1280, 720)), "JPEG")
    body["textToVideoParams"]["images"] = [{"format": "png", "source": {"bytes": jpeg}}]
    with pytest.raises(InputError, match="declared as 'png' but the bytes are jpeg"):
        schemas.validate_nova_reel(body, "amazon.nova-reel-v1:1")


def test_opaque_rgba_is_accepted_translucent_is_not() -> None:
    schemas.check_opaque_rgb8(Image.new("RGBA", (4, 4), (1, 2, 3, 255)))
    with pytest.raises(InputError, match="transparent"):
        schemas.check_opaque_rgb8(Image.new("RGBA", (4, 4), (1, 2, 3, 254)))


def test_multi_shot_needs_v1_1_and_valid_durations() -> None:
    config = {"durationSeconds": 24, "fps": 24, "dimension": "1280x720"}
    body = {
        "taskType": "MULTI_SHOT_AUTOMATED",
        "multiShotAutomatedParams": {"text": "story"},
        "videoGenerationConfig": config,
    }
    schemas.validate_nova_reel(body, "amazon.nova-reel-v1:1")
    with pytest.raises(CapabilityError, match=r"needs amazon\.nova-reel-v1:1"):
        schemas.validate_nova_reel(body, "amazon.nova-reel-v1:0")
    for bad in (6, 13, 126):
        with pytest.raises(CapabilityError, match="multiple of 6"):
            schemas.validate_nova_reel(
                {**body, "videoGenerationConfig": {**config, "durationSeconds": bad}},
                "amazon.nova-reel-v1:1",
            )


def test_multi_shot_manual() -> None:
    shots = [{"text": "shot one"}, {"text": "shot two"}]
    body = {
        "taskType": "MULTI_SHOT_MANUAL",
        "multiShotManualParams": {"shots": shots},
        "videoGenerationConfig": {"fps": 24, "dimension": "1280x720", "seed": 1},
    }
    schemas.validate_nova_reel(body, "amazon.nova-reel-v1:1")
    body["multiShotManualParams"]["shots"] = shots[:1]
    with pytest.raises(CapabilityError, match="2 to 20 shots"):
        schemas.validate_nova_reel(body, "amazon.nova-reel-v1:1")


def test_luma_body() -> None:
    body = {"prompt": "p", "aspect_ratio": "16:9", "duration": "9s", "resolution": "720p"}
    schemas.validate_luma({**body, "loop": True})
    image = _encoded(Image.new("RGB", (1280, 720)))
    frame = {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": image},
    }
    with pytest.raises(CapabilityError, match="no image input"):  # not a documented field
        schemas.validate_luma({**body, "keyframes": {"frame0": frame}})
    for key, value in (("duration", "6s"), ("aspect_ratio", "2:1"), ("resolution", "1080p")):
        with pytest.raises(CapabilityError, match=key):
            schemas.validate_luma({"prompt": "p", key: value})
    with pytest.raises(CapabilityError, match="1 to 5000"):
        schemas.validate_luma({"prompt": "p" * 5001})
    with pytest.raises(InputError, match="loop"):
        schemas.validate_luma({"prompt": "p", "loop": "yes"})


def test_titan_body() -> None:
    small = _encoded(Image.new("RGB", (64, 64)))
    schemas.validate_titan_embedding(
        {"inputText": "t", "inputImage": small, "embeddingConfig": {"outputEmbeddingLength": 384}}
    )
    with pytest.raises(InputError, match="inputText and/or inputImage"):
        schemas.validate_titan_embedding({"embeddingConfig": {"outputEmbeddingLength": 256}})
    with pytest.raises(CapabilityError, match="256, 384 or 1024"):
        schemas.validate_titan_embedding(
            {"inputText": "t", "embeddingConfig": {"outputEmbeddingLength": 512}}
        )
    with pytest.raises(CapabilityError, match="2048x2048"):
        schemas.validate_titan_embedding({"inputImage": _encoded(Image.new("RGB", (2049, 8)))})
    with pytest.raises(InputError, match="base64"):
        schemas.validate_titan_embedding({"inputImage": "%%%"})


def test_converse_image_block() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="WEBP")
    block = {"image": {"format": "webp", "source": {"bytes": buffer.getvalue()}}}
    schemas.validate_converse_image_block(block)
    block["image"]["format"] = "png"
    with pytest.raises(InputError, match="declared as 'png'"):
        schemas.validate_converse_image_block(block)
    with pytest.raises(InputError, match="raw image bytes"):
        schemas.validate_converse_image_block(
            {"image": {"format": "png", "source": {"bytes": "aGk="}}}
        )
