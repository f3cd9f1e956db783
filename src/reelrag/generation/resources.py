"""What one running instance of a generator needs on a cluster (used by the Ray executor).

A generator class may declare ``resources = Resources(...)``; otherwise :data:`DEFAULTS` (by
backend name) applies, then "remote services wait on I/O" for :class:`RemoteGenerator` subclasses,
then one CPU. Nothing here imports Ray.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reelrag.generation.base import RemoteGenerator


@dataclass(frozen=True)
class Resources:
    """One instance's needs: GPUs and CPUs it holds, or ``io`` for a backend that mostly waits on
    a remote service (its jobs share one actor's threads, bounded by the backend's cap).

    ``custom`` names cluster resources (e.g. ``(("spot", 1.0),)``) the instance must land on."""

    gpus: float = 0.0
    cpus: float = 1.0
    io: bool = False
    custom: tuple[tuple[str, float], ...] = ()

    def ray_options(self) -> dict[str, Any]:
        """Options for ``ray.remote(...).options(**...)`` of the actor hosting the generator."""
        options: dict[str, Any] = {"num_cpus": self.cpus, "num_gpus": self.gpus}
        if self.custom:
            options["resources"] = dict(self.custom)
        return options


# The long-lived GPU actor keeps a diffusers pipeline loaded between jobs; the camera renderer is
# CPU work; Bedrock jobs wait on the service, so they need threads, not cores.
DEFAULTS: dict[str, Resources] = {
    "diffusers": Resources(gpus=1.0, cpus=1.0),
    "camera": Resources(cpus=1.0),
    "bedrock": Resources(cpus=0.0, io=True),
}


def resources_for(name: str, cls: Any) -> Resources:
    """The resources of backend ``name`` implemented by class ``cls``.

    >>> resources_for("camera", object).cpus
    1.0
    """
    declared = getattr(cls, "resources", None)
    if isinstance(declared, Resources):
        return declared
    if name in DEFAULTS:
        return DEFAULTS[name]
    if isinstance(cls, type) and issubclass(cls, RemoteGenerator):
        return Resources(cpus=0.0, io=True)
    return Resources()
