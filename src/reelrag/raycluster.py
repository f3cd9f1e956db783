"""Joining a Ray cluster, shared by the Ray job executor and Ray Data ingest.

Ray is imported here only when called, so ``import reelrag`` never loads it (``reelrag[ray]``).
"""

from __future__ import annotations

from typing import Any

from reelrag.errors import MissingDependencyError


def connect(address: str = "") -> Any:
    """The ``ray`` module, initialised: join ``address`` ("auto", "ray://head:10001", "host:6379")
    or start a local Ray when empty, unless this process has joined one already."""
    try:
        import ray
    except ModuleNotFoundError as exc:
        raise MissingDependencyError(
            "running on Ray needs the ray package", hint="pip install 'reelrag[ray]'"
        ) from exc
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(include_dashboard=False, log_to_driver=False)
    return ray
