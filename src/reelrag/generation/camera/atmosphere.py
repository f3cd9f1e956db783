"""Procedural atmosphere layers drawn over camera frames: snow, rain, drifting particles, sparks and
low fog.

Each layer is seeded, so the same seed draws the same flakes; positions are closed-form
functions of time (no state carried between frames), so any frame can be drawn on its own.
Layers draw straight onto the frame's Y, U and V planes (I420), the format the encoder takes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from reelrag.errors import InputError

__all__ = ["Layer", "build_layers"]


def yuv_of(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """BT.709 limited-range Y, U, V of an RGB colour (matches :func:`video.rgb_to_yuv420`)."""
    r, g, b = (c / 255.0 for c in rgb)
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    u, v = (b - y) / 1.8556, (r - y) / 1.5748
    return round(16 + 219 * y), round(128 + 224 * u), round(128 + 224 * v)


class Layer:
    """Draws one effect onto a frame's planes at time ``time_s``."""

    name: str

    def draw(self, y: np.ndarray, u: np.ndarray, v: np.ndarray, time_s: float) -> None:
        raise NotImplementedError


@dataclass
class Particles(Layer):
    """Points that move with a constant velocity plus a sideways sway, wrapping at the edges."""

    name: str
    x0: np.ndarray
    y0: np.ndarray
    vx: np.ndarray
    vy: np.ndarray
    sway: np.ndarray
    phase: np.ndarray
    radius: np.ndarray
    colors: np.ndarray  # (n, 3) Y, U, V
    width: int
    height: int
    streak_s: float = 0.0  # > 0 draws motion streaks (rain) of this exposure

    def positions(self, time_s: float) -> tuple[np.ndarray, np.ndarray]:
        pad = 8.0
        x = self.x0 + self.vx * time_s + self.sway * np.sin(time_s * 1.3 + self.phase)
        y = self.y0 + self.vy * time_s
        return (x % (self.width + 2 * pad)) - pad, (y % (self.height + 2 * pad)) - pad

    def draw(self, y: np.ndarray, u: np.ndarray, v: np.ndarray, time_s: float) -> None:
        xs, ys = self.positions(time_s)
        shift = 4  # sub-pixel precision for anti-aliased drawing
        scale = 1 << shift
        for i in range(len(xs)):
            cy, cu, cv = (int(c) for c in self.colors[i])
            p = (int(xs[i] * scale), int(ys[i] * scale))
            if self.streak_s:
                q = (
                    int((xs[i] - self.vx[i] * self.streak_s) * scale),
                    int((ys[i] - self.vy[i] * self.streak_s) * scale),
                )
                cv2.line(y, p, q, cy, 1, cv2.LINE_AA, shift)
                continue
            r = int(self.radius[i] * scale)
            cv2.circle(y, p, r, cy, -1, cv2.LINE_AA, shift)
            half = (p[0] // 2, p[1] // 2)
            cv2.circle(u, half, max(r // 2, scale // 2), cu, -1, cv2.LINE_AA, shift)
            cv2.circle(v, half, max(r // 2, scale // 2), cv, -1, cv2.LINE_AA, shift)


@dataclass
class Fog(Layer):
    """A low, slowly drifting band of fog: a seeded noise texture scrolled sideways."""

    noise: np.ndarray  # (h, w) float32 in [0, 1], horizontally tileable
    ramp: np.ndarray  # (band_h, 1) float32 density from top of band to bottom
    width: int
    height: int
    speed_px_s: float
    name: str = "fog"

    def draw(self, y: np.ndarray, u: np.ndarray, v: np.ndarray, time_s: float) -> None:
        band_h = self.ramp.shape[0]
        shift = (time_s * self.speed_px_s / self.width) * self.noise.shape[1]
        cols = (np.arange(self.noise.shape[1]) + shift) % self.noise.shape[1]
        lo = np.floor(cols).astype(np.int64)
        frac = (cols - lo).astype(np.float32)
        tex = self.noise[:, lo] * (1 - frac) + self.noise[:, (lo + 1) % self.noise.shape[1]] * frac
        alpha = cv2.resize(tex, (self.width, band_h), interpolation=cv2.INTER_LINEAR) * self.ramp
        band = y[self.height - band_h :]
        band[:] = (band + alpha * (200.0 - band)).astype(np.uint8)
        half = alpha[::2, ::2]
        for plane in (u, v):
            part = plane[plane.shape[0] - half.shape[0] :]
            part[:] = (part + half * (128.0 - part)).astype(np.uint8)


def build_layers(names: Sequence[str], width: int, height: int, seed: int) -> list[Layer]:
    """The layers named (snow, rain, particles, sparks, fog), seeded by ``seed``."""
    builders = {"snow": _snow, "rain": _rain, "particles": _dust, "sparks": _sparks, "fog": _fog}
    layers = []
    for index, name in enumerate(names):
        if name not in builders:
            raise InputError(f"unknown atmosphere {name!r}", hint=f"use {', '.join(builders)}")
        rng = np.random.default_rng([seed, index, 7])
        layers.append(builders[name](rng, width, height))
    return layers


def _points(rng: np.random.Generator, n: int, width: int, height: int) -> dict[str, Any]:
    return {
        "x0": rng.uniform(0, width, n),
        "y0": rng.uniform(0, height, n),
        "phase": rng.uniform(0, 2 * math.pi, n),
    }


def _colors(
    rng: np.random.Generator, n: int, rgb: tuple[int, int, int], spread: float
) -> np.ndarray:
    base = np.array(yuv_of(rgb), dtype=np.float64)
    gain = rng.uniform(1 - spread, 1.0, n)
    colors = np.empty((n, 3))
    colors[:, 0] = 16 + (base[0] - 16) * gain
    colors[:, 1:] = 128 + (base[1:] - 128) * gain[:, None]
    return colors.round()


def _snow(rng: np.random.Generator, width: int, height: int) -> Layer:
    scale = height / 720
    n = max(20, width * height // 3500)
    depth = rng.uniform(0.3, 1.0, n)  # near flakes are bigger and faster
    return Particles(
        "snow",
        **_points(rng, n, width, height),
        vx=rng.normal(8, 6, n) * scale,
        vy=(25 + 70 * depth) * scale,
        sway=rng.uniform(2, 10, n) * scale,
        radius=np.maximum(0.6, (0.8 + 2.2 * depth) * scale),
        colors=_colors(rng, n, (250, 250, 255), 0.15),
        width=width,
        height=height,
    )


def _rain(rng: np.random.Generator, width: int, height: int) -> Layer:
    scale = height / 720
    n = max(20, width * height // 2600)
    speed = rng.uniform(700, 1000, n) * scale
    return Particles(
        "rain",
        **_points(rng, n, width, height),
        vx=speed * 0.12,
        vy=speed,
        sway=np.zeros(n),
        radius=np.ones(n),
        colors=_colors(rng, n, (205, 210, 220), 0.25),
        width=width,
        height=height,
        streak_s=0.025,
    )


def _dust(rng: np.random.Generator, width: int, height: int) -> Layer:
    scale = height / 720
    n = max(15, width * height // 9000)
    return Particles(
        "particles",
        **_points(rng, n, width, height),
        vx=rng.normal(0, 8, n) * scale,
        vy=rng.normal(-4, 6, n) * scale,
        sway=rng.uniform(3, 14, n) * scale,
        radius=np.maximum(0.5, rng.uniform(0.6, 1.8, n) * scale),
        colors=_colors(rng, n, (245, 235, 210), 0.35),
        width=width,
        height=height,
    )


def _sparks(rng: np.random.Generator, width: int, height: int) -> Layer:
    scale = height / 720
    n = max(15, width * height // 8000)
    return Particles(
        "sparks",
        **_points(rng, n, width, height),
        vx=rng.normal(0, 20, n) * scale,
        vy=-rng.uniform(60, 160, n) * scale,
        sway=rng.uniform(4, 16, n) * scale,
        radius=np.maximum(0.6, rng.uniform(0.8, 2.0, n) * scale),
        colors=_colors(rng, n, (255, 160, 50), 0.3),
        width=width,
        height=height,
    )


def _fog(rng: np.random.Generator, width: int, height: int) -> Layer:
    band_h = max(4, int(height * 0.45) // 2 * 2)
    small = rng.random((max(4, band_h // 24), 48)).astype(np.float32)
    # wrap-around blur keeps the texture tileable as it scrolls
    noise = cv2.GaussianBlur(np.tile(small, (1, 3)), (0, 0), sigmaX=2.5)[:, 48:96]
    noise = (noise - noise.min()) / max(float(np.ptp(noise)), 1e-6)
    ramp = np.linspace(0.0, 1.0, band_h, dtype=np.float32) ** 1.5 * 0.6
    return Fog(
        noise=0.55 + 0.45 * noise,
        ramp=ramp[:, None],
        width=width,
        height=height,
        speed_px_s=width * 0.02,
    )
