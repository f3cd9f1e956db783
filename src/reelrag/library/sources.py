"""Source readers: where ingest finds image files, chosen by URI scheme.

A reader expands what the user typed (a folder, a file, a glob) into :class:`SourceFile` entries
with the size and modification time the catalog compares, and reads their bytes. Local paths use
:class:`FileSource` (registry ``source.file``); other schemes (``s3://``) register their own
reader under ``source.<scheme>``. Readers never modify the files they read.
"""

from __future__ import annotations

import abc
import errno
import glob
import logging
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from reelrag.errors import DecodeError, ReelragError
from reelrag.settings import Settings

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".tif", ".tiff", ".bmp", ".dib",
     ".gif", ".heic", ".heif"}
)  # fmt: skip
GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class SourceFile:
    """One candidate image: ``uri`` is an absolute path (local) or a full URI."""

    uri: str
    name: str
    folder: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class ScanProblem:
    """Something the user named that cannot be ingested, with a one-line reason."""

    uri: str
    reason: str


class Source(abc.ABC):
    """Lists and reads image files under one URI scheme."""

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: Settings) -> Source: ...

    @abc.abstractmethod
    def scan(self, spec: str, recursive: bool = False) -> Iterator[SourceFile | ScanProblem]:
        """Expand a folder, file or glob into files (folders: image extensions only)."""

    @abc.abstractmethod
    def read_bytes(self, uri: str) -> bytes:
        """The file's bytes; :class:`DecodeError` with a one-line reason when unreadable."""

    @abc.abstractmethod
    def stat(self, uri: str) -> SourceFile | None:
        """The file's current entry, or None when it is gone."""

    def local_path(self, uri: str) -> Path | None:
        """A local path for sidecar lookups, when the source is on the local disk."""
        return None


def scheme_of(spec: str) -> str:
    """The reader name for what the user typed: ``file`` for plain paths.

    >>> scheme_of("s3://bucket/photos/"), scheme_of("photos/*.jpg"), scheme_of("C:/x")
    ('s3', 'file', 'file')
    """
    scheme, sep, _ = spec.partition("://")
    return scheme if sep and len(scheme) > 1 else "file"


def open_source(spec: str, settings: Settings) -> Source:
    """The reader registered for ``spec``'s scheme."""
    from reelrag.plugins import registry

    source: Source = registry.create("source", scheme_of(spec), settings)
    return source


def stat_each(
    uris: Iterable[str], settings: Settings, *, gone: str = "does not exist"
) -> Iterator[SourceFile | ScanProblem]:
    """The current entry of each known uri (one reader per scheme); ``gone``: the reason for
    a uri that is not there any more."""
    readers: dict[str, Source] = {}
    for uri in uris:
        scheme = scheme_of(uri)
        try:
            reader = readers.get(scheme) or readers.setdefault(scheme, open_source(uri, settings))
            entry = reader.stat(uri)
        except ReelragError as exc:  # e.g. the aws extra missing, access denied: this uri only
            yield ScanProblem(uri, exc.message)
            continue
        yield entry if entry is not None else ScanProblem(uri, gone)


def prune_prefixes(specs: Sequence[str]) -> list[str]:
    """Catalog uri prefixes the specs cover: a folder (with separator) or the file itself."""
    out = []
    for spec in specs:
        if "://" in spec:
            out.append(spec)
            continue
        path = os.path.abspath(os.path.expanduser(spec))
        if GLOB_CHARS & set(spec) and not os.path.lexists(path):
            path = os.path.dirname(re.split(r"[*?\[]", path)[0] + "x")  # the fixed folder part
        out.append(path.rstrip(os.sep) + os.sep if os.path.isdir(path) else path)
    return out


class FileSource(Source):
    """Local files: folders (optionally recursive), single files and globs."""

    @classmethod
    def from_settings(cls, settings: Settings) -> FileSource:
        return cls()

    def scan(self, spec: str, recursive: bool = False) -> Iterator[SourceFile | ScanProblem]:
        path = Path(spec.removeprefix("file://")).expanduser()
        if GLOB_CHARS & set(spec) and not os.path.lexists(path):
            yield from self._scan_glob(str(path), recursive)
        elif path.is_dir():
            yield from self._walk(path, recursive)
        else:
            yield self._entry(path)

    def _scan_glob(self, pattern: str, recursive: bool) -> Iterator[SourceFile | ScanProblem]:
        matches = sorted(glob.glob(pattern, recursive=recursive))
        if not matches:
            yield ScanProblem(pattern, "no files match this pattern")
        for match in matches:
            path = Path(match)
            if path.is_dir():
                yield from self._walk(path, recursive)
            else:
                yield self._entry(path)

    def _walk(self, folder: Path, recursive: bool) -> Iterator[SourceFile | ScanProblem]:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            yield ScanProblem(_abs(folder), f"cannot list folder: {exc.strerror or exc}")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                if recursive:
                    yield from self._walk(Path(entry.path), recursive)
            # A symlink to a folder is skipped: it may loop.
            elif Path(entry.name).suffix.lower() in IMAGE_EXTENSIONS and not os.path.isdir(entry):
                yield self._entry(Path(entry.path))

    def _entry(self, path: Path) -> SourceFile | ScanProblem:
        uri = _abs(path)
        try:
            info = path.stat()
        except OSError as exc:
            return ScanProblem(uri, _os_reason(exc, path))
        if not path.is_file():
            return ScanProblem(uri, "not a regular file")
        return SourceFile(uri, path.name, os.path.dirname(uri), info.st_size, info.st_mtime_ns)

    def read_bytes(self, uri: str) -> bytes:
        path = Path(uri)
        try:
            return path.read_bytes()
        except OSError as exc:
            raise DecodeError(
                f"{path.name}: {_os_reason(exc, path)}", hint="check the file and its permissions"
            ) from exc

    def stat(self, uri: str) -> SourceFile | None:
        entry = self._entry(Path(uri))
        return entry if isinstance(entry, SourceFile) else None

    def local_path(self, uri: str) -> Path | None:
        return Path(uri)


def is_utf8(text: str) -> bool:
    """False for a name with bytes that are not UTF-8 (Python keeps them as surrogate escapes,
    which the catalog, the index and JSON outputs cannot store)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def utf8_safe(text: str) -> str:
    r"""``text`` with its non-UTF-8 bytes written as ``\xNN``, safe to store and print.

    >>> utf8_safe("caf\udce9.jpg")
    'caf\\xe9.jpg'
    """
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that is not an escaped byte
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def _abs(path: Path) -> str:
    # abspath, not resolve(): keep the user's own names (symlinked folders stay as typed).
    return os.path.abspath(path)


def _os_reason(exc: OSError, path: Path) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if isinstance(exc, FileNotFoundError):
        return "broken symlink" if path.is_symlink() else "does not exist"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a folder, not a file"
    return exc.strerror or str(exc)
