"""BedrockGenerator offline: every Bedrock call through botocore's Stubber, S3 through moto."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import boto3
import numpy as np
import pytest
from botocore.stub import Stubber
from PIL import Image

from reelrag.aws import lifecycle
from reelrag.errors import (
    AccessDeniedError,
    CapabilityError,
    ConfigError,
    ContentFilteredError,
    InputError,
    RetryableBackendError,
)
from reelrag.generation.base import ResolvedRequest, check_request
from reelrag.generation.bedrock.generator import LUMA_SIZES, BedrockGenerator, probe_video
from reelrag.settings import Settings, load_settings
from reelrag.types import GenerationRequest

ARN = "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abcdef123456"
OTHER_ARN = "arn:aws:bedrock:us-east-1:123456789012:async-invoke/zzzzzz999999"
OUT_URI = "s3://reel-out/videos"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _client(service: str) -> Any:
    return boto3.client(
        service, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )


@pytest.fixture(autouse=True)
def _fresh_lifecycle_cache() -> Iterator[None]:
    lifecycle.clear_cache()
    yield
    lifecycle.clear_cache()


@pytest.fixture
def aws_env(aws_credentials: None) -> None:
    """Fake credentials (conftest) for the stubbed Bedrock clients."""


class Rig:
    """A generator wired to stubbed Bedrock clients (and, when given, a moto S3 client)."""

    def __init__(self, tmp_path: Path, model: str, s3: Any = None, **overrides: Any):
        self.settings: Settings = load_settings(
            {
                "workspace": tmp_path / "ws",
                "s3_output_uri": OUT_URI,
                "aws_region": "us-east-1",
                "bedrock_video_model": model,
                "bedrock_poll_s": 0.0,
                **overrides,
            },
            environ={},
        )
        self.runtime, self.control = _client("bedrock-runtime"), _client("bedrock")
        self.rt, self.cp = Stubber(self.runtime), Stubber(self.control)
        self.rt.activate()
        self.cp.activate()
        self.gen = BedrockGenerator(
            self.settings, runtime=self.runtime, control=self.control, s3=s3, sleep=lambda s: None
        )

    def lifecycle(self, model: str, status: str = "ACTIVE", eol: datetime | None = None) -> None:
        cycle: dict[str, Any] = {"status": status}
        if eol:
            cycle["endOfLifeTime"] = eol
        details = {
            "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{model}",
            "modelId": model,
            "modelLifecycle": cycle,
        }
        self.cp.add_response(
            "get_foundation_model", {"modelDetails": details}, {"modelIdentifier": model}
        )

    def job(self, prompt: str = "slow zoom in on red shoes", **fields: Any) -> ResolvedRequest:
        request = GenerationRequest(prompt=prompt, **fields)
        return check_request(request, self.gen.capabilities, seed=7)

    def status(self, state: str, message: str = "", token: str = "tok-1") -> dict[str, Any]:
        response: dict[str, Any] = {
            "invocationArn": ARN,
            "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{self.gen.model}",
            "clientRequestToken": token,
            "status": state,
            "submitTime": NOW,
            "outputDataConfig": {
                "s3OutputDataConfig": {"s3Uri": f"{OUT_URI}/{token}/abcdef123456"}
            },
        }
        if message:
            response["failureMessage"] = message
        return response

    def done(self) -> None:
        self.rt.assert_no_pending_responses()
        self.cp.assert_no_pending_responses()


def _png_b64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _photo(size: tuple[int, int] = (1280, 720)) -> Image.Image:
    rng = np.random.default_rng(3)
    return Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))


def _output(token: str) -> dict[str, Any]:
    return {"s3OutputDataConfig": {"s3Uri": f"{OUT_URI}/{token}/"}}


def test_luma_text_to_video_exact_request(tmp_path: Path) -> None:
    rig = Rig(tmp_path, "luma.ray-v2:0")
    rig.lifecycle("luma.ray-v2:0")
    body = {
        "prompt": "slow zoom in on red shoes",
        "aspect_ratio": "16:9",
        "resolution": "720p",
        "duration": "5s",
        "loop": False,
    }
    rig.rt.add_response(
        "start_async_invoke",
        {"invocationArn": ARN},
        {
            "modelId": "luma.ray-v2:0",
            "modelInput": body,
            "outputDataConfig": _output("tok-1"),
            "clientRequestToken": "tok-1",
        },
    )
    assert rig.gen.submit(rig.job(), None, "tok-1") == ARN
    rig.done()


def test_nova_reel_image_to_video_sends_matching_png(tmp_path: Path) -> None:
    rig = Rig(tmp_path, "amazon.nova-reel-v1:1")
    rig.lifecycle("amazon.nova-reel-v1:1", "LEGACY", NOW + timedelta(days=300))
    image = _photo()
    body = {
        "taskType": "TEXT_VIDEO",
        "textToVideoParams": {
            "text": "camera pans left",
            "images": [{"format": "png", "source": {"bytes": _png_b64(image)}}],
        },
        "videoGenerationConfig": {
            "durationSeconds": 6,
            "fps": 24,
            "dimension": "1280x720",
            "seed": 7,
        },
    }
    rig.rt.add_response(
        "start_async_invoke",
        {"invocationArn": ARN},
        {
            "modelId": "amazon.nova-reel-v1:1",
            "modelInput": body,
            "outputDataConfig": _output("job-42"),
            "clientRequestToken": "job-42",
        },
    )
    job = rig.job("camera pans left", image="x.png")
    assert rig.gen.submit(job, image, "job-42") == ARN
    rig.done()


def test_legacy_model_warns_once_per_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rig = Rig(tmp_path, "amazon.nova-reel-v1:0")
    rig.lifecycle("amazon.nova-reel-v1:0", "LEGACY", datetime(2099, 9, 30, tzinfo=UTC))
    with caplog.at_level("WARNING"):
        first = rig.gen.check_lifecycle("amazon.nova-reel-v1:0")
        second = rig.gen.check_lifecycle("amazon.nova-reel-v1:0")  # cached: no second request
    assert first is second and first.status == "LEGACY"
    assert "Legacy" in caplog.text and "luma.ray-v2:0" in first.warning
    rig.done()


def test_end_of_life_model_is_refused_naming_alternatives(tmp_path: Path) -> None:
    rig = Rig(tmp_path, "amazon.nova-reel-v1:0")
    rig.lifecycle("amazon.nova-reel-v1:0", "LEGACY", datetime(2026, 9, 30, tzinfo=UTC))
    with pytest.raises(CapabilityError, match="end of life on 2026-09-30") as info:
        rig.gen.submit(rig.job(), None, "tok-1")  # no start_async_invoke stubbed: none is made
    assert "luma.ray-v2:0" in str(info.value.hint)
    rig.done()


def test_lifecycle_check_can_be_skipped(tmp_path: Path) -> None:
    rig = Rig(tmp_path, "luma.ray-v2:0", lifecycle_check=False)
    rig.rt.add_response("start_async_invoke", {"invocationArn": ARN})
    assert rig.gen.submit(rig.job(), None, "t") == ARN
    rig.done()


@pytest.mark.parametrize(
    ("image", "error", "match"),
    [
        (_photo((1280, 720)).resize((1024, 576)), CapabilityError, "exactly 1280x720"),
        (Image.new("RGBA", (1280, 720), (9, 9, 9, 128)), InputError, "transparent"),
        (Image.new("L", (1280, 720)), InputError, "8-bit RGB"),
    ],
)
def test_bad_images_are_refused_before_any_call(
    tmp_path: Path, image: Image.Image, error: type[Exception], match: str
) -> None:
    rig = Rig(tmp_path, "amazon.nova-reel-v1:1")
    with pytest.raises(error, match=match):
        rig.gen.submit(rig.job(image="x.png"), image, "tok-1")
    rig.done()


def test_ray2_refuses_an_image_before_any_call_naming_the_alternatives(tmp_path: Path) -> None:
    rig = Rig(tmp_path, "luma.ray-v2:0")  # lifecycle on, yet no call at all is stubbed
    assert not rig.gen.capabilities.image_to_video
    with pytest.raises(CapabilityError, match="no image input") as planned:
        rig.job(image="x.jpg", width=960, height=540, duration_s=9)
    hint = str(planned.value.hint)
    assert "text-to-video" in hint and "camera" in hint and "diffusers" in hint
    text_only = rig.job(width=960, height=540, duration_s=9)
    buffer = io.BytesIO()
    _photo((960, 540)).save(buffer, format="JPEG")
    with pytest.raises(CapabilityError, match="cannot start from an image"):
        rig.gen.submit(text_only, buffer.getvalue(), "tok-1")  # an image given past planning
    rig.done()
    body = rig.gen.model_input(text_only, None)
    assert body == {
        "prompt": "slow zoom in on red shoes",
        "aspect_ratio": "16:9",
        "resolution": "540p",
        "duration": "9s",
        "loop": False,
    }


def test_throttled_submit_is_retryable_then_succeeds(tmp_path: Path) -> None:
    rig = Rig(tmp_path, "luma.ray-v2:0", lifecycle_check=False)
    rig.rt.add_client_error("start_async_invoke", "ThrottlingException", "Too many requests")
    rig.rt.add_response("start_async_invoke", {"invocationArn": ARN})
    with pytest.raises(RetryableBackendError) as info:
        rig.gen.submit(rig.job(), None, "tok-1")
    assert info.value.retryable
    assert rig.gen.submit(rig.job(), None, "tok-1") == ARN
    rig.done()


def test_input_blocked_by_content_filter(tmp_path: Path) -> None:
    rig = Rig(tmp_path, "luma.ray-v2:0", lifecycle_check=False)
    message = (
        "This request has been blocked by our content filters. Please adjust your text "
        "prompt to submit a new request."
    )
    rig.rt.add_client_error("start_async_invoke", "ValidationException", message)
    with pytest.raises(ContentFilteredError, match="adjust your text prompt") as info:
        rig.gen.submit(rig.job(), None, "tok-1")
    assert not info.value.retryable


def test_access_denied_names_the_permission_and_console_step(tmp_path: Path) -> None:
    rig = Rig(tmp_path, "luma.ray-v2:0", lifecycle_check=False)
    rig.rt.add_client_error("start_async_invoke", "AccessDeniedException", "not authorized")
    with pytest.raises(AccessDeniedError) as info:
        rig.gen.submit(rig.job(), None, "tok-1")
    text = str(info.value)
    assert "bedrock:InvokeModel" in text and "model luma.ray-v2:0" in text
    assert "enable model access in the Bedrock console for luma.ray-v2:0 in us-east-1" in text
    assert "us-west-2" in text  # the model's region is named: aws_region is us-east-1


def test_restart_finds_existing_invocation_and_does_not_resubmit(tmp_path: Path) -> None:
    rig = Rig(tmp_path, "luma.ray-v2:0")
    summary = rig.status("InProgress", token="other")
    summary["invocationArn"] = OTHER_ARN
    query = {"sortBy": "SubmissionTime", "sortOrder": "Descending"}
    rig.rt.add_response(
        "list_async_invokes", {"asyncInvokeSummaries": [summary], "nextToken": "p2"}, query
    )
    rig.rt.add_response(
        "list_async_invokes",
        {"asyncInvokeSummaries": [rig.status("InProgress", token="job-9")]},
        {**query, "nextToken": "p2"},
    )
    rig.rt.add_response(
        "get_async_invoke", rig.status("InProgress", token="job-9"), {"invocationArn": ARN}
    )
    remote = rig.gen.find("job-9")  # after a crash: reconcile before any submit
    assert remote == ARN
    assert rig.gen.poll(remote)[0] == "running"
    rig.done()  # no start_async_invoke was stubbed: a second submission would have failed


def test_find_returns_none_for_unknown_token(tmp_path: Path) -> None:
    rig = Rig(tmp_path, "luma.ray-v2:0")
    rig.rt.add_response("list_async_invokes", {"asyncInvokeSummaries": []})
    assert rig.gen.find("never-submitted") is None


def test_poll_states_and_failures(tmp_path: Path) -> None:
    rig = Rig(tmp_path, "amazon.nova-reel-v1:1")
    rig.rt.add_response("get_async_invoke", rig.status("Completed"))
    rig.rt.add_response(
        "get_async_invoke",
        rig.status("Failed", "The generated video has been blocked by our content filters."),
    )
    rig.rt.add_response(
        "get_async_invoke",
        rig.status("Failed", "Service capacity limit has been reached. Please try again later."),
    )
    rig.rt.add_response("get_async_invoke", rig.status("Failed", "Request has been aborted."))
    assert rig.gen.poll(ARN) == ("succeeded", "completed")
    with pytest.raises(ContentFilteredError, match="generated video has been blocked"):
        rig.gen.poll(ARN)
    with pytest.raises(RetryableBackendError, match="Service capacity"):
        rig.gen.poll(ARN)
    assert rig.gen.poll(ARN) == ("failed", "Request has been aborted.")
    rig.done()


def _tiny_mp4(path: Path, frames: int = 6, size: tuple[int, int] = (64, 36)) -> bytes:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            arr = np.full((size[1], size[0], 3), i * 30, dtype=np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")))
        container.mux(stream.encode(None))
    return path.read_bytes()


@pytest.fixture
def s3(moto_s3: Any) -> Any:
    moto_s3.create_bucket(Bucket="reel-out")
    return moto_s3


def test_collect_downloads_video_and_side_files(tmp_path: Path, s3: Any) -> None:
    rig = Rig(tmp_path, "amazon.nova-reel-v1:1", s3=s3)
    folder = "videos/tok-1/abcdef123456"
    video = _tiny_mp4(tmp_path / "src.mp4")
    for name, data in {
        "output.mp4": video,
        "shot_0001.mp4": video,
        "manifest.json": b'{"requestId": "r"}',
        "video-generation-status.json": b'{"schemaVersion": "1.0"}',
    }.items():
        s3.put_object(Bucket="reel-out", Key=f"{folder}/{name}", Body=data)
    rig.rt.add_response("get_async_invoke", rig.status("Completed"), {"invocationArn": ARN})
    out = tmp_path / "outputs" / "clip.mp4"
    result = rig.gen.collect(ARN, out)
    assert out.read_bytes() == video
    assert (result.frames, result.fps, result.width, result.height) == (6, 24, 64, 36)
    assert result.model == "amazon.nova-reel-v1:1"
    assert sorted(result.details["side_files"]) == [
        "clip.bedrock.manifest.json",
        "clip.bedrock.shot_0001.mp4",
        "clip.bedrock.video-generation-status.json",
    ]
    assert json.loads((out.parent / "clip.bedrock.manifest.json").read_text())["requestId"] == "r"
    assert result.details["invocation_arn"] == ARN
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".tmp")] == []


def test_collect_before_output_lands_is_retryable(tmp_path: Path, s3: Any) -> None:
    rig = Rig(tmp_path, "luma.ray-v2:0", s3=s3)
    rig.rt.add_response("get_async_invoke", rig.status("Completed"))
    with pytest.raises(RetryableBackendError, match=r"no output\.mp4"):
        rig.gen.collect(ARN, tmp_path / "o.mp4")
    assert not (tmp_path / "o.mp4").exists()


def test_generate_submits_polls_and_collects(tmp_path: Path, s3: Any) -> None:
    rig = Rig(tmp_path, "luma.ray-v2:0", s3=s3, lifecycle_check=False)
    s3.put_object(
        Bucket="reel-out",
        Key="videos/tok-1/abcdef123456/output.mp4",
        Body=_tiny_mp4(tmp_path / "v.mp4", frames=4),
    )
    rig.rt.add_response("start_async_invoke", {"invocationArn": ARN})
    rig.rt.add_response("get_async_invoke", rig.status("InProgress"))
    rig.rt.add_response("get_async_invoke", rig.status("Completed"))
    rig.rt.add_response("get_async_invoke", rig.status("Completed"))
    seen: list[float] = []
    result = rig.gen.generate(rig.job(), None, tmp_path / "g.mp4", lambda f, m: seen.append(f))
    assert result.frames == 4 and result.not_rendered  # Luma takes no seed: reported
    assert seen[-1] == 1.0 and all(0 <= f <= 1 for f in seen)
    rig.done()


def test_multi_shot_automated_for_long_nova_reel(tmp_path: Path) -> None:
    rig = Rig(tmp_path, "amazon.nova-reel-v1:1")
    body = rig.gen.model_input(rig.job("a day at the beach", duration_s=18), None)
    assert body["taskType"] == "MULTI_SHOT_AUTOMATED"
    assert body["videoGenerationConfig"]["durationSeconds"] == 18
    with pytest.raises(CapabilityError, match="only for 6-second"):
        rig.gen.model_input(rig.job(duration_s=12, image="x.png"), _photo())


def test_capabilities_and_cost(tmp_path: Path) -> None:
    luma = Rig(tmp_path, "luma.ray-v2:0").gen
    nova = Rig(tmp_path, "amazon.nova-reel-v1:0").gen
    with pytest.raises(CapabilityError, match="duration 6s"):
        check_request(GenerationRequest(prompt="p", duration_s=6), luma.capabilities, 1)
    with pytest.raises(CapabilityError, match="at most 512"):
        check_request(GenerationRequest(prompt="p" * 513), nova.capabilities, 1)
    with pytest.raises(CapabilityError, match="size 1024x576"):
        check_request(GenerationRequest(prompt="p", width=1024, height=576), nova.capabilities, 1)
    assert (720, 1280) in LUMA_SIZES and LUMA_SIZES[(1280, 720)] == ("16:9", "720p")
    job = check_request(GenerationRequest(prompt="p"), nova.capabilities, 1)
    assert nova.estimate_cost_usd(job) == pytest.approx(0.08 * 6)
    priced = Rig(tmp_path, "luma.ray-v2:0", bedrock_price_per_second_usd=0.5).gen
    assert priced.estimate_cost_usd(
        check_request(GenerationRequest(prompt="p"), luma.capabilities, 1)
    ) == pytest.approx(2.5)


def test_missing_output_location_and_bad_token(tmp_path: Path) -> None:
    rig = Rig(tmp_path, "luma.ray-v2:0", s3_output_uri="", lifecycle_check=False)
    with pytest.raises(ConfigError, match="S3 output location"):
        rig.gen.submit(rig.job(), None, "tok")
    with pytest.raises(InputError, match="idempotency token"):
        rig.gen.submit(rig.job(), None, "has space")


def test_probe_reads_real_mp4(tmp_path: Path) -> None:
    _tiny_mp4(tmp_path / "p.mp4", frames=5, size=(32, 18))
    assert probe_video(tmp_path / "p.mp4") == (5, 24, 32, 18)


def test_conflicting_resubmission_returns_the_existing_invocation(tmp_path: Path) -> None:
    rig = Rig(tmp_path, "luma.ray-v2:0", lifecycle_check=False)
    rig.rt.add_client_error("start_async_invoke", "ConflictException", "token already used")
    rig.rt.add_response(
        "list_async_invokes", {"asyncInvokeSummaries": [rig.status("Completed", token="tok-5")]}
    )
    assert rig.gen.submit(rig.job(), None, "tok-5") == ARN
    rig.done()
