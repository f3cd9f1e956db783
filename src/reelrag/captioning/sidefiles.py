"""Safe reads of the text files found beside images (sidecar captions, metadata tables).

They are named by whoever filled the folder, so a name may be a FIFO (opening it for reading
would block forever), a link to ``/dev/zero`` (endless), or a huge file: only regular files are
read (the check is on the opened descriptor, so a swap after a ``stat`` cannot slip through), a
sidecar only as far as a caption can use, a metadata table line by line with a cap per line.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 1 << 20  # one metadata row; longer lines are reported and skipped


def open_regular(path: Path) -> BinaryIO | None:
    """``path`` opened for binary reading when it is a regular file (links followed); None for
    anything else (missing, a folder, a FIFO, a device, a socket) or when it cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            log.warning("ignoring %s: not a regular file", path)
            os.close(fd)
            return None
        return open(fd, "rb", closefd=True)
    except OSError:
        os.close(fd)
        return None


def read_head(path: Path, max_bytes: int) -> str | None:
    """At most ``max_bytes`` of a regular file as text (bad UTF-8 replaced); None when absent or
    not a regular file."""
    handle = open_regular(path)
    if handle is None:
        return None
    with handle:
        try:
            data = handle.read(max_bytes)
        except OSError:
            return None
    return data.decode("utf-8", errors="replace")


def text_lines(path: Path, handle: BinaryIO) -> Iterator[tuple[int, str]]:
    """(line number, text) of each line; a line that is not UTF-8 or longer than
    MAX_LINE_BYTES is reported with its number and skipped, the others are kept."""
    number = 0
    while raw := handle.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            log.warning("%s line %d is longer than %d bytes; skipped", path, number, MAX_LINE_BYTES)
            while (rest := handle.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass  # the rest of the long line
            continue
        try:
            yield number, raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            log.warning("%s line %d is not UTF-8 (%s); skipped", path, number, exc.reason)
