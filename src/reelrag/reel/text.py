"""On-screen text: titles, lower thirds and burned-in subtitles, drawn with a real font inside
each aspect ratio's title-safe area and blended into frames with short fades.

The font is DejaVu Sans Bold (free licence) from the system or matplotlib when present, else
the font Pillow ships (Aileron, CC0) -- always a scalable TrueType font, never a bitmap one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = ["Overlay", "font", "font_name", "render_block", "wrap"]

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
)


@functools.lru_cache(maxsize=1)
def _font_path() -> str | None:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    try:  # matplotlib ships DejaVu; use it when installed (the samples extra)
        import matplotlib

        bundled = Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans-Bold.ttf"
        return str(bundled) if bundled.is_file() else None
    except ImportError:
        return None


def font_name() -> str:
    """The font in use, for manifests."""
    path = _font_path()
    return Path(path).stem if path else "Aileron (Pillow)"


@functools.lru_cache(maxsize=32)
def font(size_px: int) -> Any:
    """The reel font at ``size_px``."""
    path = _font_path()
    return ImageFont.truetype(path, size_px) if path else ImageFont.load_default(size=size_px)


def wrap(text: str, face: Any, width_px: int) -> list[str]:
    """Words in lines no wider than ``width_px`` (a longer word stands alone)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and face.getlength(trial) > width_px:
            lines.append(current)
            current = word
        else:
            current = trial
    return [*lines, current] if current else lines


def render_block(
    lines: list[str], size_px: int, *, align: str = "center", box: bool = True
) -> np.ndarray:
    """RGBA (H, W, 4) float32 in [0, 1]: white text with a dark outline on a translucent box."""
    face = font(size_px)
    pad, gap = round(size_px * 0.45), round(size_px * 0.25)
    widths = [round(face.getlength(line)) for line in lines]
    line_h = round(size_px * 1.2)
    w = max(widths, default=0) + 2 * pad
    h = line_h * len(lines) + gap * max(0, len(lines) - 1) + 2 * pad
    image = Image.new("RGBA", (max(2, w), max(2, h)), (0, 0, 0, 140 if box else 0))
    draw = ImageDraw.Draw(image)
    stroke = max(1, size_px // 14)
    for i, (line, lw) in enumerate(zip(lines, widths, strict=True)):
        x = pad if align == "left" else (w - lw) // 2
        y = pad + i * (line_h + gap)
        draw.text(
            (x, y),
            line,
            font=face,
            fill=(255, 255, 255, 255),
            stroke_width=stroke,
            stroke_fill=(0, 0, 0, 255),
        )
    return np.asarray(image, dtype=np.float32) / 255.0


@dataclass(frozen=True)
class Overlay:
    """A text block at (x, y) from frame ``start`` to ``end`` (exclusive), fading in and out.

    Blended straight into I420 frames (the encoder's format): the block is converted once to
    BT.709 Y, U, V planes with its alpha at full and at chroma resolution.
    """

    rgba: np.ndarray
    x: int
    y: int
    start: int
    end: int
    fade: int = 6
    role: str = "title"
    text: str = ""

    def opacity(self, frame: int) -> float:
        if not self.start <= frame < self.end:
            return 0.0
        ramp = max(1, self.fade)
        return float(min(1.0, (frame - self.start + 1) / ramp, (self.end - frame) / ramp))

    @functools.cached_property
    def _planes(self) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """((Y, alpha), (U, alpha/2), (V, alpha/2)) float32 planes of the block, even-sized."""
        from reelrag.media.video import rgb_to_yuv420
        from reelrag.reel.yuv import planes

        h, w = self.rgba.shape[:2]
        block = np.pad(self.rgba, ((0, h % 2), (0, w % 2), (0, 0)))
        h, w = block.shape[:2]
        rgb = (block[..., :3] * block[..., 3:4] * 255.0 + 0.5).astype(np.uint8)  # premultiplied
        y, u, v = (p.astype(np.float32) for p in planes(rgb_to_yuv420(rgb)))
        alpha = block[..., 3]
        half = cv2.resize(alpha, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        # premultiplied: plane = value * alpha, with black's Y 16 and U/V 128 taken out
        return (
            (y - 16 * (1 - alpha), alpha),
            (u - 128 * (1 - half), half),
            (v - 128 * (1 - half), half),
        )

    def blend(self, planes: tuple[np.ndarray, np.ndarray, np.ndarray], frame: int) -> None:
        """Draw onto I420 ``planes`` (Y, U, V views) in place at this frame's opacity."""
        alpha = self.opacity(frame)
        if alpha <= 0:
            return
        x, y = self.x - self.x % 2, self.y - self.y % 2
        for k, (plane, (value, a)) in enumerate(zip(planes, self._planes, strict=True)):
            step = 1 if k == 0 else 2
            _blend_plane(plane, value, a, x // step, y // step, alpha)


def _blend_plane(
    plane: np.ndarray, value: np.ndarray, a: np.ndarray, x: int, y: int, opacity: float
) -> None:
    h, w = plane.shape
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(w, x + value.shape[1]), min(h, y + value.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    part = (slice(y0 - y, y1 - y), slice(x0 - x, x1 - x))
    region = plane[y0:y1, x0:x1].astype(np.float32)
    mixed = region * (1 - a[part] * opacity) + value[part] * opacity
    plane[y0:y1, x0:x1] = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
