"""The "iron" false-colour palette thermographers use: black → violet → red → orange → yellow → white."""

from __future__ import annotations

import numpy as np

_ANCHORS: list[tuple[float, tuple[int, int, int]]] = [
    (0.00, (0, 0, 0)),
    (0.15, (32, 0, 96)),
    (0.35, (128, 0, 160)),
    (0.55, (220, 40, 60)),
    (0.72, (250, 120, 0)),
    (0.88, (255, 210, 20)),
    (1.00, (255, 255, 230)),
]


def iron_lut(n: int = 256) -> np.ndarray:
    """``[n, 3]`` uint8 RGB."""
    xs = np.linspace(0.0, 1.0, n)
    pos = np.array([a for a, _ in _ANCHORS])
    rgb = np.array([c for _, c in _ANCHORS], dtype=np.float64)
    return np.stack([np.interp(xs, pos, rgb[:, i]) for i in range(3)], axis=1).round().astype(np.uint8)


IRON = iron_lut()
