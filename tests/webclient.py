"""A FastAPI TestClient that talks to the app as its own page does: a loopback Host and the
page's CSRF token on every request (the request guard refuses state changes without it)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient


def api_client(app: FastAPI, **kwargs: Any) -> TestClient:
    headers = {"X-Reelrag-CSRF": app.state.reelrag.csrf_token, **kwargs.pop("headers", {})}
    return TestClient(app, base_url="http://127.0.0.1", headers=headers, **kwargs)
