"""A simulated remote video backend for tests and benchmarks: a test twin, not a product backend.

:func:`register` adds it to the registry as ``generator.simulated`` (with its latency); then
``--backend simulated`` works like any remote backend.

It behaves like an asynchronous cloud service: :meth:`submit` returns a remote id at once, the
video is "ready" ``latency_s`` seconds later, :meth:`collect` writes a real (small) H.264 MP4. Every
submission is recorded in a durable SQLite ledger under the workspace that counts submissions per
idempotency token, so tests can prove a batch never paid twice for one job.

Failure injection by prompt text: ``FAIL`` -> the input is content-filtered at submission (not
retryable); ``THROTTLE`` -> the first submission per token is throttled (retryable); ``BROKEN``
-> the remote job fails while running; ``TIMEOUT`` -> the first submission per token is accepted
(and paid) but its answer is lost, as a read timeout on Bedrock's StartAsyncInvoke (retryable, the
outcome unknown); ``CAPACITY`` -> the first remote job for the prompt fails with "Service capacity
exceeded" (retryable by resubmitting: that invocation is dead); ``SLOWSTATUS`` -> the first three
status polls per remote job are throttled (the job itself runs on).

Like Bedrock, a submission with a token already used answers with that token's remote id; the
ledger still counts the call, so a count above 1 means a retry did not look the token up first.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reelrag.errors import (
    ContentFilteredError,
    NotFoundError,
    RemoteCapacityError,
    RetryableBackendError,
)
from reelrag.generation.base import (
    Capabilities,
    Progress,
    RemoteGenerator,
    ResolvedRequest,
    VideoOutput,
    no_progress,
)
from reelrag.generation.resources import Resources
from reelrag.plugins import Registry, registry
from reelrag.settings import Settings
from reelrag.storage.local import temp_beside

_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    token TEXT PRIMARY KEY,
    remote_id TEXT NOT NULL UNIQUE,
    prompt TEXT NOT NULL,
    width INTEGER NOT NULL, height INTEGER NOT NULL, fps INTEGER NOT NULL, frames INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    submits INTEGER NOT NULL DEFAULT 1,
    submitted_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS throttles (token TEXT PRIMARY KEY, count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS doomed (remote_id TEXT PRIMARY KEY);
"""


class SimulatedGenerator(RemoteGenerator):
    """A fake asynchronous service with a configurable latency and a durable submission ledger."""

    name = "simulated"
    model = "simulated-v1"

    def __init__(
        self, ledger_path: Path | str, *, latency_s: float = 2.0, max_concurrency: int = 0
    ):
        self.ledger_path = Path(ledger_path)
        self.inputs_dir = self.ledger_path.parent / "inputs"
        self.latency_s = float(latency_s)
        self.max_concurrency = max_concurrency  # 0: the worker's default applies
        self.capabilities = Capabilities(
            text_to_video=True,
            image_to_video=True,
            min_side_px=32,
            max_side_px=1920,
            max_duration_s=10.0,
            cost_per_second_usd=0.08,
            typical_latency_s=self.latency_s,
            default_size=(256, 144),
            default_duration_s=1.0,
            default_fps=8,
            takes_preferences=False,  # placeholder clips: the job system is what is measured
        )
        self.ledger_path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode = WAL")
            db.executescript(_SCHEMA)

    @classmethod
    def from_settings(cls, settings: Settings) -> SimulatedGenerator:
        return cls(ledger_path(settings))

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        # One short connection per call: safe from any thread or process, like a remote service.
        with closing(sqlite3.connect(self.ledger_path, timeout=30)) as db, db:
            db.execute("PRAGMA busy_timeout = 30000")
            # WAL without fsync per commit: survives a killed process, which is what tests need
            db.execute("PRAGMA synchronous = NORMAL")
            yield db

    # -- the remote contract ---------------------------------------------------------------

    def submit(self, job: ResolvedRequest, image: Any, token: str) -> str:
        prompt = job.request.prompt
        if "FAIL" in prompt:
            raise ContentFilteredError(
                "the simulated service blocked the input (prompt contains FAIL)",
                hint="change the prompt",
            )
        if "THROTTLE" in prompt and self._fault(token):
            raise RetryableBackendError("the simulated service is throttling requests")
        remote_id = "sim-" + hashlib.sha256(token.encode()).hexdigest()[:16]
        if "CAPACITY" in prompt and self._fault(f"capacity:{prompt}"):
            with self._db() as db:
                db.execute("INSERT OR IGNORE INTO doomed VALUES (?)", (remote_id,))
        if image is not None:
            self._save_input(remote_id, image)
        with self._db() as db:
            db.execute(
                "INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?) "
                "ON CONFLICT(token) DO UPDATE SET submits = submits + 1",
                (
                    token,
                    remote_id,
                    prompt,
                    job.width,
                    job.height,
                    job.fps,
                    job.frames,
                    job.seed,
                    time.time(),
                ),
            )
        if "TIMEOUT" in prompt and self._fault(f"timeout:{token}"):
            raise RetryableBackendError("the simulated service did not answer in time")
        return remote_id

    def find(self, token: str) -> str | None:
        with self._db() as db:
            row = db.execute("SELECT remote_id FROM submissions WHERE token=?", (token,)).fetchone()
        return None if row is None else str(row[0])

    def poll(self, remote_id: str) -> tuple[str, str]:
        row = self._row(remote_id)
        if "SLOWSTATUS" in row["prompt"] and self._fault(f"status:{remote_id}", times=3):
            raise RetryableBackendError("the simulated status call is throttled")
        elapsed = time.time() - row["submitted_at"]
        if elapsed < self.latency_s:
            return "running", f"{elapsed / self.latency_s:.0%} of the simulated render"
        if self._doomed(remote_id):
            raise RemoteCapacityError("the simulated render failed: Service capacity exceeded")
        if "BROKEN" in row["prompt"]:
            return "failed", "the simulated render failed (prompt contains BROKEN)"
        return "succeeded", "ready"

    def collect(self, remote_id: str, out: Path) -> VideoOutput:
        row = self._row(remote_id)
        frames = _frames(self._load_input(remote_id, row), row["frames"], row["seed"])
        _write_mp4(frames, row["fps"], Path(out))
        return VideoOutput(
            video=Path(out),
            frames=row["frames"],
            fps=row["fps"],
            width=row["width"],
            height=row["height"],
            model=self.model,
            details={"remote_id": remote_id},
        )

    def generate(
        self, job: ResolvedRequest, image: Any, out: Path, progress: Progress = no_progress
    ) -> VideoOutput:
        """Submit, wait and collect in one call (for direct, non-job use)."""
        token = f"direct-{job.seed}-{hashlib.sha256(job.request.prompt.encode()).hexdigest()[:16]}"
        remote_id = self.find(token) or self.submit(job, image, token)
        while (state := self.poll(remote_id))[0] == "running":
            progress(
                min(0.99, (time.time() - self._row(remote_id)["submitted_at"]) / self.latency_s),
                state[1],
            )
            time.sleep(max(0.005, self.latency_s / 20))
        if state[0] == "failed":
            raise ContentFilteredError(state[1], hint="change the prompt")
        return self.collect(remote_id, out)

    # -- ledger views for tests and benchmarks ---------------------------------------------

    def submissions(self) -> dict[str, int]:
        """Submission calls per token (1 everywhere means nothing was submitted twice)."""
        with self._db() as db:
            return dict(db.execute("SELECT token, submits FROM submissions").fetchall())

    def submission_times(self) -> list[float]:
        """When each first submission arrived (the service's clock), oldest first."""
        with self._db() as db:
            rows = db.execute("SELECT submitted_at FROM submissions ORDER BY submitted_at")
            return [float(at) for (at,) in rows.fetchall()]

    # -- helpers ---------------------------------------------------------------------------

    def _fault(self, key: str, times: int = 1) -> bool:
        """True the first ``times`` calls for ``key`` (an injected fault), then False."""
        with self._db() as db:
            row = db.execute("SELECT count FROM throttles WHERE token=?", (key,)).fetchone()
            if row is not None and row[0] >= times:
                return False
            db.execute(
                "INSERT INTO throttles VALUES (?, 1) "
                "ON CONFLICT(token) DO UPDATE SET count = count + 1",
                (key,),
            )
        return True

    def _doomed(self, remote_id: str) -> bool:
        with self._db() as db:
            row = db.execute("SELECT 1 FROM doomed WHERE remote_id=?", (remote_id,)).fetchone()
        return row is not None

    def _row(self, remote_id: str) -> sqlite3.Row:
        with self._db() as db:
            db.row_factory = sqlite3.Row
            row = db.execute("SELECT * FROM submissions WHERE remote_id=?", (remote_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"the simulated service has no job {remote_id!r}")
        return row

    def _save_input(self, remote_id: str, image: Any) -> None:
        target = self.inputs_dir / f"{remote_id}.npy"
        tmp = temp_beside(target, suffix=".npy")
        with open(tmp, "wb") as handle:
            np.save(handle, np.asarray(image.convert("RGB"), dtype=np.uint8))
        os.replace(tmp, target)

    def _load_input(self, remote_id: str, row: sqlite3.Row) -> np.ndarray:
        path = self.inputs_dir / f"{remote_id}.npy"
        if path.is_file():
            arr: np.ndarray = np.load(path)
            if arr.shape[:2] == (row["height"], row["width"]):
                return arr
        return _gradient(row["width"], row["height"], row["seed"])


def _gradient(width: int, height: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=3)
    x = np.linspace(0, 1, width)[None, :, None]
    y = np.linspace(0, 1, height)[:, None, None]
    return ((base * 0.5 + 127 * x + 64 * y) % 256).astype(np.uint8)


def _frames(image: np.ndarray, count: int, seed: int) -> list[np.ndarray]:
    """A slow horizontal drift over the image: cheap, deterministic, visibly moving."""
    step = max(1, image.shape[1] // (8 * max(1, count)))
    return [np.ascontiguousarray(np.roll(image, i * step, axis=1)) for i in range(count)]


def _write_mp4(frames: list[np.ndarray], fps: int, out: Path) -> None:
    """H.264 yuv420p MP4, written to a temp file and renamed so readers never see a part."""
    import av  # PyAV is a core dependency; imported here to keep `import reelrag` light

    tmp = str(temp_beside(out, suffix=".mp4"))
    try:
        with av.open(tmp, "w", format="mp4", options={"movflags": "+faststart"}) as container:
            stream = container.add_stream("libx264", rate=fps)
            stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
            stream.pix_fmt = "yuv420p"
            stream.options = {"preset": "ultrafast", "crf": "28"}
            for arr in frames:
                container.mux(stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")))
            container.mux(stream.encode(None))
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ledger_path(settings: Settings) -> Path:
    """Where the simulated service keeps its submission ledger: under the workspace."""
    return Path(settings.workspace) / "simulated" / "ledger.sqlite"


@dataclass(frozen=True)
class SimulatedBackend:
    """The registry entry for ``generator.simulated``: builds generators with one latency."""

    latency_s: float = 2.0

    @property
    def resources(self) -> Resources:
        """It waits on "the service", like Bedrock: threads of one I/O actor, not cores."""
        return Resources(cpus=0.0, io=True)

    def from_settings(self, settings: Settings) -> SimulatedGenerator:
        return SimulatedGenerator(ledger_path(settings), latency_s=self.latency_s)


def register(latency_s: float = 2.0, into: Registry = registry) -> None:
    """Make ``--backend simulated`` available, each job taking ``latency_s`` seconds.

    >>> register(latency_s=0.1)
    >>> "simulated" in registry.names("generator")
    True
    """
    into.register("generator", "simulated", SimulatedBackend(latency_s))
