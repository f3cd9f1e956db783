"""The one place that makes boto3 clients and translates AWS errors into ReelRAG's error tree.

Clients are built from :class:`~reelrag.settings.Settings` (region, profile, retry attempts, read
timeout). botocore retries throttling and transient errors itself (``standard`` mode);
:func:`with_backoff` adds an application-level exponential backoff with jitter for the synchronous
calls (embeddings, captions) whose throttling outlives botocore's retries.

:func:`translate` maps a botocore exception to a :class:`~reelrag.errors.ReelragError` that says
what is wrong and what to do: throttling and service hiccups are retryable, access denied names the
missing permission and the console step, content-filter blocks carry the provider's message.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)

from reelrag.errors import (
    AccessDeniedError,
    BackendError,
    CapabilityError,
    ConfigError,
    ContentFilteredError,
    InputError,
    NotFoundError,
    ReelragError,
    RetryableBackendError,
)
from reelrag.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "ServiceUnavailableException",
        "ServiceUnavailable",
        "ServiceQuotaExceededException",
        "InternalServerException",
        "InternalServerError",
        "InternalError",
        "ModelNotReadyException",
        "ModelTimeoutException",
        "SlowDown",
        "RequestTimeout",
    }
)
NOT_FOUND_CODES = frozenset(
    {"ResourceNotFoundException", "NoSuchKey", "NoSuchBucket", "404", "NotFound"}
)
ACCESS_CODES = frozenset(
    {"AccessDeniedException", "AccessDenied", "UnauthorizedException", "403", "Forbidden"}
)
CONTENT_FILTER_MARK = "blocked by our content filters"


def client_config(settings: Settings, *, read_timeout_s: float | None = None) -> Config:
    """botocore settings shared by every client: retries, timeouts."""
    return Config(
        retries={"mode": "standard", "total_max_attempts": max(1, int(settings.aws_max_attempts))},
        read_timeout=read_timeout_s or settings.aws_read_timeout_s,
        connect_timeout=10,
    )


def make_client(service: str, settings: Settings, *, read_timeout_s: float | None = None) -> Any:
    """A boto3 client for ``service`` (``bedrock-runtime``, ``bedrock``, ``s3``) from settings."""
    try:
        session = boto3.Session(
            profile_name=settings.aws_profile or None, region_name=settings.aws_region or None
        )
        # A custom S3 endpoint (MinIO, a moto server) applies to S3 clients only.
        endpoint = settings.s3_endpoint_url if service == "s3" else ""
        return session.client(
            service,
            config=client_config(settings, read_timeout_s=read_timeout_s),
            endpoint_url=endpoint or None,
        )
    except ProfileNotFound as exc:
        raise ConfigError(
            f"AWS profile {settings.aws_profile!r} does not exist",
            hint="fix aws_profile or run `aws configure --profile NAME`",
        ) from exc
    except NoRegionError as exc:
        raise ConfigError(
            "no AWS region is configured",
            hint="set aws_region (REELRAG_AWS_REGION), AWS_REGION or AWS_DEFAULT_REGION",
        ) from exc


class LazyClient:
    """A backend attribute holding a boto3 client that is made from ``settings`` on first use.

    Backends take ready clients in their constructor (tests pass ``Stubber``-wrapped ones) and
    store each, or None, in ``_<name>``; the missing ones are made only when a call needs them,
    so building a backend does no credential or region look-up. ``min_read_timeout_s`` raises the
    configured read timeout for slow models.
    """

    def __init__(self, service: str, *, min_read_timeout_s: float | None = None) -> None:
        self.service = service
        self.min_read_timeout_s = min_read_timeout_s
        self.slot = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}"

    def __get__(self, backend: Any, owner: type | None = None) -> Any:
        if backend is None:
            return self
        client = getattr(backend, self.slot)
        if client is None:
            timeout = self._read_timeout_s(backend.settings)
            client = make_client(self.service, backend.settings, read_timeout_s=timeout)
            setattr(backend, self.slot, client)
        return client

    def __set__(self, backend: Any, value: Any) -> None:
        # A data descriptor, so an assignment cannot silently shadow the client it caches.
        raise AttributeError(f"{self.slot[1:]!r} is read-only; pass the client to the constructor")

    def _read_timeout_s(self, settings: Settings) -> float | None:
        if self.min_read_timeout_s is None:
            return None  # make_client applies settings.aws_read_timeout_s
        return max(self.min_read_timeout_s, float(settings.aws_read_timeout_s))


def region_of(client: Any) -> str:
    return str(getattr(getattr(client, "meta", None), "region_name", "") or "?")


def translate(
    exc: Exception, *, action: str, resource: str = "", model: str = "", region: str = ""
) -> ReelragError:
    """The ReelRAG error for a botocore exception raised by ``action`` (``bedrock:InvokeModel``).

    ``resource`` names what was acted on (a model ARN, a bucket); ``model`` and ``region`` make the
    access-denied hint point at the Bedrock console's model-access page.
    """
    if isinstance(exc, ReelragError):
        return exc
    if isinstance(exc, ClientError):
        return _from_client_error(exc, action=action, resource=resource, model=model, region=region)
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return AccessDeniedError(
            "no AWS credentials were found",
            hint="run `aws configure`, set AWS_PROFILE/aws_profile, or use an instance role",
        )
    if isinstance(exc, ReadTimeoutError):  # sent, but no answer: the outcome is unknown
        return RetryableBackendError(
            f"AWS did not answer {action} in time; it may have been received: {exc}"
        )
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError):
        return RetryableBackendError(f"cannot reach AWS for {action}: {exc}")
    if isinstance(exc, BotoCoreError):
        return BackendError(f"{action} failed: {exc}")
    return BackendError(f"{action} failed: {type(exc).__name__}: {exc}")


def _from_client_error(
    exc: ClientError, *, action: str, resource: str, model: str, region: str
) -> ReelragError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message", "")) or str(exc)
    if code in RETRYABLE_CODES:
        return RetryableBackendError(f"AWS is busy ({code}) during {action}: {message}")
    if code in ACCESS_CODES:
        return AccessDeniedError(
            f"access denied: the credentials lack {action}"
            + (f" on {resource}" if resource else "")
            + f" ({message})",
            hint=_access_hint(action, model, region),
        )
    if code == "ValidationException" and CONTENT_FILTER_MARK in message:
        return ContentFilteredError(
            f"the provider's content filters blocked the input: {message}",
            hint="change the prompt or the image",
        )
    if code in ("ValidationException", "InvalidRequest", "InvalidArgument"):
        cls = CapabilityError if model else InputError
        return cls(f"AWS rejected the request to {action}: {message}")
    if code in NOT_FOUND_CODES:
        what = resource or model or "the resource"
        return NotFoundError(f"{what} was not found ({code}): {message}", hint=_region_hint(region))
    if code == "ConflictException":
        return BackendError(f"{action} conflicts with an earlier request: {message}")
    return BackendError(f"{action} failed ({code}): {message}")


def _access_hint(action: str, model: str, region: str) -> str:
    grant = f"grant {action} in the IAM policy (see infra/iam-policy.json)"
    if model and action.startswith("bedrock:"):
        where = region if region and region != "?" else "your region"
        return f"enable model access in the Bedrock console for {model} in {where}, and {grant}"
    return grant


def _region_hint(region: str) -> str:
    return f"check the name and that it exists in region {region}" if region else "check the name"


@contextmanager
def aws_errors(
    action: str, *, resource: str = "", model: str = "", region: str = ""
) -> Iterator[None]:
    """Translate botocore exceptions raised inside the block (chained with ``from``)."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, action=action, resource=resource, model=model, region=region) from exc


def invoke_json(
    client: Any, model: str, body: dict[str, Any], *, resource: str = ""
) -> dict[str, Any]:
    """``InvokeModel`` with a JSON body; the parsed JSON answer, botocore errors translated."""
    with aws_errors(
        "bedrock:InvokeModel", resource=resource, model=model, region=region_of(client)
    ):
        response = client.invoke_model(
            modelId=model,
            body=json.dumps(body),
            contentType="application/json",
            accept="application/json",
        )
        raw = response["body"].read()
    try:
        return dict(json.loads(raw))
    except (json.JSONDecodeError, TypeError) as exc:
        raise BackendError(f"{model} returned a body that is not JSON: {exc}") from exc


def with_backoff(
    call: Callable[[], T],
    *,
    attempts: int = 4,
    base_s: float = 0.5,
    cap_s: float = 20.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``call``; on a retryable ReelRAG error, wait (exponential, full jitter) and retry."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except ReelragError as exc:
            if not exc.retryable or attempt == attempts:
                raise
            delay = random.uniform(0, min(cap_s, base_s * 2 ** (attempt - 1)))
            log.info("retryable AWS error (%s); retry %d in %.2fs", exc.message, attempt, delay)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def invoke_retrying(
    client: Any, model: str, body: dict[str, Any], sleep: Callable[[float], None] | None = None
) -> dict[str, Any]:
    """:func:`invoke_json` with :func:`with_backoff` (``sleep`` replaceable in tests)."""

    def call() -> dict[str, Any]:
        return invoke_json(client, model, body, resource=f"model {model}")

    return with_backoff(call) if sleep is None else with_backoff(call, sleep=sleep)


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> (``bucket``, ``some/prefix``) with no trailing slash.

    >>> parse_s3_uri("s3://my-bucket/videos/")
    ('my-bucket', 'videos')
    """
    if not uri.startswith("s3://"):
        raise ConfigError(f"{uri!r} is not an s3:// URI", hint="use s3://bucket/prefix")
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    if not bucket:
        raise ConfigError(f"{uri!r} names no bucket", hint="use s3://bucket/prefix")
    return bucket, prefix.strip("/")
