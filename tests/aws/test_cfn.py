"""infra/: the CloudFormation template passes cfn-lint and keeps the collection private; the IAM
policy covers what the OpenSearch backend and doctor call, without wildcards on data."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

INFRA = Path(__file__).resolve().parents[2] / "infra"
TEMPLATE = INFRA / "cloudformation.yaml"


class _CfnLoader(yaml.SafeLoader):
    """Reads !Ref/!Sub/!GetAtt as plain values (only the structure is checked here)."""


_CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _cfn_lint() -> list[str]:
    exe = shutil.which("cfn-lint", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("cfn-lint is not installed (pip install cfn-lint)")
    return [exe]


def test_template_passes_cfn_lint() -> None:
    result = subprocess.run(
        [*_cfn_lint(), str(TEMPLATE)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_collection_is_vector_search_and_private() -> None:
    template = yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)
    resources = template["Resources"]
    assert resources["Collection"]["Properties"]["Type"] == "VECTORSEARCH"
    text = TEMPLATE.read_text()
    assert '"AllowFromPublic":false' in text and "SourceVPCEs" in text
    bucket = resources["Bucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert all(bucket.values())
    assert {"CollectionEndpoint", "BucketName"} <= set(template["Outputs"])


def test_iam_policy_grants_opensearch_without_wildcard_data_access() -> None:
    policy = json.loads((INFRA / "iam-policy.json").read_text())
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert {"aoss:APIAccessAll", "es:ESHttpPost", "s3:ListBucket"} <= actions
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert not any(a.endswith(":*") or a == "*" for a in statement["Action"])
        resources = statement["Resource"]
        if any(a.startswith(("aoss:", "es:", "s3:")) for a in statement["Action"]):
            assert resources != "*"
