"""``reelrag serve``: the web app and JSON API (library, search, generate, batch, jobs, gallery).

The server's modules load inside the command, so ``reelrag --help`` stays fast and a missing
``web`` extra is one clear error.
"""

from __future__ import annotations

import importlib.util
import webbrowser
from typing import Annotated

import typer

from reelrag.cli.common import console, settings_from
from reelrag.errors import MissingDependencyError

WEB_MODULES = ("fastapi", "uvicorn", "multipart")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option("--host", help="Address to bind (default 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default 8765).")] = None,
    token: Annotated[
        str | None, typer.Option("--token", help="Access token (generated off loopback if unset).")
    ] = None,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the app in a browser.")
    ] = False,
) -> None:
    """Serve the web app; jobs run in worker threads on the shared job store."""
    check_web_extra()
    import uvicorn

    from reelrag.server.app import create_app
    from reelrag.server.security import is_loopback

    settings = settings_from(ctx, server_host=host, server_port=port, server_token=token)
    app = create_app(settings, freeze_gc=True)  # this process is the server's alone
    state = app.state.reelrag
    shown = f"[{settings.server_host}]" if ":" in settings.server_host else settings.server_host
    url = f"http://{shown}:{settings.server_port}/"
    if state.token:
        url += f"?token={state.token}"
    where = "" if is_loopback(settings.server_host) else " (reachable from other machines)"
    console.print(f"ReelRAG on {url}{where}; workspace {settings.workspace}", highlight=False)
    if open_browser:
        webbrowser.open(url)
    uvicorn.run(app, host=settings.server_host, port=settings.server_port, log_level="warning")


def check_web_extra() -> None:
    """Raise :class:`MissingDependencyError` naming the extra when a web module is missing."""
    missing = [m for m in WEB_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingDependencyError(
            f"`reelrag serve` needs {', '.join(missing)}", hint="pip install 'reelrag[web]'"
        )
