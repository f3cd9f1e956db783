"""A throw-away PostgreSQL cluster for tests and benchmarks: initdb into a temp folder, start it
on 127.0.0.1 and a free port (unix sockets in the folder), hand out one fresh database per test,
stop it at the end.

PostgreSQL refuses to run as root, so under root the server runs as ``nobody`` (via runuser) in a
folder it owns. :func:`unavailable` says why a cluster cannot start here (tests skip with it).
The binaries come from the OS (``scripts/install-postgres.sh`` installs Debian's).

>>> cluster = Cluster()          # doctest: +SKIP
>>> cluster.start()              # doctest: +SKIP
>>> url = cluster.database()     # doctest: +SKIP
>>> cluster.stop()               # doctest: +SKIP
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

RUN_AS = "nobody"


def bin_dir() -> Path | None:
    """The folder of initdb/pg_ctl (Debian's newest first, then PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    which = shutil.which("initdb")
    return Path(which).parent if which else None


def _version(path: str) -> int:
    part = path.split("/")[4]
    return int(part) if part.isdigit() else 0


def unavailable() -> str | None:
    """Why no cluster can start here, or None."""
    try:
        import psycopg  # noqa: F401
    except ModuleNotFoundError:
        return "psycopg is not installed (pip install 'reelrag[postgres]')"
    if bin_dir() is None:
        return "PostgreSQL server binaries not found (run scripts/install-postgres.sh as root)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: PostgreSQL refuses to run as root"
    return None


class Cluster:
    """One postgres server in a temp folder; :meth:`database` makes a fresh database."""

    def __init__(self) -> None:
        bins = bin_dir()
        if bins is None:
            raise RuntimeError(unavailable() or "PostgreSQL binaries not found")
        self.bins = bins
        self.dir = Path(tempfile.mkdtemp(prefix="reelrag-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, user=RUN_AS)

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "reelrag", "--no-sync",
                  "-E", "UTF8")  # fmt: skip
        options = (f"-k {self.dir} -c listen_addresses=127.0.0.1 -p {self.port} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=200")  # fmt: skip
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-o", options,
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://reelrag@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """The URL of a new, empty database."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bins / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", RUN_AS, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.dir)
        if done.returncode:
            log = self.dir / "log"
            tail = log.read_text()[-2000:] if log.is_file() else ""
            raise RuntimeError(f"{tool} failed: {done.stderr or done.stdout}\n{tail}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
