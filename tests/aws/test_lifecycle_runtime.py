"""Lifecycles read from AWS at run time: ``reelrag doctor`` reads each configured model afresh and
caches it on disk with a time to live; the first paid call uses that reading (or reads it itself);
a stale reading is read again, so a model entering its Legacy window is noticed without a release.
Bedrock through botocore's Stubber (an unexpected call fails the test), STS and S3 through moto."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from reelrag.aws import lifecycle
from reelrag.aws.lifecycle_cache import Entry, LifecycleStore
from reelrag.doctor import run_checks
from reelrag.errors import CapabilityError
from reelrag.generation.bedrock.generator import BedrockGenerator
from reelrag.settings import Settings, load_settings

STABILITY = (
    "stability.stable-image-inpaint-v1:0",
    "stability.stable-image-erase-object-v1:0",
    "stability.stable-image-search-replace-v1:0",
    "stability.stable-outpaint-v1:0",
)


@pytest.fixture(autouse=True)
def _fresh_lifecycle_cache() -> Iterator[None]:
    lifecycle.clear_cache()
    yield
    lifecycle.clear_cache()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield


def _control() -> tuple[Any, Stubber]:
    client = boto3.client(
        "bedrock", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    return client, Stubber(client)


def _lifecycle(stub: Stubber, model: str, status: str, eol: datetime | None = None) -> None:
    cycle: dict[str, Any] = {"status": status}
    if eol:
        cycle["endOfLifeTime"] = eol
    details = {
        "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{model}",
        "modelId": model,
        "modelLifecycle": cycle,
    }
    stub.add_response("get_foundation_model", {"modelDetails": details}, {"modelIdentifier": model})


def _access(stub: Stubber, model: str) -> None:
    availability = {
        "modelId": model,
        "agreementAvailability": {"status": "AVAILABLE"},
        "authorizationStatus": "AUTHORIZED",
        "entitlementAvailability": "AVAILABLE",
        "regionAvailability": "AVAILABLE",
    }
    stub.add_response("get_foundation_model_availability", availability, {"modelId": model})


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    return load_settings(
        {"workspace": tmp_path / "ws", "aws_region": "us-east-1", **overrides}, environ={}
    )


def test_doctor_reports_each_configured_model_and_caches_what_it_read(
    aws: None, tmp_path: Path
) -> None:
    settings = _settings(
        tmp_path,
        generator="bedrock",
        editor="bedrock",
        embedder="nova",
        s3_output_uri="",
    )
    control, stub = _control()
    for model in ("luma.ray-v2:0", "amazon.nova-2-multimodal-embeddings-v1:0", *STABILITY):
        _lifecycle(stub, model, "ACTIVE")
        _access(stub, model)
    stub.activate()

    def client_for(service: str) -> Any:
        return control if service == "bedrock" else boto3.client(service, region_name="us-east-1")

    checks = {c.name: c for c in run_checks(settings, client_for)}
    stub.assert_no_pending_responses()
    models = [name for name in checks if name.startswith("model ")]
    assert models == [
        "model luma.ray-v2:0",
        "model amazon.nova-2-multimodal-embeddings-v1:0",
        "model us.stability.stable-image-inpaint-v1:0",
        "model us.stability.stable-image-erase-object-v1:0",
        "model us.stability.stable-image-search-replace-v1:0",
        "model us.stability.stable-outpaint-v1:0",
    ]
    assert all(checks[m].status == "ok" for m in models)
    assert checks["model luma.ray-v2:0"].detail.startswith("ACTIVE (read from AWS)")
    images = checks["video from images"]
    assert images.status == "warn" and "text-to-video only" in images.detail
    assert "camera" in images.fix and "diffusers" in images.fix
    cached = json.loads((tmp_path / "ws" / "cache" / "bedrock-lifecycle.json").read_text())
    assert cached["us-east-1|luma.ray-v2:0"]["status"] == "ACTIVE"
    assert "us-east-1|us.stability.stable-outpaint-v1:0" in cached

    # The first paid call in a new process uses the reading: no GetFoundationModel is stubbed.
    lifecycle.clear_cache()
    quiet, quiet_stub = _control()
    quiet_stub.activate()
    generator = BedrockGenerator(settings, control=quiet, runtime=object())
    info = generator.check_lifecycle("luma.ray-v2:0")
    assert (info.status, info.source) == ("ACTIVE", "aws")
    quiet_stub.assert_no_pending_responses()


def test_a_stale_reading_is_read_again_and_a_new_legacy_window_is_noticed(tmp_path: Path) -> None:
    settings = _settings(tmp_path, lifecycle_cache_s=60.0)
    store = LifecycleStore.for_settings(settings)
    assert store is not None
    store.put("us-east-1", "luma.ray-v2:0", Entry("ACTIVE", None, time.time() - 3600))
    control, stub = _control()
    _lifecycle(stub, "luma.ray-v2:0", "LEGACY", datetime(2027, 2, 1, tzinfo=UTC))
    with stub:
        info = lifecycle.check_for_settings(
            control, "luma.ray-v2:0", settings, now=datetime(2026, 12, 20, tzinfo=UTC)
        )
    assert info.status == "LEGACY" and info.end_of_life == "2027-02-01"
    assert "Legacy" in info.warning
    lifecycle.clear_cache()
    after = datetime(2027, 2, 2, tzinfo=UTC)
    with pytest.raises(CapabilityError, match="end of life"):  # from the fresh disk reading
        lifecycle.check_for_settings(control, "luma.ray-v2:0", settings, now=after)


def test_no_cache_and_a_disabled_check(tmp_path: Path) -> None:
    assert LifecycleStore.for_settings(_settings(tmp_path, lifecycle_cache_s=0)) is None
    off = _settings(tmp_path, lifecycle_check=False)
    assert lifecycle.check_for_settings(object(), "anything", off).status == "SKIPPED"


def test_an_unreadable_cache_file_is_ignored(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    path = tmp_path / "ws" / "cache" / "bedrock-lifecycle.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    control, stub = _control()
    _lifecycle(stub, "luma.ray-v2:0", "ACTIVE")
    with stub:
        assert lifecycle.check_for_settings(control, "luma.ray-v2:0", settings).status == "ACTIVE"
    assert json.loads(path.read_text())["us-east-1|luma.ray-v2:0"]["status"] == "ACTIVE"


def test_the_captioner_and_titan_check_the_lifecycle_before_their_first_paid_call(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from PIL import Image

    from reelrag.captioning.base import CaptionInput
    from reelrag.captioning.bedrock import BedrockCaptioner
    from reelrag.embeddings.titan import TitanEmbedder

    settings = _settings(tmp_path)
    control, stub = _control()
    past = datetime(2026, 1, 1, tzinfo=UTC)
    _lifecycle(stub, "amazon.nova-pro-v1:0", "LEGACY", past)
    _lifecycle(stub, "amazon.titan-embed-image-v1", "LEGACY", past)
    stub.activate()
    made: list[str] = []

    def make(service: str, _settings: Any, **_: Any) -> Any:
        made.append(service)
        return control

    monkeypatch.setattr("reelrag.captioning.bedrock.make_client", make)
    monkeypatch.setattr("reelrag.embeddings.titan.make_client", make)
    runtime = boto3.client(
        "bedrock-runtime", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    with Stubber(runtime) as paid:  # nothing stubbed: a paid call would fail the test
        captioner = BedrockCaptioner(runtime, model="amazon.nova-pro-v1:0", settings=settings)
        item = CaptionInput("x.png", "x.png", "h", {}, Image.new("RGB", (64, 64), "red"))
        with pytest.raises(CapabilityError, match="end of life") as refused:
            captioner.caption_batch([item])  # not swallowed into a metadata caption
        assert "us.amazon.nova-2-lite-v1:0" in str(refused.value.hint)
        with pytest.raises(CapabilityError, match="end of life") as titan:
            TitanEmbedder(runtime, settings=settings).embed_texts(["red"])
        assert "amazon.nova-2-multimodal-embeddings-v1:0" in str(titan.value.hint)
        paid.assert_no_pending_responses()
    assert made == ["bedrock", "bedrock"]
    stub.assert_no_pending_responses()
