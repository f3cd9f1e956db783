"""Motion measured from pixels: sub-pixel shifts between frames and the jitter of a clip.

Phase correlation, low-pass weighted and refined on an upsampled DFT around the peak, accurate to
about 0.01 px (OpenCV's ``phaseCorrelate`` is off by tenths of a pixel on sub-pixel shifts).
Used by the camera engine's tests and benchmarks and by output QA.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import cv2
import numpy as np

PHASE_SIGMA = 0.1  # cycles per pixel: the low-pass on the phase-correlation spectrum


def _dft_window(spectrum: np.ndarray, centre: np.ndarray, span: float, points: int) -> np.ndarray:
    """The inverse DFT of ``spectrum`` sampled on a ``points`` x ``points`` grid of spacing
    ``span / points`` px around ``centre`` (dy, dx): a zoom into the correlation surface by
    two matrix products, far cheaper than zero-padding the whole FFT."""
    offsets = (np.arange(points) - points // 2) * (span / points)
    rows, cols = spectrum.shape
    ky, kx = np.fft.fftfreq(rows), np.fft.fftfreq(cols)
    left = np.exp(2j * np.pi * np.outer(centre[0] + offsets, ky))
    right = np.exp(2j * np.pi * np.outer(kx, centre[1] + offsets))
    window: np.ndarray = left @ spectrum @ right
    return window


@functools.lru_cache(maxsize=8)
def _low_pass(shape: tuple[int, int]) -> np.ndarray:
    """Gaussian weights over the spectrum, sigma :data:`PHASE_SIGMA` cycles per pixel."""
    fy, fx = np.meshgrid(np.fft.fftfreq(shape[0]), np.fft.fftfreq(shape[1]), indexing="ij")
    weights: np.ndarray = np.exp(-(fx**2 + fy**2) / (2 * PHASE_SIGMA**2))
    return weights


def phase_shift(previous: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """(dx, dy): how far ``current`` moved from ``previous`` (2-D spectra of windowed frames).

    Phase correlation, its whitened spectrum weighted toward low frequencies (above about
    0.2 cycles/px 8-bit rounding and each resampler's own phase error outweigh the picture,
    and pull the estimate toward whole pixels), and its peak refined to under 1/1000 px on an
    upsampled DFT (Guizar-Sicairos et al., 2008). OpenCV's ``phaseCorrelate`` (unweighted,
    5x5 centroid) is off by tenths of a pixel on sub-pixel shifts, which swamps a 0.001 px^2
    limit.
    """
    product = current * np.conj(previous)
    product *= _low_pass(product.shape) / np.maximum(np.abs(product), 1e-12)
    surface = np.abs(np.fft.ifft2(product))
    peak = np.array(np.unravel_index(int(np.argmax(surface)), surface.shape), float)
    size = np.array(surface.shape, float)
    centre = np.where(peak > size / 2, peak - size, peak)
    for span in (3.0, 0.15, 0.0075):  # +-1.5 px in 0.15 px steps, then 20x finer, twice
        zoom = np.abs(_dft_window(product, centre, span, 20))
        best = np.array(np.unravel_index(int(np.argmax(zoom)), zoom.shape), float)
        centre = centre + (best - 10) * (span / 20)
    return float(centre[1]), float(centre[0])


def frame_shifts(frames: Iterable[np.ndarray]) -> np.ndarray:
    """(n - 1, 2) shifts (dx, dy) in pixels between consecutive grey frames, by phase correlation
    with a Hanning window (see :func:`phase_shift`). Positive dx: the picture moved right."""
    window: np.ndarray | None = None
    previous: np.ndarray | None = None
    shifts = []
    for frame in frames:
        grey = np.asarray(frame, dtype=np.float32)
        grey = grey.mean(axis=2) if grey.ndim == 3 else grey
        if window is None:
            window = cv2.createHanningWindow(grey.shape[::-1], cv2.CV_32F)
        spectrum = np.fft.fft2((grey - grey.mean()) * window)
        if previous is not None:
            shifts.append(phase_shift(previous, spectrum))
        previous = spectrum
    return np.array(shifts, dtype=np.float64).reshape(-1, 2)


def jitter_px2(frames: Iterable[np.ndarray]) -> float:
    """Motion jitter: variance of the frame-to-frame change of the shift, x and y summed (px^2).

    A smooth move scores near 0; whole-pixel snapping (ffmpeg zoompan) scores ~0.4.
    """
    steps = np.diff(frame_shifts(frames), axis=0)
    return float(steps[:, 0].var() + steps[:, 1].var()) if len(steps) > 1 else 0.0
