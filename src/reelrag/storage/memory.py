"""An in-memory object store (``memory://``): the twin used by contract tests."""

from __future__ import annotations

from collections.abc import Iterator

from reelrag.errors import NotFoundError
from reelrag.settings import Settings
from reelrag.storage.base import ObjectStore, check_key


class MemoryStore(ObjectStore):
    """Objects in a dict; lost when the process ends."""

    def __init__(self, uri: str = "memory://"):
        self.uri = uri
        self._objects: dict[str, bytes] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> MemoryStore:
        return cls(settings.store_uri)

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> str:
        self._objects[check_key(key)] = bytes(data)
        return self.uri_for(key)

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._objects[check_key(key)]
        except KeyError as exc:
            raise NotFoundError(f"no object {key!r} in {self.uri}") from exc

    def exists(self, key: str) -> bool:
        return check_key(key) in self._objects

    def delete(self, key: str) -> None:
        self._objects.pop(check_key(key), None)

    def list(self, prefix: str = "") -> Iterator[str]:
        return iter(sorted(k for k in self._objects if k.startswith(prefix)))
