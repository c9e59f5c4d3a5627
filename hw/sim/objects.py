"""Things on the lot: each one turns a time array into the layers it paints.

An object is a set of upright boxes in world metres (see ``camera.py``). For every time in a
chunk it yields :class:`Layer` s: a pixel rectangle, the fraction of that rectangle it covers
(its silhouette fill times its opacity, 0 when absent), and the temperature and emissivity of
what shows there. Layers carry their own ``in_bbox`` flag: smoke is painted but does not count
towards a fire's ground-truth box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from hw.sim.camera import Camera
from hw.sim.environment import Environment

ObjectClass = Literal["person", "vehicle", "fire", "animal", "hotspot", "ground", "vegetation"]


@dataclass(slots=True)
class Layer:
    u0: np.ndarray
    v0: np.ndarray
    u1: np.ndarray
    v1: np.ndarray
    fill: np.ndarray  # 0..1 of the rectangle covered (silhouette × opacity); 0 = absent
    temp_c: np.ndarray
    emissivity: float
    depth: np.ndarray  # metres along the optical axis, for painting far to near
    in_bbox: bool = True


@dataclass(frozen=True, slots=True)
class Path:
    """Piecewise-linear motion on the ground: keyframes (t, x, y); still before and after."""

    t: tuple[float, ...]
    x: tuple[float, ...]
    y: tuple[float, ...]

    def at(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.interp(t, self.t, self.x), np.interp(t, self.t, self.y)

    def speed(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dt = np.diff(self.t)
        vx = np.diff(self.x) / np.where(dt > 0, dt, 1.0)
        vy = np.diff(self.y) / np.where(dt > 0, dt, 1.0)
        seg = np.clip(np.searchsorted(self.t, t, side="right") - 1, 0, len(dt) - 1)
        moving = (t >= self.t[0]) & (t < self.t[-1])
        return np.where(moving, vx[seg], 0.0), np.where(moving, vy[seg], 0.0)

    @staticmethod
    def still(x: float, y: float) -> Path:
        return Path((0.0, 1.0), (x, x), (y, y))

    @staticmethod
    def through(
        t0: float, points: list[tuple[float, float]], speed: float, pauses: dict[int, float] | None = None
    ) -> Path:
        """Walk ``points`` at ``speed`` m/s from ``t0``, pausing ``pauses[i]`` s at point ``i``."""
        ts, xs, ys = [t0], [points[0][0]], [points[0][1]]
        pauses = pauses or {}
        for i, (x, y) in enumerate(points[1:], start=1):
            ts.append(ts[-1] + math.hypot(x - xs[-1], y - ys[-1]) / speed + 1e-3)
            xs.append(x)
            ys.append(y)
            if pauses.get(i):
                ts.append(ts[-1] + pauses[i])
                xs.append(x)
                ys.append(y)
        return Path(tuple(ts), tuple(xs), tuple(ys))


def box_layer(
    cam: Camera,
    x: np.ndarray,
    y: np.ndarray,
    size: tuple[np.ndarray | float, np.ndarray | float, float],
    base: float,
    fill: np.ndarray,
    temp_c: np.ndarray,
    emissivity: float,
    in_bbox: bool = True,
) -> Layer:
    w, d, h = size
    u0, v0, u1, v1 = cam.box_extent(x, y, w, d, h, base)  # type: ignore[arg-type]
    _, _, depth = cam.project(x, y, np.full_like(x, base + h / 2))
    fill = np.where(depth > 0.5, fill, 0.0)  # at or behind the lens: not in the picture
    return Layer(u0, v0, u1, v1, fill, np.asarray(temp_c, dtype=np.float64), emissivity, depth, in_bbox)


@dataclass(slots=True)
class SceneObject:
    """Base: ``cls`` is what a classifier should call it; ``labelled(t)`` whether it counts in labels."""

    cls: ObjectClass
    path: Path
    appear: float = -math.inf
    vanish: float = math.inf
    paint_bias_m: float = 0.0  # painted as if this much nearer (a fire sits on its car)
    in_truth: bool = True  # False for patches of ground, which are background, not objects

    def present(self, t: np.ndarray) -> np.ndarray:
        return ((t >= self.appear) & (t < self.vanish)).astype(np.float64)

    def labelled(self, t: np.ndarray) -> np.ndarray:
        return self.present(t) > 0

    def layers(self, t: np.ndarray, env: Environment, cam: Camera) -> list[Layer]:
        raise NotImplementedError

    def hottest_c(self, t: np.ndarray, env: Environment) -> np.ndarray:
        raise NotImplementedError


@dataclass(slots=True)
class Person(SceneObject):
    """A walker or loiterer: legs, torso (clothing reads 28–33 °C) and a warmer head; optional umbrella."""

    cls: ObjectClass = "person"
    path: Path = field(default_factory=lambda: Path.still(0.0, 15.0))
    body_c: float = 30.0
    head_c: float = 33.5
    height_m: float = 1.75
    umbrella: bool = False

    def layers(self, t: np.ndarray, env: Environment, cam: Camera) -> list[Layer]:
        x, y = self.path.at(t)
        p = self.present(t)
        vx, vy = self.path.speed(t)
        speed = np.hypot(vx, vy)
        # a walker's legs open and close about twice a step cycle: the gait a tracker can see
        stride = np.where(speed > 0.2, np.abs(np.sin(np.pi * 1.3 * speed * t)), 0.0)
        legs_h = 0.47 * self.height_m
        torso_h = self.height_m - 0.25 - legs_h
        out = [
            box_layer(
                cam, x, y, (0.25 + 0.3 * stride, 0.25, legs_h), 0.0, 0.6 * p, np.full_like(t, self.body_c - 1.5), 0.97
            ),
            box_layer(cam, x, y, (0.48, 0.28, torso_h), legs_h, 0.8 * p, np.full_like(t, self.body_c), 0.97),
            box_layer(cam, x, y, (0.2, 0.22, 0.25), self.height_m - 0.25, 0.8 * p, np.full_like(t, self.head_c), 0.98),
        ]
        if self.umbrella:
            canopy = env.surface_c("car-side", t) - 1.0
            out.append(box_layer(cam, x, y, (1.0, 1.0, 0.25), self.height_m + 0.05, 0.85 * p, canopy, 0.9))
        return out

    def hottest_c(self, t: np.ndarray, env: Environment) -> np.ndarray:
        return np.full_like(t, self.head_c)


@dataclass(slots=True)
class Animal(SceneObject):
    """A cat on the ground or a bird (``altitude_m`` > 0): a small warm blob, never labelled."""

    cls: ObjectClass = "animal"
    path: Path = field(default_factory=lambda: Path.still(0.0, 15.0))
    size_m: tuple[float, float, float] = (0.45, 0.2, 0.28)
    altitude_m: float = 0.0
    fur_rise_k: float = 10.0

    def labelled(self, t: np.ndarray) -> np.ndarray:
        return np.zeros_like(t, dtype=bool)

    def layers(self, t: np.ndarray, env: Environment, cam: Camera) -> list[Layer]:
        x, y = self.path.at(t)
        vx, vy = self.path.speed(t)
        along_x = np.abs(vx) >= np.abs(vy)
        w = np.where(along_x, self.size_m[0], self.size_m[1])
        d = np.where(along_x, self.size_m[1], self.size_m[0])
        temp = np.minimum(env.air_c(t) + self.fur_rise_k, 34.0)
        return [box_layer(cam, x, y, (w, d, self.size_m[2]), self.altitude_m, 0.7 * self.present(t), temp, 0.96)]

    def hottest_c(self, t: np.ndarray, env: Environment) -> np.ndarray:
        return np.minimum(env.air_c(t) + self.fur_rise_k, 34.0)


CAR_LENGTH = 4.5
CAR_WIDTH = 1.8


@dataclass(slots=True)
class Car(SceneObject):
    """A car: body, roof, and a hood and exhaust that heat while the engine runs.

    The hood cools after the engine stops by Newton's law, ``ΔT·exp(-t/τ)`` with τ of tens of
    minutes; the exhaust is hot (and pulses) only while running and cools within minutes.
    ``engine`` holds (on, off) intervals; a car parked long before the recording has none.
    ``nose_y`` is +1 when a parked car faces away from the camera, -1 towards it.
    """

    cls: ObjectClass = "vehicle"
    path: Path = field(default_factory=lambda: Path.still(0.0, 15.0))
    roof: str = "roof-dark"
    engine: tuple[tuple[float, float], ...] = ()
    hood_rise_k: float = 35.0
    hood_tau_s: float = 1500.0
    warm_at_start_k: float = 0.0  # hood still warm from a drive before the recording
    exhaust_c: float = 160.0
    idle_pulse_hz: float = 1.3
    nose_y: float = 1.0

    def running(self, t: np.ndarray) -> np.ndarray:
        on = np.zeros_like(t, dtype=bool)
        for start, stop in self.engine:
            on |= (t >= start) & (t < stop)
        return on

    def labelled(self, t: np.ndarray) -> np.ndarray:
        vx, vy = self.path.speed(t)
        return (self.present(t) > 0) & ((np.hypot(vx, vy) > 0.05) | self.running(t))

    def hood_rise(self, t: np.ndarray) -> np.ndarray:
        """Hood temperature above air: heats over ~3 min while running, cools exponentially after."""
        rise = self.warm_at_start_k * np.exp(-np.clip(t, 0, None) / self.hood_tau_s)
        for start, stop in self.engine:
            heat = self.hood_rise_k * (1 - np.exp(-np.clip(np.minimum(t, stop) - start, 0, None) / 180.0))
            after = np.exp(-np.clip(t - stop, 0, None) / self.hood_tau_s)
            rise = np.where(t >= start, np.maximum(rise, heat * after), rise)
        return rise

    def heading(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unit vector of the car's long axis (front), from its motion; parked cars keep ``nose_y``."""
        vx, vy = self.path.speed(t)
        speed = np.hypot(vx, vy)
        hx = np.where(speed > 0.05, vx / np.maximum(speed, 1e-9), 0.0)
        hy = np.where(speed > 0.05, vy / np.maximum(speed, 1e-9), self.nose_y)
        # keep the last heading when stopped: parked cars end up pointing along y
        return hx, hy

    def layers(self, t: np.ndarray, env: Environment, cam: Camera) -> list[Layer]:
        x, y = self.path.at(t)
        hx, hy = self.heading(t)
        ax, ay = np.abs(hx), np.abs(hy)
        w = ax * CAR_LENGTH + ay * CAR_WIDTH
        d = ax * CAR_WIDTH + ay * CAR_LENGTH
        p = self.present(t)
        air = env.air_c(t)
        side = env.surface_c("car-side", t)
        roof = env.surface_c(self.roof, t)
        hood = np.maximum(roof, air + self.hood_rise(t) * (1.0 - 0.6 * env.wetness(t)))  # water film evaporates
        run = self.running(t)
        pulse = 1.0 + 0.25 * np.sin(2 * math.pi * self.idle_pulse_hz * t)
        exhaust = np.where(run, air + (self.exhaust_c - air) * pulse, air + 3.0)
        fx, fy = x + hx * (CAR_LENGTH / 2 - 0.7), y + hy * (CAR_LENGTH / 2 - 0.7)
        rx, ry = x - hx * (CAR_LENGTH / 2 + 0.15), y - hy * (CAR_LENGTH / 2 + 0.15)
        cx, cy = x - hx * 0.3, y - hy * 0.3
        cabin_w = ax * 2.5 + ay * 1.6
        cabin_d = ax * 1.6 + ay * 2.5
        hood_w = ax * 1.3 + ay * 1.6
        hood_d = ax * 1.6 + ay * 1.3
        return [
            box_layer(cam, x, y, (w, d, 0.95), 0.0, 0.9 * p, side, 0.88),
            box_layer(cam, cx, cy, (cabin_w, cabin_d, 0.45), 0.95, 0.85 * p, env.surface_c("glass", t), 0.85),
            box_layer(cam, cx, cy, (cabin_w * 0.85, cabin_d * 0.8, 0.05), 1.40, 0.95 * p, roof, 0.9),
            box_layer(cam, fx, fy, (hood_w, hood_d, 0.05), 0.95, 0.9 * p, hood, 0.9),
            box_layer(cam, rx, ry, (0.3, 0.3, 0.3), 0.15, np.where(run, 0.8, 0.3) * p, exhaust, 0.9),
        ]

    def hottest_c(self, t: np.ndarray, env: Environment) -> np.ndarray:
        air = env.air_c(t)
        hot = np.maximum(env.surface_c(self.roof, t), air + self.hood_rise(t))
        return np.where(self.running(t), np.maximum(hot, air + (self.exhaust_c - air) * 1.25), hot)


@dataclass(slots=True)
class Bush(SceneObject):
    """A shrub at the lot's edge whose crown sways in the wind: motion that is no one.

    Leaves sit near the air temperature (a little below it on a clear night, a few kelvin above
    in sunshine). Background: rendered, never in the ground truth or the labels.
    """

    cls: ObjectClass = "vegetation"
    path: Path = field(default_factory=lambda: Path.still(0.0, 25.0))
    in_truth: bool = False
    size_m: tuple[float, float, float] = (1.6, 1.4, 2.2)
    phase: float = 0.0

    def labelled(self, t: np.ndarray) -> np.ndarray:
        return np.zeros_like(t, dtype=bool)

    def leaves_c(self, t: np.ndarray, env: Environment) -> np.ndarray:
        clear_night = (1.0 - env.cloudiness(t)) * (env.sun(t) < 0.05)
        return env.air_c(t) - 1.5 * clear_night + 5.0 * env.sun(t, 0.2) - 1.0 * env.wetness(t)

    def layers(self, t: np.ndarray, env: Environment, cam: Camera) -> list[Layer]:
        x, y = self.path.at(t)
        w, d, h = self.size_m
        wind = env.gusts(t)
        sway = 0.012 * wind**1.5 * (np.sin(2 * math.pi * 0.45 * t + self.phase) + 0.5 * np.sin(2 * math.pi * 1.1 * t))
        leaves = self.leaves_c(t, env)
        p = self.present(t)
        return [
            box_layer(cam, x, y, (0.25, 0.25, h * 0.4), 0.0, 0.9 * p, leaves + 0.5, 0.95),
            box_layer(cam, x + sway, y, (w, d, h * 0.65), h * 0.35, 0.8 * p, leaves, 0.97),
        ]

    def hottest_c(self, t: np.ndarray, env: Environment) -> np.ndarray:
        return self.leaves_c(t, env) + 0.5
