"""Heat sources that are not people or moving cars: a burning car, a barbecue, a car's ghost.

The fire is what the unit exists to catch; the barbecue and the ghost (the patch of asphalt a
car sheltered, still warmer or cooler than its surroundings after the car has gone) are the
nuisances that look a little like it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hw.sim.camera import Camera
from hw.sim.environment import Environment
from hw.sim.objects import CAR_LENGTH, CAR_WIDTH, Layer, ObjectClass, Path, SceneObject, box_layer


@dataclass(slots=True)
class CarFire(SceneObject):
    """A fire in a parked car's engine bay that grows, flickers and smokes.

    From ``ignite`` it smoulders inside the bay (the hood warms, wisps of smoke; not yet labelled)
    until ``flames_at``, when flames break out. Flame area grows with time squared (the usual
    t² fire-growth law) over ``grow_s``; flames are a semi-transparent hot gas whose opacity rises
    with their thickness and flickers at 1–10 Hz. Hot metal under them glows at several hundred °C.
    A plume of warm smoke rises above and drifts with the wind, occluding part of what is behind.
    """

    cls: ObjectClass = "fire"
    path: Path = field(default_factory=lambda: Path.still(0.0, 15.0))
    paint_bias_m: float = 3.0
    ignite: float = 30.0
    flames_at: float = 60.0
    grow_s: float = 240.0
    flame_c: float = 850.0
    metal_c: float = 550.0
    nose_y: float = 1.0
    wind_mps: float = 0.5
    flicker: tuple[tuple[float, float, float], ...] = ((2.3, 0.0, 0.2), (5.1, 1.0, 0.12), (8.7, 2.0, 0.08))

    def labelled(self, t: np.ndarray) -> np.ndarray:
        return t >= self.flames_at

    def growth(self, t: np.ndarray) -> np.ndarray:
        return np.clip((t - self.flames_at) / self.grow_s, 0.0, 1.0) ** 2

    def _flicker(self, t: np.ndarray) -> np.ndarray:
        out = np.ones_like(t)
        for hz, phase, amp in self.flicker:
            out += amp * np.sin(2 * math.pi * hz * t + phase)
        return np.clip(out, 0.2, None)

    def layers(self, t: np.ndarray, env: Environment, cam: Camera) -> list[Layer]:
        x0, y0 = self.path.at(t)
        bx, by = x0, y0 + self.nose_y * (CAR_LENGTH / 2 - 0.7)
        air = env.air_c(t)
        smoulder = np.clip((t - self.ignite) / max(self.flames_at - self.ignite, 1.0), 0.0, 1.0) * (t >= self.ignite)
        g = self.growth(t)
        burning = (t >= self.flames_at).astype(np.float64)
        hood = air + 60.0 * smoulder + (self.metal_c - 60.0) * np.sqrt(g)
        flame_w = 0.3 + 2.2 * np.sqrt(g)
        flame_h = (0.3 + 3.2 * np.sqrt(g)) * self._flicker(t * 1.07)
        flame_opacity = burning * np.clip(0.15 + 0.55 * np.sqrt(g), 0, 0.7) * np.clip(self._flicker(t), 0, 1.3) / 1.3
        smoke_h = 0.5 + 6.0 * np.sqrt(np.maximum(smoulder * 0.05, g))
        smoke_opacity = (0.08 * smoulder + 0.45 * np.sqrt(g)) * (t >= self.ignite)
        drift = self.wind_mps * np.clip(t - self.ignite, 0, None) ** 0.5
        return [
            box_layer(cam, bx, by, (1.6, 1.3, 0.05), 0.95, 0.9 * (t >= self.ignite), hood, 0.85),
            box_layer(
                cam, bx, by, (flame_w, flame_w * 0.8, flame_h), 1.0, flame_opacity, np.full_like(t, self.flame_c), 1.0
            ),
            # a narrower tongue licking higher, on its own beat: flames taper and never hold a shape
            box_layer(
                cam,
                bx + 0.15 * self.wind_mps * flame_h,
                by,
                (0.45 * flame_w, 0.4 * flame_w, flame_h * (1.35 + 0.35 * np.sin(2 * math.pi * 3.3 * t + 1.7))),
                1.0,
                0.6 * flame_opacity,
                np.full_like(t, self.flame_c - 80.0),
                1.0,
            ),
            box_layer(
                cam,
                bx + drift,
                by,
                (0.6 + flame_w, 1.2, smoke_h),
                1.0 + flame_h * 0.6,
                smoke_opacity,
                air + 25.0 * np.sqrt(g) + 5.0,
                1.0,
                in_bbox=False,
            ),
        ]

    def hottest_c(self, t: np.ndarray, env: Environment) -> np.ndarray:
        return np.where(
            t >= self.flames_at, self.flame_c, env.air_c(t) + 60.0 * np.clip((t - self.ignite) / 60.0, 0, 1)
        )


@dataclass(slots=True)
class Barbecue(SceneObject):
    """A grill: glowing coals partly hidden by the grate and lid, a hot body, a faint smoke."""

    cls: ObjectClass = "hotspot"
    path: Path = field(default_factory=lambda: Path.still(0.0, 15.0))
    lit: float = -math.inf
    coal_c: float = 320.0
    warmup_s: float = 240.0

    def labelled(self, t: np.ndarray) -> np.ndarray:
        return np.zeros_like(t, dtype=bool)

    def heat(self, t: np.ndarray) -> np.ndarray:
        return np.where(t >= self.lit, 1.0 - np.exp(-np.clip(t - self.lit, 0, None) / self.warmup_s), 0.0)

    def layers(self, t: np.ndarray, env: Environment, cam: Camera) -> list[Layer]:
        x, y = self.path.at(t)
        air = env.air_c(t)
        h = self.heat(t)
        p = self.present(t)
        shimmer = 1.0 + 0.03 * np.sin(2 * math.pi * 0.7 * t)
        return [
            box_layer(cam, x, y, (0.6, 0.45, 0.85), 0.0, 0.55 * p, air + 90.0 * h, 0.8),
            box_layer(cam, x, y, (0.5, 0.35, 0.05), 0.85, 0.35 * p * shimmer, air + (self.coal_c - air) * h, 0.95),
            box_layer(cam, x, y, (0.5, 0.4, 1.2), 0.9, 0.08 * h * p, air + 8.0 * h, 1.0, in_bbox=False),
        ]

    def hottest_c(self, t: np.ndarray, env: Environment) -> np.ndarray:
        return env.air_c(t) + (self.coal_c - env.air_c(t)) * self.heat(t)


@dataclass(slots=True)
class CarGhost(SceneObject):
    """The asphalt a parked car sheltered, back in the open after the car has left at ``left``.

    Under the car the asphalt sat near the air temperature, out of the sun by day and under cover
    from the cold sky by night. After the car goes, the patch differs from the open lot around
    it (cooler by day, a little warmer on a clear night) and catches up over ``tau_s``. Part of
    the background: painted before every object, never in the ground truth or the labels.
    """

    cls: ObjectClass = "ground"
    path: Path = field(default_factory=lambda: Path.still(0.0, 15.0))
    in_truth: bool = False
    paint_bias_m: float = -1.0e4
    left: float = 0.0
    tau_s: float = 1800.0

    def labelled(self, t: np.ndarray) -> np.ndarray:
        return np.zeros_like(t, dtype=bool)

    def patch_c(self, t: np.ndarray, env: Environment) -> np.ndarray:
        at_leave = np.array([self.left])
        sheltered = env.air_c(at_leave) + 1.0
        offset = sheltered - env.surface_c("asphalt", at_leave)
        fade = np.exp(-np.clip(t - self.left, 0.0, None) / self.tau_s)
        return env.surface_c("asphalt", t) + offset * fade

    def layers(self, t: np.ndarray, env: Environment, cam: Camera) -> list[Layer]:
        x, y = self.path.at(t)
        p = (t >= self.left).astype(np.float64)
        return [box_layer(cam, x, y, (CAR_WIDTH, CAR_LENGTH * 0.9, 0.01), 0.0, 0.95 * p, self.patch_c(t, env), 0.95)]

    def hottest_c(self, t: np.ndarray, env: Environment) -> np.ndarray:
        return self.patch_c(t, env)
