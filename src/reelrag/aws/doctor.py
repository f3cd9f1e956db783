"""``reelrag doctor``'s AWS checks: each a function returning structured results, never printing.

Checks, in order: credentials (STS ``GetCallerIdentity``), region, every Bedrock model the
configured backends use (offered in the region, account access, lifecycle read afresh from
``GetFoundationModel`` and cached for the paid calls: Legacy warns, end of life fails), what a
configured model cannot do that the defaults ask of it (Ray2 from an image), every S3 location in
the settings (store, Bedrock output, index), and the OpenSearch index when ``index = "opensearch"``.
A check that cannot run because an earlier one failed says so (``skip``). Clients come from a
``client_for(service)`` callable, so tests can pass moto-backed or stubbed clients.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reelrag.aws.clients import make_client, parse_s3_uri, translate
from reelrag.aws.lifecycle import check_model
from reelrag.aws.lifecycle_cache import LifecycleStore
from reelrag.errors import AccessDeniedError, NotFoundError, ReelragError
from reelrag.settings import Settings

TITAN_MODEL = "amazon.titan-embed-image-v1"
NOVA_EMBED_MODEL = "amazon.nova-2-multimodal-embeddings-v1:0"
STABILITY_SERVICES = ("inpaint", "erase", "search_replace", "outpaint")
ClientFor = Callable[[str], Any]


@dataclass(frozen=True)
class Check:
    """One result: ``status`` is ok | warn | fail | skip; ``fix`` says what to do."""

    name: str
    status: str
    detail: str
    fix: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def run_checks(
    settings: Settings,
    models: Sequence[str],
    client_for: ClientFor | None = None,
    extra: Sequence[Callable[[Settings], Check]] = (),
    notes: Sequence[Check] = (),
) -> list[Check]:
    """Credentials, region, each Bedrock model in ``models``, each S3 location, then ``notes``
    and ``extra`` checks; the first failing basics skip what depends on them.

    The backends say which models they call and what else to check (:mod:`reelrag.doctor`
    gathers them), so this module imports no backend.
    """
    clients = client_for or (lambda service: make_client(service, settings))
    results = [check_credentials(clients), check_region(settings, clients)]
    basics_ok = all(r.status == "ok" for r in results)
    for model in models:
        results.append(check_model_access(model, settings, clients) if basics_ok else _skip(model))
    results.extend(notes)
    for label, uri in s3_locations(settings):
        results.append(check_bucket(label, uri, clients) if basics_ok else _skip(label))
    results += [check(settings) for check in extra]
    return results


def _skip(name: str) -> Check:
    return Check(name, "skip", "not checked: credentials or region failed")


def error_check(name: str, error: ReelragError) -> Check:
    return Check(name, "fail", error.message, error.hint or "")


def check_credentials(clients: ClientFor) -> Check:
    try:
        who = clients("sts").get_caller_identity()
    except (ClientError, BotoCoreError) as exc:
        return error_check("credentials", translate(exc, action="sts:GetCallerIdentity"))
    except ReelragError as exc:
        return error_check("credentials", exc)
    return Check("credentials", "ok", f"{who.get('Arn', '?')} (account {who.get('Account', '?')})")


def check_region(settings: Settings, clients: ClientFor) -> Check:
    try:
        # A regional client: STS alone reports the pseudo-region "aws-global" when none is set.
        region = clients("bedrock-runtime").meta.region_name
    except ReelragError as exc:
        return error_check("region", exc)
    if not region or region == "aws-global":
        return Check("region", "fail", "no AWS region", "set aws_region (REELRAG_AWS_REGION)")
    source = "aws_region" if settings.aws_region else "the AWS SDK chain"
    return Check("region", "ok", f"{region} (from {source})")


def check_model_access(model: str, settings: Settings, clients: ClientFor) -> Check:
    """Lifecycle (Legacy warns, end of life fails) and the account's access to ``model``."""
    name = f"model {model}"
    control = clients("bedrock")
    store = LifecycleStore.for_settings(settings)
    try:
        lifecycle = check_model(control, model, enabled=True, store=store, fresh=True)
    except ReelragError as exc:
        return error_check(name, exc)
    access = _access(control, lifecycle.model)
    if access.status == "fail":
        return Check(name, "fail", access.detail, access.fix)
    status = "warn" if lifecycle.warning or access.status == "warn" else "ok"
    state = lifecycle.status + (f" until {lifecycle.end_of_life}" if lifecycle.end_of_life else "")
    source = {"aws": "read from AWS", "built-in": "ReelRAG's built-in table"}.get(
        lifecycle.source, "not read"
    )
    parts = (f"{state} ({source})", lifecycle.warning, access.detail)
    return Check(name, status, "; ".join(p for p in parts if p), access.fix)


def _access(control: Any, model: str) -> Check:
    from reelrag.aws.lifecycle import foundation_model_id

    base = foundation_model_id(model)
    region = control.meta.region_name
    try:
        found = control.get_foundation_model_availability(modelId=base)
    except (ClientError, BotoCoreError) as exc:
        error = translate(exc, action="bedrock:GetFoundationModelAvailability", model=base)
        if isinstance(error, AccessDeniedError | NotFoundError):
            fix = "grant bedrock:GetFoundationModelAvailability to let doctor check model access"
            return Check("access", "warn", f"access not checked ({error.message})", fix)
        return error_check("access", error)
    problems = [
        key
        for key, good in (
            ("authorizationStatus", "AUTHORIZED"),
            ("entitlementAvailability", "AVAILABLE"),
            ("regionAvailability", "AVAILABLE"),
        )
        if found.get(key) not in (good, None)
    ]
    agreement = (found.get("agreementAvailability") or {}).get("status")
    if agreement not in (None, "AVAILABLE"):
        problems.append(f"agreement {agreement}")
    if problems:
        fix = f"enable model access for {base} in the Bedrock console ({region})"
        return Check("access", "fail", f"no access to {base}: {', '.join(problems)}", fix)
    return Check("access", "ok", "access granted")


def s3_locations(settings: Settings) -> list[tuple[str, str]]:
    """(label, ``s3://`` URI) for every S3 location the settings name."""
    named = [
        ("store", settings.store),
        ("bedrock output", settings.s3_output_uri),
        ("index", settings.index_uri),
    ]
    return [(f"s3 {label}", uri) for label, uri in named if uri.startswith("s3://")]


def check_bucket(label: str, uri: str, clients: ClientFor) -> Check:
    """The bucket exists and the prefix can be listed (``s3:ListBucket``)."""
    try:
        bucket, prefix = parse_s3_uri(uri)
        clients("s3").list_objects_v2(
            Bucket=bucket, Prefix=f"{prefix}/" if prefix else "", MaxKeys=1
        )
    except (ClientError, BotoCoreError) as exc:
        error = translate(exc, action="s3:ListBucket", resource=uri)
        if isinstance(error, NotFoundError):
            return Check(label, "fail", f"{uri}: bucket does not exist", "create it or fix the URI")
        return error_check(label, error)
    except ReelragError as exc:
        return error_check(label, exc)
    return Check(label, "ok", f"{uri} is reachable")
