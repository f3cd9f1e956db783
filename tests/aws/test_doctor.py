"""``reelrag doctor``: STS and S3 through moto, Bedrock through botocore's Stubber, OpenSearch
through osmem; the CLI renders the same results as a table or JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from reelrag.aws import lifecycle
from reelrag.cli.main import app
from reelrag.doctor import bedrock_models, run_checks
from reelrag.index.opensearch.doctor import check_opensearch
from reelrag.settings import load_settings

BUCKET = "reelrag-doctor"


@pytest.fixture
def aws(moto_s3: Any) -> Iterator[None]:
    lifecycle.clear_cache()
    moto_s3.create_bucket(Bucket=BUCKET)
    yield
    lifecycle.clear_cache()


def _bedrock(model: str, status: str, eol: datetime | None, authorized: bool) -> Any:
    client = boto3.client("bedrock", region_name="us-east-1")
    stub = Stubber(client)
    cycle: dict[str, Any] = {"status": status}
    if eol:
        cycle["endOfLifeTime"] = eol
    details = {"modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{model}", "modelId": model,
               "modelLifecycle": cycle}  # fmt: skip
    stub.add_response("get_foundation_model", {"modelDetails": details}, {"modelIdentifier": model})
    availability = {
        "modelId": model,
        "agreementAvailability": {"status": "AVAILABLE"},
        "authorizationStatus": "AUTHORIZED" if authorized else "NOT_AUTHORIZED",
        "entitlementAvailability": "AVAILABLE",
        "regionAvailability": "AVAILABLE",
    }
    stub.add_response("get_foundation_model_availability", availability, {"modelId": model})
    stub.activate()
    return client


def _clients(bedrock: Any) -> Any:
    def client_for(service: str) -> Any:
        return bedrock if service == "bedrock" else boto3.client(service, region_name="us-east-1")

    return client_for


def test_all_good_with_a_legacy_warning(aws: None) -> None:
    settings = load_settings(
        {"generator": "bedrock", "bedrock_video_model": "amazon.nova-reel-v1:1",
         "store": f"s3://{BUCKET}/lib", "s3_output_uri": f"s3://{BUCKET}/videos"},
        environ={},
    )  # fmt: skip
    eol = datetime(2099, 9, 30, tzinfo=UTC)
    checks = run_checks(settings, _clients(_bedrock("amazon.nova-reel-v1:1", "LEGACY", eol, True)))
    status = {c.name: c.status for c in checks}
    assert status == {
        "credentials": "ok", "region": "ok", "model amazon.nova-reel-v1:1": "warn",
        "s3 store": "ok", "s3 bedrock output": "ok",
    }  # fmt: skip
    model = next(c for c in checks if c.name.startswith("model"))
    assert "Legacy" in model.detail and "luma.ray-v2:0" in model.detail


def test_failures_say_what_to_fix(aws: None) -> None:
    settings = load_settings(
        {"embedder": "titan", "index_uri": "s3://reelrag-no-such-bucket/index"}, environ={}
    )
    bedrock = _bedrock("amazon.titan-embed-image-v1", "ACTIVE", None, False)
    checks = {c.name: c for c in run_checks(settings, _clients(bedrock))}
    model = checks["model amazon.titan-embed-image-v1"]
    assert model.status == "fail" and "Bedrock console" in model.fix
    assert checks["s3 index"].status == "fail" and "does not exist" in checks["s3 index"].detail


def test_end_of_life_model_fails(aws: None) -> None:
    settings = load_settings(
        {"captioner": "bedrock", "bedrock_caption_model": "amazon.nova-pro-v1:0"}, environ={}
    )
    bedrock = _bedrock("amazon.nova-pro-v1:0", "LEGACY", datetime(2020, 1, 1, tzinfo=UTC), True)
    [model] = [c for c in run_checks(settings, _clients(bedrock)) if c.name.startswith("model")]
    assert model.status == "fail" and "end of life" in model.detail and model.fix


def test_no_credentials_skips_what_depends_on_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    settings = load_settings({"aws_region": "us-east-1", "store": f"s3://{BUCKET}/x"}, environ={})
    checks = {c.name: c for c in run_checks(settings)}
    assert checks["credentials"].status == "fail" and "aws configure" in checks["credentials"].fix
    assert checks["s3 store"].status == "skip"


def test_no_region_is_reported_not_mistaken_for_a_global_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    checks = {c.name: c for c in run_checks(load_settings(environ={}))}
    assert checks["region"].status == "fail"
    assert "aws_region" in checks["region"].fix


def test_bedrock_models_follow_the_backends() -> None:
    assert bedrock_models(load_settings({}, environ={})) == []
    both = load_settings({"generator": "bedrock", "editor": "bedrock"}, environ={})
    assert bedrock_models(both) == [
        "luma.ray-v2:0",
        "us.stability.stable-image-inpaint-v1:0",
        "us.stability.stable-image-erase-object-v1:0",
        "us.stability.stable-image-search-replace-v1:0",
        "us.stability.stable-outpaint-v1:0",
    ]
    canvas = load_settings(
        {"editor": "bedrock", "bedrock_edit_model": "amazon.nova-canvas-v1:0", "embedder": "nova"},
        environ={},
    )
    assert bedrock_models(canvas) == [
        "amazon.nova-2-multimodal-embeddings-v1:0",
        "amazon.nova-canvas-v1:0",
    ]


def test_opensearch_check(osmem_clone: Any) -> None:
    base = {
        "index": "opensearch",
        "opensearch_endpoint": osmem_clone.url,
        "opensearch_auth": "none",
    }
    missing = check_opensearch(load_settings(base, environ={}))
    assert missing.status == "warn" and "does not exist" in missing.detail
    unreachable = check_opensearch(
        load_settings(
            {**base, "opensearch_endpoint": "http://127.0.0.1:9", "opensearch_timeout_s": 2},
            environ={},
        )
    )
    assert unreachable.status == "fail" and "opensearch_endpoint" in unreachable.fix


def test_cli_json_and_exit_code(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELRAG_STORE", f"s3://{BUCKET}/lib")
    monkeypatch.setenv("REELRAG_S3_OUTPUT_URI", "s3://reelrag-missing-bucket/videos")
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 1, result.output
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert checks["s3 store"]["status"] == "ok"
    assert checks["s3 bedrock output"]["status"] == "fail" and checks["s3 bedrock output"]["fix"]
    table = CliRunner().invoke(app, ["doctor"])
    assert "credentials" in table.stdout and "fail" in table.stdout
