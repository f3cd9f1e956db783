"""``reelrag doctor``'s check of the OpenSearch index: the endpoint answers, the index exists."""

from __future__ import annotations

from reelrag.aws.doctor import Check, error_check
from reelrag.errors import ReelragError
from reelrag.index.opensearch.client import make_client, translate
from reelrag.settings import Settings


def check_opensearch(settings: Settings) -> Check:
    """The endpoint answers and the index exists."""
    name = "opensearch index"
    try:
        from opensearchpy.exceptions import OpenSearchException
    except ModuleNotFoundError:
        return Check(name, "fail", "opensearch-py is not installed", "pip install 'reelrag[aws]'")
    index = settings.opensearch_index
    try:
        client = make_client(settings)
        if not client.indices.exists(index=index):
            fix = "it is created by the first `reelrag ingest`"
            return Check(name, "warn", f"{index} does not exist yet", fix)
        count = client.count(index=index)["count"]
    except ReelragError as exc:
        return error_check(name, exc)
    except OpenSearchException as exc:
        serverless = settings.opensearch_serverless
        return error_check(name, translate(exc, action="index check", serverless=serverless))
    return Check(name, "ok", f"{index}: {count} documents")
