"""AWS client construction, error translation, backoff and the model lifecycle check."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from botocore.stub import Stubber

from reelrag.aws import lifecycle
from reelrag.aws.clients import make_client, parse_s3_uri, translate, with_backoff
from reelrag.errors import (
    AccessDeniedError,
    BackendError,
    CapabilityError,
    ConfigError,
    ContentFilteredError,
    InputError,
    NotFoundError,
    RetryableBackendError,
)
from reelrag.settings import load_settings


def _error(code: str, message: str = "msg") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "StartAsyncInvoke")


@pytest.mark.parametrize(
    "code",
    [
        "ThrottlingException",
        "ServiceUnavailableException",
        "ServiceQuotaExceededException",
        "InternalServerException",
    ],
)
def test_service_hiccups_are_retryable(code: str) -> None:
    error = translate(_error(code), action="bedrock:InvokeModel")
    assert isinstance(error, RetryableBackendError) and error.retryable
    assert code in error.message


def test_access_denied_on_s3_names_permission_and_bucket() -> None:
    error = translate(_error("AccessDenied"), action="s3:PutObject", resource="s3://b/k")
    assert isinstance(error, AccessDeniedError) and not error.retryable
    assert "s3:PutObject on s3://b/k" in error.message
    assert "infra/iam-policy.json" in str(error.hint)


def test_validation_errors() -> None:
    blocked = translate(
        _error("ValidationException", "This request has been blocked by our content filters."),
        action="bedrock:InvokeModel",
        model="amazon.nova-reel-v1:1",
    )
    assert isinstance(blocked, ContentFilteredError)
    assert "blocked by our content filters" in blocked.message
    capability = translate(
        _error("ValidationException", "bad duration"), action="bedrock:InvokeModel", model="m"
    )
    assert isinstance(capability, CapabilityError) and "bad duration" in capability.message
    plain = translate(_error("ValidationException"), action="s3:GetObject")
    assert type(plain) is InputError


def test_not_found_other_and_transport_errors() -> None:
    missing = translate(
        _error("ResourceNotFoundException"), action="x", resource="model m", region="eu-west-1"
    )
    assert isinstance(missing, NotFoundError) and "eu-west-1" in str(missing.hint)
    assert type(translate(_error("Weird"), action="x")) is BackendError
    offline = translate(EndpointConnectionError(endpoint_url="https://x"), action="s3:GetObject")
    assert isinstance(offline, RetryableBackendError)
    creds = translate(NoCredentialsError(), action="s3:GetObject")
    assert isinstance(creds, AccessDeniedError) and "aws configure" in str(creds.hint)


def test_backoff_retries_throttling_then_succeeds() -> None:
    calls: list[int] = []
    sleeps: list[float] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise RetryableBackendError("throttled")
        return "ok"

    assert with_backoff(flaky, sleep=sleeps.append, base_s=0.1) == "ok"
    assert len(calls) == 3 and len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.1 and 0 <= sleeps[1] <= 0.2  # exponential cap, full jitter


def test_backoff_gives_up_and_never_retries_permanent_errors() -> None:
    def always(exc: Exception) -> Any:
        def call() -> None:
            raise exc

        return call

    with pytest.raises(RetryableBackendError):
        with_backoff(always(RetryableBackendError("busy")), attempts=2, sleep=lambda s: None)
    sleeps: list[float] = []
    with pytest.raises(AccessDeniedError):
        with_backoff(always(AccessDeniedError("no")), sleep=sleeps.append)
    assert sleeps == []


def test_make_client_errors_are_config_errors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    with pytest.raises(ConfigError, match="no AWS region"):
        make_client("bedrock-runtime", load_settings(environ={}))
    with pytest.raises(ConfigError, match="profile 'nope'"):
        make_client("s3", load_settings({"aws_profile": "nope"}, environ={}))
    client = make_client(
        "s3", load_settings({"aws_region": "eu-west-1", "aws_max_attempts": 7}, environ={})
    )
    assert client.meta.region_name == "eu-west-1"
    assert client.meta.config.retries["total_max_attempts"] == 7


def test_parse_s3_uri() -> None:
    assert parse_s3_uri("s3://b") == ("b", "")
    assert parse_s3_uri("s3://b/a/b/") == ("b", "a/b")
    with pytest.raises(ConfigError):
        parse_s3_uri("https://b/x")


# -- lifecycle -------------------------------------------------------------------------------


@pytest.fixture
def control() -> Any:
    lifecycle.clear_cache()
    client = boto3.client(
        "bedrock", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    yield client
    lifecycle.clear_cache()


def test_profile_ids_are_checked_by_foundation_model(control: Any) -> None:
    with Stubber(control) as stub:
        details = {
            "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-2-lite-v1:0",
            "modelId": "amazon.nova-2-lite-v1:0",
            "modelLifecycle": {"status": "ACTIVE"},
        }
        stub.add_response(
            "get_foundation_model",
            {"modelDetails": details},
            {"modelIdentifier": "amazon.nova-2-lite-v1:0"},
        )
        info = lifecycle.check_model(control, "us.amazon.nova-2-lite-v1:0")
    assert info.status == "ACTIVE" and not info.warning


def test_lifecycle_without_permission_warns_and_proceeds(control: Any) -> None:
    with Stubber(control) as stub:
        stub.add_client_error("get_foundation_model", "AccessDeniedException", "no")
        info = lifecycle.check_model(control, "some.model-launched-later-v1:0")
    assert info.status == "UNKNOWN" and "bedrock:GetFoundationModel" in info.warning
    assert info.source == "unread"


def test_lifecycle_without_permission_falls_back_to_the_builtin_table(control: Any) -> None:
    with Stubber(control) as stub:
        stub.add_client_error("get_foundation_model", "AccessDeniedException", "no")
        stub.add_client_error("get_foundation_model", "AccessDeniedException", "no")
        info = lifecycle.check_model(control, "luma.ray-v2:0")
        assert info.status == "ACTIVE" and info.source == "built-in"
        assert "built-in table" in info.warning and "bedrock:GetFoundationModel" in info.warning
        after_eol = datetime(2026, 10, 1, tzinfo=UTC)
        with pytest.raises(CapabilityError, match="end of life") as refused:
            lifecycle.check_model(control, "amazon.nova-reel-v1:0", now=after_eol)
    assert "luma.ray-v2:0" in str(refused.value.hint)


def test_unknown_model_in_region_is_refused_with_alternatives(control: Any) -> None:
    with Stubber(control) as stub:
        stub.add_client_error("get_foundation_model", "ResourceNotFoundException", "none")
        with pytest.raises(CapabilityError, match="not offered in us-east-1") as info:
            lifecycle.check_model(control, "amazon.nova-reel-v1:1")
    assert "luma.ray-v2:0" in str(info.value.hint)


def test_legacy_with_future_end_of_life_passes_until_that_day(control: Any) -> None:
    with Stubber(control) as stub:
        details = {
            "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-reel-v1:0",
            "modelId": "amazon.nova-reel-v1:0",
            "modelLifecycle": {
                "status": "LEGACY",
                "endOfLifeTime": datetime(2026, 9, 30, tzinfo=UTC),
            },
        }
        stub.add_response("get_foundation_model", {"modelDetails": details})
        before = datetime(2026, 9, 29, tzinfo=UTC)
        info = lifecycle.check_model(control, "amazon.nova-reel-v1:0", now=before)
    assert info.end_of_life == "2026-09-30"
    with pytest.raises(CapabilityError, match="end of life"):  # served from the cache
        lifecycle.check_model(
            control, "amazon.nova-reel-v1:0", now=datetime(2026, 10, 1, tzinfo=UTC)
        )
    assert lifecycle.check_model(control, "x", enabled=False).status == "SKIPPED"


def test_iam_policy_grants_every_action_and_model_the_code_uses() -> None:
    import json
    import re

    from reelrag.captioning.bedrock import DEFAULT_MODEL
    from reelrag.editing.bedrock.editor import DEFAULT_MODEL as CANVAS
    from reelrag.editing.bedrock.stability_bodies import SERVICES
    from reelrag.embeddings.nova import MODEL_ID as NOVA
    from reelrag.embeddings.titan import MODEL_ID
    from reelrag.generation.bedrock.generator import VIDEO_MODELS as MODELS

    root = Path(__file__).resolve().parents[2]
    policy = json.loads((root / "infra" / "iam-policy.json").read_text())
    granted = {a for s in policy["Statement"] for a in s["Action"]}
    resources = json.dumps(policy)
    sources = [root / "src" / "reelrag" / p for p in (
        "aws/clients.py", "aws/lifecycle.py", "aws/doctor.py", "generation/bedrock/generator.py",
        "embeddings/titan.py", "embeddings/nova.py", "embeddings/nova_batch.py",
        "captioning/bedrock.py", "storage/s3.py",
        "editing/bedrock/editor.py", "editing/bedrock/stability.py")]  # fmt: skip
    used = {m for p in sources for m in re.findall(r'"((?:bedrock|s3):[A-Z]\w+)"', p.read_text())}
    assert used and used <= granted, used - granted
    for model in [*MODELS, MODEL_ID, NOVA, DEFAULT_MODEL, CANVAS]:
        assert f"/{model}" in resources, model
    for service in SERVICES.values():  # cross-region profiles need the profile and the model
        assert f"inference-profile/{service.model_id()}" in resources, service.model_id()
        assert f"foundation-model/{service.model}" in resources, service.model


def test_lazy_client_is_made_once_on_first_use_with_the_minimum_read_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reelrag.aws import clients

    made: list[tuple[str, float | None]] = []

    def fake_make(service: str, settings: Any, *, read_timeout_s: float | None = None) -> object:
        made.append((service, read_timeout_s))
        return object()

    monkeypatch.setattr(clients, "make_client", fake_make)

    class Backend:
        runtime = clients.LazyClient("bedrock-runtime", min_read_timeout_s=300)
        control = clients.LazyClient("bedrock")

        def __init__(self, control: object | None = None) -> None:
            self.settings = load_settings({"aws_read_timeout_s": 60}, environ={})
            self._runtime, self._control = None, control

    given = object()
    backend = Backend(control=given)
    assert made == []  # building a backend looks nothing up
    assert backend.runtime is backend.runtime and backend.control is given
    assert made == [("bedrock-runtime", 300)]
    with pytest.raises(AttributeError, match="read-only"):
        backend.runtime = object()
