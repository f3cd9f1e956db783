"""The OpenSearch client of ``index.opensearch`` and the translation of its errors.

Owns SigV4 signing (service ``es`` for OpenSearch Service domains, ``aoss`` for Serverless
collections, credentials from the AWS default chain or ``aws_profile``) and the mapping of
``opensearchpy`` exceptions to ReelRAG's error tree with a hint saying what to fix.
``opensearchpy`` and ``boto3`` are imported only when a client is made (the ``aws`` extra).
"""

from __future__ import annotations

import re
from typing import Any

from reelrag.errors import (
    AccessDeniedError,
    BackendError,
    ConfigError,
    ReelragError,
    RetryableBackendError,
)
from reelrag.settings import Settings

_REGION = re.compile(r"\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.(?:aoss|es)\.amazonaws\.com")


def make_client(settings: Settings) -> Any:
    """An ``opensearchpy.OpenSearch`` client for ``settings.opensearch_endpoint``."""
    from opensearchpy import OpenSearch, RequestsHttpConnection

    endpoint = settings.opensearch_endpoint.strip().rstrip("/")
    if not endpoint:
        raise ConfigError(
            "opensearch_endpoint is not set",
            hint="set opensearch_endpoint to the https:// endpoint of the domain or collection",
        )
    if not endpoint.startswith(("https://", "http://")):
        raise ConfigError(f"opensearch_endpoint {endpoint!r} is not a URL", hint="use https://HOST")
    return OpenSearch(
        hosts=[endpoint],
        http_auth=_auth(settings, endpoint),
        connection_class=RequestsHttpConnection,
        timeout=settings.opensearch_timeout_s,
        max_retries=2,
        retry_on_timeout=True,
    )


def _auth(settings: Settings, endpoint: str) -> Any:
    if settings.opensearch_auth == "none":
        return None
    if settings.opensearch_auth != "sigv4":
        raise ConfigError(
            f"opensearch_auth={settings.opensearch_auth!r} is not sigv4 or none",
            hint="use sigv4 for AWS, none for a local cluster",
        )
    import boto3
    from opensearchpy import AWSV4SignerAuth

    session = boto3.Session(
        profile_name=settings.aws_profile or None, region_name=settings.aws_region or None
    )
    credentials = session.get_credentials()
    if credentials is None:
        raise AccessDeniedError(
            "no AWS credentials were found to sign OpenSearch requests",
            hint="run `aws configure`, set AWS_PROFILE/aws_profile, or use an instance role",
        )
    region = settings.aws_region or session.region_name or region_from_endpoint(endpoint)
    if not region:
        raise ConfigError("no AWS region is configured", hint="set aws_region (REELRAG_AWS_REGION)")
    service = "aoss" if settings.opensearch_serverless else "es"
    return AWSV4SignerAuth(credentials, region, service)


def region_from_endpoint(endpoint: str) -> str:
    """The region in an AWS OpenSearch endpoint's host name ("" when there is none).

    >>> region_from_endpoint("https://abc123.us-east-1.aoss.amazonaws.com")
    'us-east-1'
    """
    found = _REGION.search(endpoint)
    return found.group(1) if found else ""


def translate(exc: Exception, *, action: str, serverless: bool = False) -> ReelragError:
    """The ReelRAG error for an ``opensearchpy`` exception raised by ``action``."""
    from opensearchpy import exceptions as ox

    if isinstance(exc, ox.ConnectionError):  # includes timeouts and TLS failures
        return RetryableBackendError(
            f"cannot reach OpenSearch for {action}: {exc}",
            hint="check opensearch_endpoint and the network path (VPC endpoint, security groups)",
        )
    status = getattr(exc, "status_code", None)
    reason = reason_of(exc)
    if status in (401, 403):
        return AccessDeniedError(
            f"OpenSearch refused {action}: {reason}", hint=_access_hint(serverless)
        )
    if status == 429 or (isinstance(status, int) and status >= 500):
        return RetryableBackendError(f"OpenSearch is busy ({status}) during {action}: {reason}")
    if "knn" in reason.lower() and ("not supported" in reason or "unknown" in reason.lower()):
        return BackendError(
            f"the OpenSearch server cannot run k-NN queries: {reason}",
            hint="enable the k-NN plugin, or set opensearch_knn = false to score vectors locally",
        )
    return BackendError(f"OpenSearch {action} failed ({status}): {reason}")


def reason_of(exc: Exception) -> str:
    info = getattr(exc, "info", None)
    if isinstance(info, dict):
        error = info.get("error")
        if isinstance(error, dict):
            return str(error.get("reason") or error.get("type") or error)
        if error:
            return str(error)
    return str(getattr(exc, "error", "") or exc)


def _access_hint(serverless: bool) -> str:
    if serverless:
        return (
            "grant aoss:APIAccessAll in IAM and add this principal to the collection's data "
            "access policy (see infra/cloudformation.yaml)"
        )
    return (
        "grant es:ESHttpGet/Head/Post/Put/Delete on the domain (see infra/iam-policy.json) and, "
        "with fine-grained access control, map the IAM role to an OpenSearch role"
    )


class ResponseError(Exception):
    """An error entry of an ``_msearch`` response, shaped like an opensearchpy exception."""

    def __init__(self, response: dict[str, Any]) -> None:
        super().__init__(str(response.get("error")))
        self.status_code = response.get("status")
        self.info = response
