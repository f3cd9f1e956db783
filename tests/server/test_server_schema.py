"""Schemathesis against the OpenAPI document: generated requests never cause a server error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from reelrag.library import Library  # noqa: E402
from reelrag.server.app import create_app  # noqa: E402
from reelrag.settings import load_settings  # noqa: E402

MAX_EXAMPLES = 6  # per operation: bounded so the whole run stays well under a minute


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, sample_photos: Path):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("schema")
    shutil.copytree(sample_photos / "animals", root / "photos")
    ws = root / "ws"
    Library(load_settings({"workspace": ws}, environ={})).ingest(root / "photos")
    # schemathesis calls the app as http://testserver; state changes carry the CSRF token
    settings = load_settings({"workspace": ws, "server_allowed_hosts": "testserver"}, environ={})
    return create_app(settings, start_workers=False)


@pytest.mark.slow
def test_no_server_errors(app) -> None:  # type: ignore[no-untyped-def]
    # The event stream is endless by design (tested in test_server_api.py).
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path="/api/events")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        check_operation(operation, {"X-Reelrag-CSRF": app.state.reelrag.csrf_token})


def check_operation(operation, headers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def run(case) -> None:  # type: ignore[no-untyped-def]
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])
        if response.status_code >= 400:
            assert set(response.json()) == {"error", "message", "hint", "retryable"}

    run()
