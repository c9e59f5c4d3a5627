"""Zones and masks from config: normalized polygons → boolean pixel masks, once per frame shape.

A pixel belongs to a polygon when its centre is inside it (even-odd rule). Mask pixels are
never processed: they are excluded from the background, from foreground and from tamper.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from firmware.config.detection import ZoneSection


def rasterise(polygon: list[tuple[float, float]], shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    xs = (np.arange(w, dtype=np.float64) + 0.5) / w
    ys = (np.arange(h, dtype=np.float64) + 0.5) / h
    px, py = np.meshgrid(xs, ys)
    inside = np.zeros(shape, dtype=bool)
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        if y1 == y2:
            continue
        crosses = (y1 > py) != (y2 > py)
        x_at = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (px < x_at)
    return inside


@dataclass(frozen=True, slots=True)
class Zone:
    name: str
    mask: np.ndarray
    loiter_s: float
    armed: bool


class ZoneMap:
    """The rasterised zones for one frame shape; rebuilt only when the shape changes."""

    def __init__(self, zones: list[ZoneSection]) -> None:
        self._config = zones
        self.shape: tuple[int, int] | None = None
        self.watched = np.ones((1, 1), dtype=bool)
        self.zones: list[Zone] = []

    @property
    def has_zones(self) -> bool:
        return any(z.kind == "zone" for z in self._config)

    def for_shape(self, shape: tuple[int, int]) -> ZoneMap:
        if shape != self.shape:
            self.shape = shape
            watched = np.ones(shape, dtype=bool)
            self.zones = []
            for z in self._config:
                mask = rasterise(z.polygon, shape)
                if z.kind == "mask":
                    watched &= ~mask
                else:
                    self.zones.append(Zone(z.name, mask, z.loiter_s, z.armed))
            self.watched = watched
        return self

    def zone_at(self, cx: float, cy: float) -> Zone | None:
        """The first zone containing the point (pixel coordinates), or None."""
        if self.shape is None:
            return None
        h, w = self.shape
        r = min(h - 1, max(0, int(cy)))
        c = min(w - 1, max(0, int(cx)))
        for z in self.zones:
            if z.mask[r, c]:
                return z
        return None
