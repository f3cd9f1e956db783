"""The one exception tree of ReelRAG.

Every error a user can meet derives from :class:`ReelragError`. Each carries a message that says
what happened and a ``hint`` that says what to do next; ``retryable`` tells the job system whether
trying again later can succeed. Vendor exceptions are translated at the backend boundary and
chained with ``raise ... from exc``.
"""

from __future__ import annotations

import errno
import os


class ReelragError(Exception):
    """Base of every ReelRAG error.

    >>> str(ReelragError("no library here", hint="run `reelrag ingest PATH` first"))
    'no library here (run `reelrag ingest PATH` first)'
    """

    retryable: bool = False
    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None, retryable: bool | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if retryable is not None:
            self.retryable = retryable

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form for ``--json`` output, job records and the HTTP API."""
        return {
            "error": type(self).__name__,
            "message": self.message,
            "hint": self.hint,
            "retryable": self.retryable,
        }


class ConfigError(ReelragError):
    """A setting is missing, malformed or contradicts another."""

    exit_code = 2


class InputError(ReelragError):
    """The user's input (a file, a prompt, a flag value) cannot be used as given."""

    exit_code = 2


class DecodeError(InputError):
    """An image file cannot be decoded safely."""


class CapabilityError(InputError):
    """A request asks a backend for something it cannot do (size, duration, fps, prompt length)."""


class OutputExistsError(InputError):
    """An output path exists and overwriting was not asked for."""


class NotFoundError(ReelragError):
    """An asset, job, output or backend name does not exist."""


class NoMatchError(ReelragError):
    """Retrieval found nothing above the score threshold."""


class IndexMismatchError(ReelragError):
    """The index was built with another embedder than the one configured."""


class MissingDependencyError(ReelragError):
    """An optional extra or a model's files are not installed."""


class BudgetError(ReelragError):
    """A batch's estimated cost exceeds the budget the user set."""


class BackendError(ReelragError):
    """A backend failed; ``retryable`` says whether trying again may help."""


class RetryableBackendError(BackendError):
    """Throttling, a timeout or a service hiccup: the job system backs off and retries."""

    retryable = True


class ContentFilteredError(BackendError):
    """The provider's content filters blocked the input or the output. Not retryable."""


class AccessDeniedError(BackendError):
    """Credentials lack a permission or a model is not enabled for the account."""


class CancelledError(ReelragError):
    """A job was cancelled by the user."""


class NoWorkerError(ReelragError):
    """Jobs wait to run but no worker is running to take them."""


class RemoteFailedError(BackendError):
    """The remote job itself ended in failure: it will never finish, so a retry submits anew
    (with a fresh idempotency token; the old one names the dead invocation)."""


class RemoteCapacityError(RemoteFailedError, RetryableBackendError):
    """The provider gave up on the remote job for lack of capacity: retryable, by resubmitting."""


class OutputFilteredError(RemoteFailedError, ContentFilteredError):
    """The provider's content filters blocked the generated output (the remote job is over)."""


class StorageError(ReelragError):
    """The file system refused a file or folder: permissions, read-only, full, name too long."""


class NotWritableError(StorageError):
    """Permission denied or a read-only file system where an output goes."""


class DiskFullError(StorageError):
    """No space left on the device, or the disk quota is used up."""


_OS_ERRORS: dict[int, tuple[type[StorageError], str, str]] = {
    errno.EACCES: (NotWritableError, "permission denied: {path}", "choose a location you can "
                   "write to (e.g. --out or --workspace) or fix its permissions"),
    errno.EPERM: (NotWritableError, "operation not permitted on {path}", "choose a location you "
                  "can write to (e.g. --out or --workspace) or fix its permissions"),
    errno.EROFS: (NotWritableError, "{path} is on a read-only file system",
                  "write elsewhere (e.g. --out or --workspace)"),
    errno.ENOSPC: (DiskFullError, "no space left on the device while writing {path}",
                   "free disk space or write elsewhere with --out"),
    errno.EDQUOT: (DiskFullError, "disk quota exceeded while writing {path}",
                   "free space in your quota or write elsewhere with --out"),
    errno.ENAMETOOLONG: (StorageError, "the file name is too long: {path}",
                         "use a shorter name or folder"),
    errno.ENOTDIR: (StorageError, "a file stands where a folder is needed in {path}",
                    "choose another location or move that file"),
    errno.EISDIR: (StorageError, "{path} is a folder, not a file", "name a file"),
    errno.ENOENT: (StorageError, "{path} does not exist", "check the path"),
    errno.EIO: (StorageError, "input/output error on {path}", "check the disk"),
}  # fmt: skip


def first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message (its type's name when it has none), for one-line
    errors that wrap a library's own.

    >>> first_line(ValueError("bad graph\\n  at node 3"))
    'bad graph'
    >>> first_line(KeyError())
    'KeyError'
    """
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def from_os_error(exc: OSError, path: str | os.PathLike[str] | None = None) -> ReelragError:
    """The one-line ReelRAG error for an operating-system error on ``path`` (default: the path
    the error names). The one place that maps errno kinds to the error tree.

    >>> str(from_os_error(OSError(errno.EROFS, "Read-only file system", "/mnt/out/clip.mp4")))
    '/mnt/out/clip.mp4 is on a read-only file system (write elsewhere (e.g. --out or --workspace))'
    """
    where = os.fspath(path) if path is not None else exc.filename
    where = os.fsdecode(where) if where is not None else "a file"
    if os.path.basename(where).startswith(".tmp-"):  # our temp file: its folder is what counts
        where = os.path.dirname(where)
    kind = _OS_ERRORS.get(exc.errno or -1)
    if kind is None:
        return StorageError(f"cannot use {where}: {exc.strerror or exc}", hint="check the path")
    cls, message, hint = kind
    return cls(message.format(path=where), hint=hint)
