"""AWS_REGION, which the region error names, really sets the region (boto3 reads only
AWS_DEFAULT_REGION); REELRAG_AWS_REGION and the config file still win over it."""

from __future__ import annotations

import pytest

from reelrag.aws.clients import make_client
from reelrag.errors import ConfigError
from reelrag.settings import load_settings


def test_aws_region_variable_sets_the_client_region(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    settings = load_settings(environ={"AWS_REGION": "eu-west-1"})
    assert (settings.aws_region, settings.sources["aws_region"]) == ("eu-west-1", "env:AWS_REGION")
    assert make_client("s3", settings).meta.region_name == "eu-west-1"
    env = {"AWS_REGION": "eu-west-1", "REELRAG_AWS_REGION": "us-west-2"}
    assert load_settings(environ=env).aws_region == "us-west-2"
    with pytest.raises(ConfigError, match="AWS_REGION"):
        make_client("bedrock-runtime", load_settings(environ={}))
