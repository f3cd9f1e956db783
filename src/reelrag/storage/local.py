"""A folder on the local disk as an object store (the default)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from reelrag.errors import NotFoundError, OutputExistsError, from_os_error
from reelrag.settings import Settings
from reelrag.storage.base import ObjectStore, check_key


class LocalStore(ObjectStore):
    """Objects as files under ``root``; every write goes through a temp file and ``os.replace``."""

    def __init__(self, root: Path | str):
        self.root = Path(root).expanduser().resolve()
        self.uri = str(self.root)

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalStore:
        return cls(settings.store_uri.removeprefix("file://"))

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> str:
        atomic_write_bytes(self._path(key), data)
        return str(self._path(key))

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> str:
        target = self._path(key)
        tmp = temp_beside(target)
        try:
            shutil.copyfile(path, tmp)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return str(target)

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise NotFoundError(f"no object {key!r} in {self.uri}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list(self, prefix: str = "") -> Iterator[str]:
        if not self.root.exists():
            return iter(())
        keys = (
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.is_file() and not p.name.startswith(".tmp-")
        )
        return iter(sorted(k for k in keys if k.startswith(prefix)))

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_current_umask()  # what a plain open() would give, read once at import


def temp_beside(path: Path, suffix: str = "") -> Path:
    """A new empty ``.tmp-`` file in ``path``'s folder, to be renamed onto ``path`` when complete.

    ``mkstemp`` creates it private (0600); outputs are meant to be shared like any file the user
    writes, so it gets the usual mode under the process umask.
    """
    fd, name = _open_temp_beside(path, suffix)
    os.close(fd)
    return Path(name)


def _open_temp_beside(path: Path, suffix: str = "") -> tuple[int, str]:
    """The open descriptor and name of a new temp file beside ``path`` (see :func:`temp_beside`);
    the folder is created only when missing (one syscall saved per write in the common case)."""
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=suffix)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=suffix)
    os.fchmod(fd, _FILE_MODE)
    return fd, name


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part."""
    fd, tmp = _open_temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_replaceable(
    targets: Iterable[Path], *, overwrite: bool, inputs: Iterable[str | Path], out_hint: str
) -> None:
    """Refuse to write over an existing file unless ``overwrite``, and over an input ever.

    ``out_hint`` names the option that picks another place (``--out``, ``--out DIR``)."""
    given = list(inputs)
    for target in targets:
        if any(_same_file(target, source) for source in given):
            raise OutputExistsError(
                f"{target} is the input image; it is never overwritten",
                hint=f"pass another {out_hint}",
            )
        if target.exists() and not overwrite:
            raise OutputExistsError(
                f"{target} already exists", hint=f"pass --overwrite or {out_hint}"
            )


def _same_file(path: Path, other: str | Path) -> bool:
    try:
        return os.path.samefile(path, other)
    except OSError:  # either one missing: not the same file
        return False


def check_writable(folder: Path) -> None:
    """Create ``folder`` if needed and prove a file can be written in it, before any work is
    spent on outputs that could not be saved; a one-line :class:`~reelrag.errors.StorageError`
    (read-only, permission denied, full disk) otherwise."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix=".tmp-probe-")
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise from_os_error(exc, folder) from exc
