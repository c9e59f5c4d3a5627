"""The lot's surface as seen by each pixel: what fraction of it is asphalt, paint, grass.

Material fractions are found once per scene by casting a grid of sub-pixel rays to the ground.
Afterwards the background radiance of every frame is one matrix product: the per-material
radiance (which changes with time) times these fixed fractions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hw.sim.camera import Camera


@dataclass(frozen=True, slots=True)
class LotLayout:
    """Parking rows along x, their stalls separated by painted lines; grass beyond the lot."""

    row_y: tuple[float, ...] = (8.5, 20.5)  # stall-row centres (m from the pole)
    stall_depth_m: float = 5.0
    stall_width_m: float = 2.5
    x_offset_m: float = 0.0
    lot_half_width_m: float = 14.0
    lot_far_m: float = 24.5
    line_width_m: float = 0.12
    patch_seed: int = 0

    def stall_centres(self, row: int) -> list[float]:
        n = int(self.lot_half_width_m // self.stall_width_m)
        return [self.x_offset_m + (k + 0.5) * self.stall_width_m for k in range(-n, n)]

    @property
    def lane_y(self) -> float:
        return 0.5 * (self.row_y[0] + self.row_y[1])


def material_fractions(cam: Camera, lot: LotLayout, names: list[str]) -> np.ndarray:
    """Fraction of each pixel covered by each material in ``names``: shape [M, H, W], sums to 1."""
    h, w = cam.shape
    s = max(2, 256 // max(h, w))
    gx, gy, _ = cam.ground_rays(s)
    sky = np.isnan(gx)
    gx = np.nan_to_num(gx)
    gy = np.nan_to_num(gy)
    rng = np.random.default_rng(lot.patch_seed)
    field = np.zeros_like(gx)
    for _ in range(6):
        k = rng.uniform(0.15, 0.8, 2)
        field += np.cos(k[0] * gx + k[1] * gy + rng.uniform(0, 2 * np.pi))
    material = np.full(gx.shape, names.index("asphalt"))
    material[field > 1.6] = names.index("asphalt-patch")
    for ry in lot.row_y:
        in_row = np.abs(gy - ry) < lot.stall_depth_m / 2
        rel = (gx - lot.x_offset_m) / lot.stall_width_m
        on_line = np.abs(rel - np.round(rel)) * lot.stall_width_m < lot.line_width_m / 2
        material[in_row & on_line] = names.index("paint")
        end = np.abs(np.abs(gy - ry) - lot.stall_depth_m / 2) < lot.line_width_m / 2
        material[end & (np.abs(gx - lot.x_offset_m) < lot.lot_half_width_m)] = names.index("paint")
    outside = (gy > lot.lot_far_m) | (np.abs(gx - lot.x_offset_m) > lot.lot_half_width_m + 2.0) | sky
    material[outside] = names.index("grass")
    onehot = (material[None, :, :] == np.arange(len(names))[:, None, None]).astype(np.float32)
    return onehot.reshape(len(names), h, s, w, s).mean(axis=(2, 4))


def pixel_range(cam: Camera) -> np.ndarray:
    """Mean slant range (m) of each pixel's view of the ground, capped at 200 m for the sky."""
    h, w = cam.shape
    _, _, rng = cam.ground_rays(2)
    rng = np.minimum(rng, 200.0)
    return rng.reshape(h, 2, w, 2).mean(axis=(1, 3)).astype(np.float32)
