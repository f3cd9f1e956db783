"""The object-store contract: bytes under slash-separated keys.

Implementations: a local folder (default), ``memory://`` (tests), ``s3://`` (AWS backends).
Writes are atomic: a reader never sees half an object.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from pathlib import Path

from reelrag.errors import InputError


class ObjectStore(abc.ABC):
    """Bytes by key. Keys are relative, slash-separated and never escape the store."""

    uri: str

    @abc.abstractmethod
    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> str:
        """Store ``data`` atomically under ``key``; return the object's URI."""

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> str:
        """Store a local file's contents under ``key``; return the object's URI."""
        return self.put_bytes(key, Path(path).read_bytes(), content_type)

    @abc.abstractmethod
    def get_bytes(self, key: str) -> bytes:
        """The object's bytes; :class:`~reelrag.errors.NotFoundError` if absent."""

    @abc.abstractmethod
    def exists(self, key: str) -> bool: ...

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key`` if present (no error when absent)."""

    @abc.abstractmethod
    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys under ``prefix``, sorted."""

    def local_path(self, key: str) -> Path | None:
        """A local file holding the object, when the store has one (local folders do)."""
        return None

    def uri_for(self, key: str) -> str:
        return f"{self.uri.rstrip('/')}/{check_key(key)}"


def check_key(key: str) -> str:
    """Reject keys that are absolute or climb out of the store.

    >>> check_key("assets/ab/cd.jpg")
    'assets/ab/cd.jpg'
    """
    parts = key.replace("\\", "/").split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise InputError(f"invalid object key {key!r}", hint="keys are relative, without '..'")
    return "/".join(parts)
