"""Who holds a job's lease, and whether that worker is a process of this host that is gone.

A worker's id is ``<host>-<pid>-<random>``, stored as the lease owner of every job it runs. A
worker killed with SIGKILL leaves its leases behind; another worker would wait for them to expire
(``lease_s``, a minute by default). When the owner ran on this host and its pid no longer exists,
its leases are free at once. Anything else (another host, an id in another form, a pid that
exists, perhaps reused) waits for the lease to expire: that is never wrong, only slower.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Lease:
    """A running job's lease: its owner and the seconds left (negative: expired)."""

    job_id: str
    owner: str
    seconds_left: float


def worker_id() -> str:
    """A new worker id naming this host and process."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def owner_process(owner: str) -> tuple[str, int] | None:
    """(host, pid) of a worker id made by :func:`worker_id`; None for other ids.

    >>> owner_process("studio-7.local-4242-a1b2c3"), owner_process("w1")
    (('studio-7.local', 4242), None)
    """
    head = owner.rpartition("-")[0]  # without the random part
    host, _, pid = head.rpartition("-")
    if not host or not pid.isdigit():
        return None
    return host, int(pid)


def owner_gone(owner: str) -> bool:
    """True when ``owner`` was a worker process of this host that no longer exists."""
    process = owner_process(owner)
    if process is None or process[0] != socket.gethostname() or process[1] == os.getpid():
        return False
    try:
        os.kill(process[1], 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by another user
        return False
    return False
