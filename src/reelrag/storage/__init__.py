"""Object stores chosen by URI: a local folder (default), ``memory://``, ``s3://`` (AWS extra)."""

from __future__ import annotations

from reelrag.plugins import registry
from reelrag.settings import Settings
from reelrag.storage.base import ObjectStore, check_key
from reelrag.storage.local import atomic_write_bytes, check_replaceable

__all__ = [
    "ObjectStore",
    "atomic_write_bytes",
    "check_key",
    "check_replaceable",
    "open_store",
    "scheme_of",
]


def scheme_of(uri: str) -> str:
    """The store backend name for a URI: ``file`` for plain paths.

    >>> scheme_of("s3://bucket/prefix"), scheme_of("./lib"), scheme_of("memory://x")
    ('s3', 'file', 'memory')
    """
    scheme, sep, _ = uri.partition("://")
    return scheme if sep and len(scheme) > 1 else "file"


def open_store(settings: Settings) -> ObjectStore:
    """The object store that ``settings.store_uri`` names."""
    store: ObjectStore = registry.create("store", scheme_of(settings.store_uri), settings)
    return store
