"""What the detector adds: temporal noise (NETD), fixed-pattern offsets, slow drift, blur, rain.

NETD is specified at 25 °C and applied in radiance, so it shrinks (in kelvin) on hot pixels as it
does on a real bolometer. Fixed-pattern offsets include the MLX90640's chess-pattern between its
two interleaved subpages. Drift is the whole array wandering as the module warms and cools.
Raindrops passing close to the lens show as short cool vertical streaks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hw.sim.radiometry import radiance_slope


@dataclass(frozen=True, slots=True)
class NoiseModel:
    netd_k: float = 0.2
    fixed_pattern_k: float = 0.25
    chess_k: float = 0.08
    drift_k: float = 0.4
    drift_period_s: float = 1800.0
    blur: float = 0.06  # fraction of a pixel's radiance spilling into each 4-neighbour
    quantum_c: float = 0.01  # the module reports hundredths of a degree

    def fixed_pattern(self, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        h, w = shape
        chess = self.chess_k * np.where((np.add.outer(np.arange(h), np.arange(w)) % 2) == 0, 1.0, -1.0)
        return (rng.normal(0.0, self.fixed_pattern_k, shape) + chess).astype(np.float32)

    def drift(self, t: np.ndarray, phase: float) -> np.ndarray:
        slow = np.sin(2 * math.pi * t / self.drift_period_s + phase)
        slower = 0.5 * np.sin(2 * math.pi * t / (self.drift_period_s * 3.7) + 2 * phase)
        return (self.drift_k * (slow + slower) / 1.5).astype(np.float32)

    @property
    def radiance_sigma(self) -> float:
        return self.netd_k * radiance_slope(25.0)


def blur_radiance(rad: np.ndarray, amount: float) -> np.ndarray:
    """Spill ``amount`` of each pixel into its 4 neighbours (edges replicate): a soft lens PSF."""
    if amount <= 0:
        return rad
    padded = np.pad(rad, ((0, 0), (1, 1), (1, 1)), mode="edge")
    neighbours = padded[:, :-2, 1:-1] + padded[:, 2:, 1:-1] + padded[:, 1:-1, :-2] + padded[:, 1:-1, 2:]
    return (1.0 - 4.0 * amount) * rad + amount * neighbours


def rain_streaks(frames: np.ndarray, intensity: np.ndarray, rng: np.random.Generator) -> None:
    """Add short cool vertical streaks, in place; their number per frame scales with ``intensity``."""
    n, h, w = frames.shape
    counts = rng.poisson(3.0 * intensity)
    total = int(counts.sum())
    if total == 0:
        return
    frame_idx = np.repeat(np.arange(n), counts)
    col = rng.integers(0, w, total)
    top = rng.integers(-2, h, total)
    length = rng.integers(2, max(3, h // 4), total)
    delta = rng.uniform(-1.5, -0.3, total).astype(np.float32)
    for k in range(int(length.max())):
        rows = top + k
        ok = (k < length) & (rows >= 0) & (rows < h)
        np.add.at(frames, (frame_idx[ok], rows[ok], col[ok]), delta[ok])
