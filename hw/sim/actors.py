"""Randomised building blocks for scenarios: weather, lot, parked cars, walkers, arrivals, animals.

Every helper draws what it varies from the generator it is given, so a scenario's seed decides
time of day, air temperature, clouds, stall layout, which stalls are taken, where people walk and
how fast, engine heat and cooling times. Builders place things in world metres using the
camera's field of view only, so one seed gives the same lot at every sensor resolution.
"""

from __future__ import annotations

import math

import numpy as np

from hw.sim.camera import Camera
from hw.sim.environment import Environment
from hw.sim.ground import LotLayout
from hw.sim.hazards import CarGhost
from hw.sim.objects import Animal, Bush, Car, Path, Person, SceneObject


def half_width_at(cam: Camera, y: float) -> float:
    """Half the ground width (m) in view at distance ``y``."""
    tilt = math.radians(cam.tilt_deg)
    return math.tan(math.radians(cam.fov_deg[0]) / 2) * (y * math.cos(tilt) + cam.height_m * math.sin(tilt))


def ground_span(cam: Camera) -> tuple[float, float]:
    """Nearest and farthest ground distance (m) in view along the centre column."""
    return cam.ground_range_at_row(cam.shape[0]), min(cam.ground_range_at_row(0), 60.0)


def night_env(rng: np.random.Generator, **kw: float) -> Environment:
    base = {
        "start_hour": float((rng.uniform(21.0, 28.0)) % 24),
        "air_mean_c": float(rng.uniform(-2.0, 16.0)),
        "air_swing_k": float(rng.uniform(2.0, 6.0)),
        "cloud": float(rng.uniform(0.0, 1.0)),
    }
    base.update(kw)
    return Environment(**base)  # type: ignore[arg-type]


def day_env(rng: np.random.Generator, **kw: float) -> Environment:
    base = {
        "start_hour": float(rng.uniform(11.0, 15.0)),
        "air_mean_c": float(rng.uniform(14.0, 26.0)),
        "air_swing_k": float(rng.uniform(4.0, 8.0)),
        "cloud": float(rng.uniform(0.0, 0.3)),
        "cloud_wobble": float(rng.uniform(0.0, 0.4)),
        "cloud_period_s": float(rng.uniform(300.0, 1200.0)),
    }
    base.update(kw)
    return Environment(**base)  # type: ignore[arg-type]


def random_lot(rng: np.random.Generator, cam: Camera) -> LotLayout:
    near, far = ground_span(cam)
    return LotLayout(
        row_y=(near + float(rng.uniform(3.0, 4.5)), min(far - float(rng.uniform(6.5, 8.5)), near + 18.0)),
        lot_far_m=far - 1.5,
        stall_width_m=float(rng.uniform(2.4, 2.7)),
        x_offset_m=float(rng.uniform(-1.2, 1.2)),
        patch_seed=int(rng.integers(0, 2**31)),
    )


def visible_stalls(lot: LotLayout, cam: Camera) -> list[tuple[float, float]]:
    out = []
    for row, y in enumerate(lot.row_y):
        limit = half_width_at(cam, y) + 1.0
        out += [(x, y) for x in lot.stall_centres(row) if abs(x) < limit]
    return out


def parked_cars(rng: np.random.Generator, stalls: list[tuple[float, float]], occupancy: float) -> list[SceneObject]:
    cars: list[SceneObject] = []
    for x, y in stalls:
        if rng.random() < occupancy:
            warm = float(rng.uniform(5.0, 25.0)) if rng.random() < 0.15 else 0.0
            cars.append(
                Car(
                    path=Path.still(x, y),
                    roof=str(rng.choice(["roof-dark", "roof-light"])),
                    warm_at_start_k=warm,
                    hood_tau_s=float(rng.uniform(900.0, 2400.0)),
                    nose_y=float(rng.choice([-1.0, 1.0])),
                )
            )
    return cars


def take_stall(rng: np.random.Generator, free: list[tuple[float, float]]) -> tuple[float, float]:
    return free.pop(int(rng.integers(0, len(free))))


def _person(rng: np.random.Generator, path: Path, appear: float, vanish: float, env: Environment) -> Person:
    cold = max(0.0, 10.0 - env.air_mean_c) * 0.25
    body = float(rng.uniform(28.0, 33.0)) - cold
    return Person(
        path=path,
        appear=appear,
        vanish=vanish,
        body_c=body,
        head_c=body + float(rng.uniform(1.5, 4.0)),
        height_m=float(rng.uniform(1.55, 1.95)),
        umbrella=bool(env.rain and rng.random() < 0.6),
    )


def walker(rng: np.random.Generator, cam: Camera, t0: float, env: Environment, y: float | None = None) -> Person:
    """Someone crossing the whole view at a random distance and pace."""
    near, far = ground_span(cam)
    y0 = float(rng.uniform(near + 1.0, far + 1.0)) if y is None else y
    y1 = float(np.clip(y0 + rng.uniform(-6.0, 6.0), near + 1.0, far + 1.0))
    side = 1.0 if rng.random() < 0.5 else -1.0
    xa, xb = -side * (half_width_at(cam, y0) + 1.5), side * (half_width_at(cam, y1) + 1.5)
    speed = float(rng.uniform(0.9, 1.7))
    path = Path.through(t0, [(xa, y0), (xb, y1)], speed)
    return _person(rng, path, t0, path.t[-1], env)


def loiterer(
    rng: np.random.Generator, cam: Camera, t0: float, stay_s: float, env: Environment, spot: tuple[float, float] | None
) -> Person:
    """Walks in, lingers around a spot with small random moves and pauses, walks out again."""
    near, far = ground_span(cam)
    sx, sy = spot if spot is not None else (float(rng.uniform(-5.0, 5.0)), float(rng.uniform(near + 2.0, far - 1.0)))
    side = 1.0 if rng.random() < 0.5 else -1.0
    entry = (side * (half_width_at(cam, sy) + 1.5), sy + float(rng.uniform(-3, 3)))
    points, pauses = [entry, (sx, sy)], {}
    t_spent = 0.0
    while t_spent < stay_s:
        points.append((sx + float(rng.normal(0, 1.0)), sy + float(rng.normal(0, 0.8))))
        pause = float(rng.uniform(3.0, 20.0))
        pauses[len(points) - 1] = pause
        t_spent += pause + 2.0
    exit_side = side if rng.random() < 0.5 else -side
    points.append((exit_side * (half_width_at(cam, sy) + 1.5), sy + float(rng.uniform(-3, 3))))
    path = Path.through(t0, points, float(rng.uniform(0.6, 1.3)), pauses)
    return _person(rng, path, t0, path.t[-1], env)


def arriving_car(
    rng: np.random.Generator, cam: Camera, lot: LotLayout, t0: float, stall: tuple[float, float], env: Environment
) -> tuple[Car, Person | None]:
    """Drives in along the lane, turns into ``stall``, idles a moment, stops; the driver walks off."""
    lane = lot.lane_y + float(rng.uniform(-1.0, 1.0))
    side = 1.0 if rng.random() < 0.5 else -1.0
    start_x = side * (half_width_at(cam, lane) + 4.0)
    speed = float(rng.uniform(2.5, 5.5))
    sx, sy = stall
    drive = Path.through(t0, [(start_x, lane), (sx, lane)], speed)
    park = Path.through(
        drive.t[-1] + float(rng.uniform(0.5, 3.0)), [(sx, lane), (sx, sy)], float(rng.uniform(1.0, 2.0))
    )
    path = Path(drive.t + park.t, drive.x + park.x, drive.y + park.y)
    parked_at = path.t[-1]
    engine_off = parked_at + float(rng.uniform(3.0, 40.0))
    nose = 1.0 if sy > lane else -1.0
    car = Car(
        path=path,
        appear=t0,
        roof=str(rng.choice(["roof-dark", "roof-light"])),
        engine=((t0 - float(rng.uniform(300.0, 3600.0)), engine_off),),
        hood_rise_k=float(rng.uniform(20.0, 45.0)),
        hood_tau_s=float(rng.uniform(900.0, 2400.0)),
        exhaust_c=float(rng.uniform(90.0, 220.0)),
        idle_pulse_hz=float(rng.uniform(0.8, 2.5)),
        nose_y=nose,
    )
    driver = None
    if rng.random() < 0.85:
        t_out = engine_off + float(rng.uniform(2.0, 20.0))
        door = (sx + 1.4, sy - nose * 0.5)
        near, far = ground_span(cam)
        y_exit = float(np.clip(sy + rng.uniform(-8, 8), near + 1.0, far))
        x_exit = float(rng.choice([-1.0, 1.0])) * (half_width_at(cam, y_exit) + 1.5)
        walk = Path.through(t_out, [door, (door[0], lane), (x_exit, y_exit)], float(rng.uniform(1.0, 1.6)))
        driver = _person(rng, walk, t_out, walk.t[-1], env)
    return car, driver


def leaving_car(rng: np.random.Generator, cam: Camera, lot: LotLayout, t0: float, car: Car) -> tuple[Car, CarGhost]:
    """Turn a parked car into one that starts its engine at ``t0``, backs out and drives away.

    Also returns the ghost it leaves: the patch of asphalt it had sheltered.
    """
    sx, sy = float(car.path.x[0]), float(car.path.y[0])
    lane = lot.lane_y
    go = t0 + float(rng.uniform(5.0, 30.0))
    out_x = float(rng.choice([-1.0, 1.0])) * (half_width_at(cam, lane) + 4.0)
    back_speed = float(rng.uniform(0.8, 1.8))
    back = Path.through(go, [(sx, sy), (sx, lane)], back_speed)
    drive = Path.through(
        back.t[-1] + float(rng.uniform(0.5, 2.0)), [(sx, lane), (out_x, lane)], float(rng.uniform(2.5, 5.0))
    )
    car.path = Path(back.t + drive.t, back.x + drive.x, back.y + drive.y)
    car.engine = ((t0, car.path.t[-1] + 600.0),)
    car.vanish = car.path.t[-1]
    ghost = CarGhost(path=Path.still(sx, sy), left=go + 4.0 / back_speed, tau_s=float(rng.uniform(900.0, 2400.0)))
    return car, ghost


def old_ghosts(rng: np.random.Generator, stalls: list[tuple[float, float]], chance: float) -> list[SceneObject]:
    """Ghosts of cars that left free stalls in the half hour before the recording began."""
    return [
        CarGhost(path=Path.still(x, y), left=-float(rng.uniform(30.0, 1800.0)), tau_s=float(rng.uniform(900.0, 2400.0)))
        for x, y in stalls
        if rng.random() < chance
    ]


def animals(rng: np.random.Generator, cam: Camera, length: float, per_hour: float) -> list[SceneObject]:
    out: list[SceneObject] = []
    near, far = ground_span(cam)
    for _ in range(int(rng.poisson(per_hour * length / 3600.0))):
        t0 = float(rng.uniform(0, length))
        if rng.random() < 0.5:
            y0, y1 = float(rng.uniform(near, far)), float(rng.uniform(near, far))
            x0 = float(rng.uniform(-1, 1)) * half_width_at(cam, y0)
            x1 = float(rng.uniform(-1, 1)) * half_width_at(cam, y1)
            path = Path.through(t0, [(x0, y0), (x1, y1)], float(rng.uniform(0.3, 2.5)), {1: float(rng.uniform(0, 60))})
            out.append(Animal(path=path, appear=t0, vanish=path.t[-1]))
        else:
            y = float(rng.uniform(1.0, far))
            side = float(rng.choice([-1.0, 1.0]))
            span = half_width_at(cam, y) + 3.0
            path = Path.through(
                t0, [(-side * span, y), (side * span, y + float(rng.uniform(-5, 5)))], float(rng.uniform(5, 12))
            )
            bird = Animal(
                path=path,
                appear=t0,
                vanish=path.t[-1],
                size_m=(0.35, 0.25, 0.12),
                altitude_m=float(rng.uniform(1.0, 5.0)),
                fur_rise_k=float(rng.uniform(5.0, 12.0)),
            )
            out.append(bird)
    return out


def bushes(rng: np.random.Generator, cam: Camera, lot: LotLayout) -> list[SceneObject]:
    """A few shrubs beyond the far edge of the lot and along its sides, where they are in view."""
    near, far = ground_span(cam)
    out: list[SceneObject] = []
    for _ in range(int(rng.integers(0, 5))):
        if rng.random() < 0.6:
            y = lot.lot_far_m + float(rng.uniform(0.5, 3.0))
            x = float(rng.uniform(-1.0, 1.0)) * half_width_at(cam, y)
        else:
            y = float(rng.uniform(near + 2.0, far))
            x = float(rng.choice([-1.0, 1.0])) * (lot.lot_half_width_m + float(rng.uniform(2.5, 4.0)))
            if abs(x) > half_width_at(cam, y) + 1.0:
                continue
        size = (float(rng.uniform(0.8, 2.5)), float(rng.uniform(0.8, 2.0)), float(rng.uniform(1.0, 3.0)))
        out.append(Bush(path=Path.still(x, y), size_m=size, phase=float(rng.uniform(0.0, 6.28))))
    return out
