"""A fake GPU video generator: declares one GPU, "loads a model" once per instance, sleeps to
stand for the render and writes a small real MP4. Used to test and benchmark placement on a Ray
cluster with fake GPUs (``ray.init(num_gpus=4)``) on machines without any.

Register it where needed with :func:`register` (``--backend fake-gpu``). The manifest's
``details`` say which process, GPU and model load rendered each clip.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from reelrag.generation.base import (
    Capabilities,
    Generator,
    Progress,
    ResolvedRequest,
    VideoOutput,
    no_progress,
)
from reelrag.generation.resources import Resources
from reelrag.plugins import Registry, registry
from reelrag.settings import Settings


class FakeGpuGenerator(Generator):
    """Sleeps ``render_s`` per clip on "its GPU" (the one Ray assigned through
    ``CUDA_VISIBLE_DEVICES``); ``load_s`` once when created, like loading a pipeline."""

    name = "fake-gpu"
    model = "fake-gpu-v1"
    resources: ClassVar[Resources] = Resources(gpus=1.0, cpus=0.0)
    loads: ClassVar[int] = 0  # model loads in this process

    def __init__(self, *, render_s: float = 0.5, load_s: float = 0.0):
        time.sleep(load_s)
        FakeGpuGenerator.loads += 1
        self.load_id = uuid.uuid4().hex[:8]
        self.render_s = render_s
        self.capabilities = Capabilities(
            text_to_video=True, image_to_video=True, min_side_px=16, default_size=(64, 48),
            default_duration_s=0.5, default_fps=8, typical_latency_s=render_s,
            takes_preferences=False,
        )  # fmt: skip

    @classmethod
    def from_settings(cls, settings: Settings) -> FakeGpuGenerator:
        return cls()

    def generate(
        self, job: ResolvedRequest, image: Any, out: Path, progress: Progress = no_progress
    ) -> VideoOutput:
        steps = 5
        for step in range(steps):
            time.sleep(self.render_s / steps)
            progress((step + 1) / steps, "denoising")
        from reelrag.testing.remote import _gradient, _write_mp4

        frame = _gradient(job.width, job.height, job.seed)
        _write_mp4([np.roll(frame, i, axis=1) for i in range(job.frames)], job.fps, Path(out))
        details = {
            "pid": os.getpid(),
            "gpu": os.environ.get("CUDA_VISIBLE_DEVICES", ""),
            "load_id": self.load_id,
            "loads_in_process": FakeGpuGenerator.loads,
        }
        return VideoOutput(Path(out), job.frames, job.fps, job.width, job.height, self.model,
                           details=details)  # fmt: skip


@dataclass(frozen=True)
class FakeGpuBackend:
    """The registry entry for a fake GPU backend: instances of ``generator`` rendering in
    ``render_s`` seconds. Ray pickles it to the actors, so the latency travels with it."""

    render_s: float = 0.5
    generator: type[FakeGpuGenerator] = FakeGpuGenerator

    @property
    def resources(self) -> Resources:
        return self.generator.resources

    def from_settings(self, settings: Settings) -> FakeGpuGenerator:
        return self.generator(render_s=self.render_s)


def register(
    render_s: float = 0.5,
    name: str = "fake-gpu",
    generator: type[FakeGpuGenerator] = FakeGpuGenerator,
    into: Registry = registry,
) -> None:
    """Make ``--backend fake-gpu`` (or ``name``) available, each clip taking ``render_s``."""
    into.register("generator", name, FakeGpuBackend(render_s, generator))
