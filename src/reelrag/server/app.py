"""The web app: :func:`create_app` builds the FastAPI application (JSON API + static UI).

Settings are resolved once, before this is called, and passed in. Every error leaves the server
in one JSON shape, :meth:`reelrag.errors.ReelragError.to_dict` (``error``, ``message``, ``hint``,
``retryable``), with an HTTP status chosen by the error's class. Generation never holds a request
open: it queues a durable job that the worker thread started here runs.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from reelrag import __version__, errors
from reelrag.server import (
    api_edit,
    api_generate,
    api_jobs,
    api_library,
    api_outputs,
    api_reel,
    api_verdicts,
)
from reelrag.server.guard import MULTIPART_SLACK, RequestGuard
from reelrag.server.security import (
    AuthError,
    BadRequestError,
    TooLargeError,
    allowed_hosts,
    max_json_bytes,
    max_upload_bytes,
    resolve_token,
)
from reelrag.server.state import ServerState
from reelrag.settings import Settings

log = logging.getLogger(__name__)

# Most specific first: the first class an error is an instance of picks the status.
STATUS: tuple[tuple[type[errors.ReelragError], int], ...] = (
    (AuthError, 401),
    (TooLargeError, 413),
    (BadRequestError, 400),
    (errors.OutputExistsError, 409),
    (errors.NotFoundError, 404),
    (errors.InputError, 422),
    (errors.NoMatchError, 422),
    (errors.BudgetError, 422),
    (errors.ConfigError, 400),
    (errors.CancelledError, 409),
    (errors.MissingDependencyError, 501),
    (errors.AccessDeniedError, 502),
    (errors.BackendError, 502),
)
HTTP_ERRORS = {400: "BadRequest", 401: "AuthError", 404: "NotFoundError",
               405: "MethodNotAllowed", 413: "TooLargeError"}  # fmt: skip


def create_app(
    settings: Settings,
    *,
    start_workers: bool = True,
    token: str | None = None,
    freeze_gc: bool = False,
) -> FastAPI:
    """The ReelRAG web app for ``settings``.

    ``token`` overrides the one :func:`~reelrag.server.security.resolve_token` would choose (the
    CLI passes the token it prints). ``start_workers=False`` leaves jobs queued (tests, or a
    separate ``reelrag jobs worker``). ``freeze_gc``: the process is this server's own (``reelrag
    serve``), so after the first search what it has loaded leaves the garbage collector's
    sight (see :meth:`ServerState.settle`). The app's state is ``app.state.reelrag``.
    """
    state = ServerState.open(settings, token or resolve_token(settings))
    state.freeze_gc = freeze_gc

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if start_workers:
            state.start_workers()
        try:
            yield
        finally:
            state.close()

    app = FastAPI(
        title="ReelRAG",
        version=__version__,
        description="Search an image library, generate videos from it, follow jobs.",
        lifespan=lifespan,
    )
    app.state.reelrag = state
    _add_error_handlers(app)
    _add_guard(app, state)
    modules = (api_library, api_verdicts, api_generate, api_jobs, api_outputs, api_edit, api_reel)
    for module in modules:
        app.include_router(module.router, prefix="/api")
    _add_ui(app, state)
    return app


# -- errors ----------------------------------------------------------------------------------


def error_response(err: errors.ReelragError) -> JSONResponse:
    status = next((code for cls, code in STATUS if isinstance(err, cls)), 500)
    return JSONResponse(err.to_dict(), status_code=status)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.ReelragError)
    async def reelrag_error(request: Request, exc: errors.ReelragError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        err = errors.InputError(
            f"{where or 'request'}: {_plain_message(first)}",
            hint="see /docs for the request format",
        )
        return error_response(err)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        body = {"error": HTTP_ERRORS.get(exc.status_code, "HTTPError"), "message": str(exc.detail),
                "hint": "see /docs for the API", "retryable": False}  # fmt: skip
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        hint = "this is a bug; the server log has the traceback"
        body = {"error": "InternalError", "message": f"{type(exc).__name__}: {exc}",
                "hint": hint, "retryable": False}  # fmt: skip
        return JSONResponse(body, status_code=500)


# pydantic's wording for the checks the request models use, in the UI's words
PLAIN_MESSAGES = {
    "string_too_short": "must not be empty",
    "missing": "is required",
    "string_too_long": "is too long",
    "json_invalid": "is not valid JSON",
}


def _plain_message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind == "string_pattern_mismatch" and error.get("ctx", {}).get("pattern") == r"\S":
        return "must not be blank"
    return PLAIN_MESSAGES.get(kind) or str(error.get("msg", "invalid value"))


# -- the request guard ---------------------------------------------------------------------


def _add_guard(app: FastAPI, state: ServerState) -> None:
    """Access token, Host, Origin, CSRF token and body limits: one middleware (guard.py)."""
    settings = state.settings
    tokens = (state.csrf_token, state.token) if state.token else (state.csrf_token,)
    app.add_middleware(
        RequestGuard, access_token=state.token, tokens=tokens, hosts=allowed_hosts(settings),
        upload_bytes=max_upload_bytes(settings) + MULTIPART_SLACK,
        json_bytes=max_json_bytes(settings),
    )  # fmt: skip


# -- UI --------------------------------------------------------------------------------------


def _add_ui(app: FastAPI, state: ServerState) -> None:
    static = resources.files("reelrag.server") / "static"

    @app.get("/", include_in_schema=False)
    def index(request: Request) -> Response:
        if request.query_params.get("token"):  # drop the token from the address bar
            return RedirectResponse("/", status_code=303)  # the guard sets the session cookie
        page = (static / "index.html").read_text(encoding="utf-8")
        page = page.replace("{{csrf}}", state.csrf_token)
        return Response(page, media_type="text/html", headers={"Cache-Control": "no-store"})

    @app.get("/api/session", tags=["library"])
    def session() -> dict[str, str]:
        """The CSRF token that state-changing requests send as ``X-Reelrag-CSRF``."""
        return {"csrf_token": state.csrf_token, "csrf_header": "X-Reelrag-CSRF"}

    app.mount("/static", StaticFiles(directory=str(static)), name="static")
