"""Where things land in the image: a pinhole camera on a pole looking down at the lot.

World coordinates are metres on the ground plane: ``x`` to the right of the pole, ``y`` away from
it along the view direction, ``z`` up. The camera sits at ``(0, 0, height)`` pitched down by
``tilt_deg``. Pixel coordinates are continuous: column ``u`` in ``[0, W)``, row ``v`` in
``[0, H)``, pixel ``(r, c)`` spanning ``[c, c+1) × [r, r+1)``; row 0 is the top of the scene
(the far end of the lot).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Camera:
    shape: tuple[int, int] = (24, 32)
    fov_deg: tuple[float, float] = (55.0, 35.0)
    height_m: float = 6.0
    tilt_deg: float = 30.0

    @property
    def focal_px(self) -> tuple[float, float]:
        h, w = self.shape
        return (w / 2) / math.tan(math.radians(self.fov_deg[0]) / 2), (h / 2) / math.tan(
            math.radians(self.fov_deg[1]) / 2
        )

    def project(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """World points → (column, row, depth along the optical axis); arrays broadcast."""
        tilt = math.radians(self.tilt_deg)
        dz = np.asarray(z, dtype=np.float64) - self.height_m
        y = np.asarray(y, dtype=np.float64)
        depth = y * math.cos(tilt) - dz * math.sin(tilt)
        up = y * math.sin(tilt) + dz * math.cos(tilt)
        depth_safe = np.maximum(depth, 0.1)
        fx, fy = self.focal_px
        h, w = self.shape
        return w / 2 + fx * np.asarray(x) / depth_safe, h / 2 - fy * up / depth_safe, depth

    def box_extent(
        self, x: np.ndarray, y: np.ndarray, width: float, depth: float, height: float, base: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Pixel rectangle (u0, v0, u1, v1) enclosing an upright box centred at ground ``(x, y)``."""
        us, vs = [], []
        for dx in (-width / 2, width / 2):
            for dy in (-depth / 2, depth / 2):
                for zz in (base, base + height):
                    u, v, _ = self.project(x + dx, y + dy, np.full_like(np.asarray(x, dtype=float), zz))
                    us.append(u)
                    vs.append(v)
        u_arr, v_arr = np.stack(us), np.stack(vs)
        return u_arr.min(0), v_arr.min(0), u_arr.max(0), v_arr.max(0)

    def ground_rays(self, supersample: int = 8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ground point (x, y) hit by each sub-pixel ray, shape [H*s, W*s]; NaN above the horizon.

        Also returns the slant range of each ray (metres, ``inf`` for sky).
        """
        h, w = self.shape
        fx, fy = self.focal_px
        u = (np.arange(w * supersample) + 0.5) / supersample
        v = (np.arange(h * supersample) + 0.5) / supersample
        uu, vv = np.meshgrid(u, v)
        tilt = math.radians(self.tilt_deg)
        cam_x = (uu - w / 2) / fx
        cam_up = -(vv - h / 2) / fy
        dir_y = math.cos(tilt) + cam_up * math.sin(tilt)
        dir_z = -math.sin(tilt) + cam_up * math.cos(tilt)
        hits = dir_z < -1e-6
        scale = np.where(hits, self.height_m / np.where(hits, -dir_z, 1.0), np.nan)
        gx, gy = cam_x * scale, dir_y * scale
        rng = np.where(hits, scale * np.sqrt(cam_x**2 + dir_y**2 + dir_z**2), np.inf)
        return gx, gy, rng

    def ground_range_at_row(self, row: float) -> float:
        """Ground distance ``y`` seen at the centre column of ``row`` (inf above the horizon)."""
        h, _ = self.shape
        _, fy = self.focal_px
        depression = math.radians(self.tilt_deg) + math.atan((row - h / 2) / fy)
        return self.height_m / math.tan(depression) if depression > 0 else math.inf


def pixel_overlap(lo: np.ndarray, hi: np.ndarray, n: int) -> np.ndarray:
    """Length of ``[lo, hi)`` inside each pixel ``[i, i+1)``, ``i < n``: shape [T, n].

    The exact area a rectangle covers in each pixel is the outer product of its row and column
    overlaps, which is how objects are rasterised without any supersampling.
    """
    edges = np.arange(n, dtype=np.float32)
    lo32 = np.asarray(lo, dtype=np.float32)[..., None]
    hi32 = np.asarray(hi, dtype=np.float32)[..., None]
    return np.clip(np.minimum(hi32, edges + 1) - np.maximum(lo32, edges), 0.0, 1.0)
