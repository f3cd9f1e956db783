"""Object-store options for LanceDB when the index lives in S3 (``index_uri = "s3://..."``).

LanceDB reads credentials and the region from the usual ``AWS_*`` variables itself; this module
adds what ReelRAG's settings say: the region, a custom endpoint (MinIO, a moto server; plain
``http://`` endpoints need ``allow_http``) and, for a named profile, that profile's credentials
(LanceDB's object store does not read ``~/.aws`` profiles). Other URIs get no options.
"""

from __future__ import annotations

from reelrag.errors import AccessDeniedError, ConfigError
from reelrag.settings import Settings


def lance_storage_options(uri: str, settings: Settings) -> dict[str, str]:
    """``storage_options`` for ``lancedb.connect(uri, ...)``; ``{}`` for local or memory URIs.

    >>> lance_storage_options("/tmp/index", None)
    {}
    """
    if not uri.startswith("s3://"):
        return {}
    options: dict[str, str] = {}
    if settings.aws_region:
        options["region"] = settings.aws_region
    endpoint = settings.s3_endpoint_url
    if endpoint:
        options["endpoint"] = endpoint
        if endpoint.startswith("http://"):
            options["allow_http"] = "true"
    if settings.aws_profile:
        options.update(_profile_credentials(settings))
    return options


def _profile_credentials(settings: Settings) -> dict[str, str]:
    # Frozen credentials: a long-lived process with expiring role credentials should use the
    # default chain (environment, instance role) instead of a profile.
    import boto3
    from botocore.exceptions import ProfileNotFound

    try:
        credentials = boto3.Session(profile_name=settings.aws_profile).get_credentials()
    except ProfileNotFound as exc:
        raise ConfigError(
            f"AWS profile {settings.aws_profile!r} does not exist",
            hint="fix aws_profile or run `aws configure --profile NAME`",
        ) from exc
    if credentials is None:
        raise AccessDeniedError(
            f"AWS profile {settings.aws_profile!r} has no credentials",
            hint=f"run `aws configure --profile {settings.aws_profile}`",
        )
    frozen = credentials.get_frozen_credentials()
    out = {"aws_access_key_id": frozen.access_key, "aws_secret_access_key": frozen.secret_key}
    if frozen.token:
        out["aws_session_token"] = frozen.token
    return out
