"""Video generation on Amazon Bedrock: Nova Reel v1:0 / v1:1 and Luma Ray2 (``generator.bedrock``).

The work is asynchronous and paid, so the backend follows the remote contract of
:class:`~reelrag.generation.base.RemoteGenerator`:

- :meth:`BedrockGenerator.submit` validates the body (``reelrag.aws.schemas``), checks the model's
  lifecycle, then calls ``StartAsyncInvoke`` with ``clientRequestToken = token`` and a per-token
  output prefix ``<s3_output_uri>/<token>/``;
- :meth:`~BedrockGenerator.find` reconciles after a restart: ``ListAsyncInvokes`` (paginated) is
  searched for the token, so a job that was already submitted is polled, not paid for twice;
- :meth:`~BedrockGenerator.poll` maps ``GetAsyncInvoke`` to running | succeeded | failed. A
  failure whose message says the output was blocked by content filters raises
  :class:`~reelrag.errors.OutputFilteredError` (not retryable); "Service capacity" / server errors
  raise :class:`~reelrag.errors.RemoteCapacityError` (retryable: the invocation is dead, so a retry
  submits with a new token). A throttled or timed-out status call is an ordinary retryable error:
  the invocation may still finish, so the job keeps polling it;
- a read timeout on ``StartAsyncInvoke`` is retryable with an unknown outcome: the invocation may
  have started, so the retry reuses the same token (AWS answers with the same invocation);
- :meth:`~BedrockGenerator.collect` downloads ``output.mp4`` and, beside it, the shot files, the
  generation-status JSON and Bedrock's ``manifest.json``.

Conditioning images must already be exactly the model's size, 8-bit RGB and opaque: the pipeline
fits them (crop or pad); anything else is refused rather than stretched. The model table, default
prices (**check current pricing**, or set ``bedrock_price_per_second_usd``) and the body builders
live in :mod:`reelrag.generation.bedrock.video_models`.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from reelrag.aws import lifecycle
from reelrag.aws.clients import LazyClient, aws_errors, region_of, translate
from reelrag.aws.schemas import validate_luma, validate_nova_reel
from reelrag.errors import (
    BackendError,
    ConfigError,
    InputError,
    OutputFilteredError,
    RemoteCapacityError,
    RetryableBackendError,
)
from reelrag.generation.base import (
    Progress,
    RemoteGenerator,
    ResolvedRequest,
    VideoOutput,
    check_request,
    no_progress,
)
from reelrag.generation.bedrock.video_models import (
    LUMA_SIZES,
    VIDEO_MODELS,
    VideoModel,
    encode_image,
    luma_input,
    nova_reel_input,
    video_model,
)
from reelrag.settings import Settings

if TYPE_CHECKING:
    from reelrag.storage.s3 import S3Store

log = logging.getLogger(__name__)

__all__ = [
    "LUMA_SIZES",
    "VIDEO_MODELS",
    "BedrockGenerator",
    "VideoModel",
    "probe_video",
    "video_model",
]

TOKEN_RE = re.compile(r"^[!-~]{1,256}$")


class BedrockGenerator(RemoteGenerator):
    """Nova Reel / Luma Ray2 through Bedrock's async-invoke API, outputs in S3."""

    name = "bedrock"
    runtime = LazyClient("bedrock-runtime")
    control = LazyClient("bedrock")
    s3 = LazyClient("s3")

    def __init__(
        self,
        settings: Settings,
        *,
        model: str | None = None,
        runtime: Any = None,
        control: Any = None,
        s3: Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.settings = settings
        self.spec = video_model(model or settings.bedrock_video_model)
        self.model = self.spec.id
        self.capabilities = self.spec.capabilities
        self._runtime, self._control, self._s3 = runtime, control, s3
        self._sleep = sleep
        self._lifecycles: dict[str, lifecycle.Lifecycle] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> BedrockGenerator:
        return cls(settings)

    # -- the remote contract ---------------------------------------------------------------

    def submit(self, job: ResolvedRequest, image: Any, token: str) -> str:
        """Validate, check the lifecycle, then StartAsyncInvoke once per ``token``."""
        check_token(token)
        spec = self._spec_for(job)
        body = self.model_input(job, image, spec)
        self.check_lifecycle(spec.id)
        output = {"s3OutputDataConfig": {"s3Uri": self.output_uri(token)}}
        try:
            response = self.runtime.start_async_invoke(
                modelId=spec.id, modelInput=body, outputDataConfig=output, clientRequestToken=token
            )
        except (ClientError, BotoCoreError) as exc:
            if _code(exc) == "ConflictException" and (existing := self.find(token)):
                return existing
            raise self._translate(exc, "bedrock:InvokeModel", spec.id) from exc
        arn = str(response["invocationArn"])
        log.info("submitted %s as %s (token %s)", spec.id, arn, token)
        return arn

    def find(self, token: str) -> str | None:
        """The invocation already started with ``token`` (newest first), if any."""
        with aws_errors("bedrock:ListAsyncInvokes", region=region_of(self.runtime)):
            pages = self.runtime.get_paginator("list_async_invokes").paginate(
                sortBy="SubmissionTime", sortOrder="Descending"
            )
            for page in pages:
                for summary in page.get("asyncInvokeSummaries", []):
                    if summary.get("clientRequestToken") == token:
                        return str(summary["invocationArn"])
        return None

    def poll(self, remote_id: str) -> tuple[str, str]:
        """(running | succeeded | failed, message); blocked or capacity failures raise."""
        status = self._status(remote_id)
        state = status["status"]
        if state == "InProgress":
            return "running", f"in progress since {status.get('submitTime', '?')}"
        if state == "Completed":
            return "succeeded", "completed"
        message = str(status.get("failureMessage", "") or "no failure message")
        raise_for_failure(message)
        return "failed", message

    def collect(self, remote_id: str, out: Path) -> VideoOutput:
        """Download ``output.mp4`` to ``out`` and Bedrock's side files next to it."""
        from reelrag.storage.s3 import S3Store  # the S3 store also needs boto3; keep it lazy

        status = self._status(remote_id)
        if status["status"] != "Completed":
            raise BackendError(
                f"{remote_id} is {status['status']}, not Completed; nothing to fetch"
            )
        uri = status["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"]
        store = S3Store.from_uri(uri, self.settings, client=self.s3)
        keys = list(store.list())
        video_key = next((k for k in keys if k.rsplit("/", 1)[-1] == "output.mp4"), None)
        if video_key is None:
            raise RetryableBackendError(f"{remote_id} is Completed but {uri} has no output.mp4 yet")
        out = Path(out)
        store.get_file(video_key, out)
        extras = [self._fetch_extra(store, k, out) for k in keys if _is_extra(k)]
        return self._video_output(out, status, uri, [p for p in extras if p])

    def generate(
        self, job: ResolvedRequest, image: Any, out: Path, progress: Progress = no_progress
    ) -> VideoOutput:
        """Submit, wait and collect in one call (direct, non-job use; not resumable)."""
        remote_id = self.submit(job, image, f"direct-{uuid.uuid4().hex}")
        started = time.monotonic()
        while (state := self.poll(remote_id))[0] == "running":
            elapsed = time.monotonic() - started
            progress(
                min(0.95, elapsed / self._spec_for(job).capabilities.typical_latency_s), state[1]
            )
            self._sleep(self.settings.bedrock_poll_s)
        if state[0] == "failed":
            raise BackendError(f"Bedrock video generation failed: {state[1]}")
        result = self.collect(remote_id, out)
        progress(1.0, "downloaded")
        return result

    def estimate_cost_usd(self, job: ResolvedRequest) -> float:
        override = float(self.settings.bedrock_price_per_second_usd or 0.0)
        price = override or self._spec_for(job).price(job.height, job.width)
        return round(price * job.duration_s, 4)

    # -- request bodies ----------------------------------------------------------------------

    def model_input(self, job: ResolvedRequest, image: Any, spec: VideoModel | None = None) -> dict:
        """The validated ``modelInput`` for ``job`` (raises before anything is paid for)."""
        spec = spec or self._spec_for(job)
        if spec.family == "luma":
            body = luma_input(job, image)  # refuses an image before it is even encoded
            validate_luma(body)
        else:
            encoded = encode_image(image, (job.width, job.height)) if image is not None else None
            body = nova_reel_input(job, encoded)
            validate_nova_reel(body, spec.id)
        return body

    def output_uri(self, token: str) -> str:
        base = str(self.settings.s3_output_uri or "").rstrip("/")
        if not base.startswith("s3://") or len(base) <= len("s3://"):
            raise ConfigError(
                "Bedrock video generation needs an S3 output location",
                hint="set s3_output_uri = 's3://BUCKET/videos' (or REELRAG_S3_OUTPUT_URI)",
            )
        return f"{base}/{token}/"

    def check_lifecycle(self, model: str) -> lifecycle.Lifecycle:
        if not self.settings.lifecycle_check:  # skip without even building a control client
            return lifecycle.Lifecycle(model, "SKIPPED")
        info = lifecycle.check_for_settings(self.control, model, self.settings)
        self._lifecycles[model] = info
        return info

    # -- helpers -----------------------------------------------------------------------------

    def _spec_for(self, job: ResolvedRequest) -> VideoModel:
        model = job.request.model
        if not model or model == self.spec.id:
            return self.spec
        spec = video_model(model)
        check_request(job.request, spec.capabilities, job.seed)  # re-validate for that model
        return spec

    def _status(self, remote_id: str) -> dict[str, Any]:
        with aws_errors(
            "bedrock:GetAsyncInvoke", resource=remote_id, region=region_of(self.runtime)
        ):
            return dict(self.runtime.get_async_invoke(invocationArn=remote_id))

    def _translate(self, exc: Exception, action: str, model: str) -> Exception:
        region = region_of(self.runtime)
        error = translate(exc, action=action, resource=f"model {model}", model=model, region=region)
        spec = VIDEO_MODELS.get(model)
        if spec and region not in spec.regions and not error.retryable:
            error.hint = (error.hint + "; " if error.hint else "") + (
                f"{model} is offered in {', '.join(spec.regions)} (aws_region is {region})"
            )
        return error

    def _fetch_extra(self, store: S3Store, key: str, out: Path) -> str | None:
        target = out.with_name(f"{out.stem}.bedrock.{key.rsplit('/', 1)[-1]}")
        try:
            store.get_file(key, target)
        except BackendError as exc:  # side files are nice to have; the video is what matters
            log.warning("could not download %s: %s", key, exc)
            return None
        return target.name

    def _video_output(
        self, out: Path, status: dict[str, Any], uri: str, extras: list[str]
    ) -> VideoOutput:
        frames, fps, width, height = probe_video(out)
        model = str(status.get("modelArn", self.model)).rsplit("/", 1)[-1]
        details: dict[str, Any] = {
            "invocation_arn": status.get("invocationArn"),
            "client_request_token": status.get("clientRequestToken"),
            "output_uri": uri,
            "side_files": extras,
            "submit_time": str(status.get("submitTime", "")),
            "end_time": str(status.get("endTime", "")),
        }
        if model in self._lifecycles:
            details["lifecycle"] = self._lifecycles[model].to_dict()
        spec = VIDEO_MODELS.get(model)
        not_rendered = ("seed (Luma Ray2 takes no seed)",) if spec and spec.family == "luma" else ()
        return VideoOutput(out, frames, fps, width, height, model, details, not_rendered)


# -- helpers ----------------------------------------------------------------------------------


def check_token(token: str) -> None:
    if not TOKEN_RE.match(token or ""):
        raise InputError(
            f"idempotency token {token!r} must be 1-256 printable ASCII characters without spaces"
        )


def raise_for_failure(message: str) -> None:
    """Raise the typed error for a Failed invocation's message, if it has a known cause."""
    if schemas_blocked(message):
        raise OutputFilteredError(
            f"Bedrock's content filters blocked the generated video: {message}",
            hint="change the prompt or the image; retrying the same request will not help",
        )
    if "Service capacity" in message or "Something went wrong on the server" in message:
        raise RemoteCapacityError(f"Bedrock could not finish the video: {message}")


def schemas_blocked(message: str) -> bool:
    return "blocked by our content filters" in message


def probe_video(path: Path) -> tuple[int, int, int, int]:
    """(frames, fps, width, height) of an MP4, read with PyAV."""
    import av  # core dependency; imported here so this module's import stays light

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            fps = round(float(stream.average_rate or 0)) or 24
            frames = stream.frames or round(float(container.duration or 0) / 1e6 * fps)
            return int(frames), int(fps), stream.codec_context.width, stream.codec_context.height
    except (av.error.FFmpegError, IndexError) as exc:
        raise BackendError(f"the video Bedrock wrote ({path}) cannot be read: {exc}") from exc


def _is_extra(key: str) -> bool:
    name = key.rsplit("/", 1)[-1]
    return name.endswith(".json") or (name.startswith("shot_") and name.endswith(".mp4"))


def _code(exc: Exception) -> str:
    """The AWS error code of a ClientError; "" for transport errors (a ReadTimeoutError carries
    ``response = None``, inherited from requests)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    return str(response.get("Error", {}).get("Code", ""))
