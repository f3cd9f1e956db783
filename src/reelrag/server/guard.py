"""One ASGI middleware in front of every request: the access token, Host, Origin and CSRF token
checks, and body limits enforced while the body streams in.

- **Access token** (off loopback, or when ``server_token`` is set): every request but
  ``/favicon.ico`` carries it (see :func:`reelrag.server.security.request_token`); a page
  opened with ``?token=`` gets a session cookie so the UI's own requests carry it.
- **Host** (DNS rebinding): a name in the Host header must be loopback (``localhost``), the name
  the server is bound to, or one of ``server_allowed_hosts``; IP literals always pass (a page on
  another site can never be served under one of this machine's addresses).
- **Cross-site requests**: every state change (POST, PUT, PATCH, DELETE) needs the CSRF token in
  the ``X-Reelrag-CSRF`` header (the app's own page carries it in a ``<meta>`` tag;
  ``GET /api/session`` gives it to scripts) or the access token in a header, and when the
  request has an ``Origin`` (else ``Referer``), it must be this server's own. Cookies never
  count: a browser sends them to any site's request.
- **Bodies**: at most ``upload_max_mb`` for multipart uploads and ``server_json_max_mb`` for
  anything else, counted as the bytes arrive (chunked bodies included), so a 413 comes as soon
  as the limit is passed and nothing beyond it is read or spooled. Other bodies (JSON) are also
  refused when they nest deeper than :data:`reelrag.parsing.MAX_DEPTH`.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from fastapi.exceptions import HTTPException
from starlette.requests import Request

from reelrag.errors import InputError
from reelrag.parsing import check_json_depth
from reelrag.server.security import COOKIE_NAME, AuthError, check_token, request_token

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSRF_HEADER = "x-reelrag-csrf"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK_NAMES = frozenset({"localhost", "localhost."})
OPEN_PATHS = ("/favicon.ico",)
MULTIPART_SLACK = 64_000  # multipart framing around an upload of the largest allowed size
LOGIN_PAGE = (
    "<!doctype html><title>ReelRAG</title><p style='font-family:sans-serif'>This ReelRAG server "
    "needs its access token: open the URL that <code>reelrag serve</code> printed (it ends with "
    "<code>?token=...</code>).</p>"
)


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a body passes its limit; FastAPI re-raises its HTTPExceptions
    from body parsing, so it becomes a 413 reply."""


class RequestGuard:
    """The middleware. ``access_token``: the server's token (None: not required); ``tokens``:
    the values a state change may carry in a header (the CSRF token, the access token)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        access_token: str | None,
        tokens: tuple[str, ...],
        hosts: frozenset[str],
        upload_bytes: int,
        json_bytes: int,
    ) -> None:
        self.app, self.access_token, self.tokens, self.hosts = app, access_token, tokens, hosts
        self.upload_bytes, self.json_bytes = upload_bytes, json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        problem = self._refusal(scope, headers)
        if problem is not None:
            await _reply(send, *problem)
            return
        request = Request(scope)
        if not await self._authorised(request, send):
            return
        send = _with_session(request.query_params.get("token"), send, self.access_token)
        multipart = headers.get("content-type", "").lower().startswith("multipart/")
        limit = self.upload_bytes if multipart else self.json_bytes
        length = headers.get("content-length", "")
        if length.isascii() and length.isdigit() and int(length) > limit:
            await _reply(send, 413, "TooLargeError", _too_large(limit))
            return
        if multipart or scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, _counting(receive, limit), send)
            return
        body = await _read_all(receive, limit, send)
        if body is None:
            return
        try:
            check_json_depth(body, "the request body")
        except InputError as err:
            await _reply(send, 422, "InputError", err.message, err.hint or "")
            return
        await self.app(scope, _replay(body, receive), send)

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str, str] | None:
        host = headers.get("host", "")
        if not self._host_allowed(host):
            return 421, "HostError", f"this server does not answer to the host name {host!r}"
        if scope["method"] not in UNSAFE_METHODS:
            return None
        source = headers.get("origin") or headers.get("referer")
        if source is not None and _netloc(source) != host.lower():
            return 403, "CSRFError", "cross-site request refused (Origin is not this server)"
        if not self._has_token(headers):
            return 403, "CSRFError", "this request needs the X-Reelrag-CSRF header"
        return None

    async def _authorised(self, request: Request, send: Send) -> bool:
        if self.access_token is None or request.url.path in OPEN_PATHS:
            return True
        try:
            check_token(self.access_token, request_token(request))
            return True
        except AuthError as err:
            if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
                await _send(send, 401, LOGIN_PAGE.encode(), b"text/html; charset=utf-8")
            else:
                await _reply(send, 401, "AuthError", err.message, err.hint or "")
            return False

    def _host_allowed(self, host: str) -> bool:
        name = _host_name(host)
        if not name:
            return False
        if name in LOOPBACK_NAMES or name in self.hosts:
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    def _has_token(self, headers: dict[str, str]) -> bool:
        auth = headers.get("authorization", "")
        given = [headers.get(CSRF_HEADER), headers.get("x-reelrag-token"),
                 auth[7:].strip() if auth.lower().startswith("bearer ") else None]  # fmt: skip
        return any(
            hmac.compare_digest(value.encode(), token.encode())
            for value in given
            if value
            for token in self.tokens
        )


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _host_name(host: str) -> str:
    """The name part of a Host header, lower case: ``[::1]:80`` -> ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else ""
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _netloc(url: str) -> str | None:
    try:
        return urlsplit(url.strip()).netloc.lower() or None
    except ValueError:
        return None


def _too_large(limit: int) -> str:
    return f"the request body is over the {limit / 1e6:g} MB limit"


def _counting(receive: Receive, limit: int) -> Receive:
    total = 0

    async def wrapped() -> Message:
        nonlocal total
        message = await receive()
        if message["type"] == "http.request":
            total += len(message.get("body", b""))
            if total > limit:
                raise BodyTooLarge(413, _too_large(limit), headers={"Connection": "close"})
        return message

    return wrapped


async def _read_all(receive: Receive, limit: int, send: Send) -> bytes | None:
    chunks, total = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > limit:
            await _reply(send, 413, "TooLargeError", _too_large(limit))
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def wrapped() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return wrapped


async def _reply(send: Send, status: int, error: str, message: str, hint: str = "") -> None:
    hint = hint or _HINTS.get(status, "see /docs for the API")
    body = json.dumps({"error": error, "message": message, "hint": hint, "retryable": False})
    await _send(send, status, body.encode(), b"application/json")


async def _send(send: Send, status: int, body: bytes, media_type: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", media_type),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


def _with_session(given: str | None, send: Send, token: str | None) -> Send:
    """A page opened with ``?token=`` keeps a session cookie, so the UI's own requests (and
    <video> and EventSource, which cannot send headers) carry the token."""
    if not token or given != token:
        return send
    cookie = f"{COOKIE_NAME}={token}; HttpOnly; Path=/; SameSite=strict".encode("latin-1")

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
        await send(message)

    return wrapped


_HINTS = {
    421: "open the app at http://127.0.0.1 or localhost, or add the name to server_allowed_hosts",
    403: "use the app's own page, or send the access token (see docs/server.md)",
    413: "send less data, or raise upload_max_mb / server_json_max_mb",
}
