"""The named scenarios. Each builder turns (random generator, length, camera) into a lot.

Labels follow from the objects: a ``person`` while one is in view, a ``vehicle`` while one is
moving or running its engine in view (a parked, switched-off car is scenery), a ``fire`` from the
moment flames break out. Barbecues, animals, warm hoods of cars parked before the recording and
sun-heated roofs are nuisances: present in the per-frame ground truth, never in the labels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hw.sim.actors import (
    animals,
    arriving_car,
    day_env,
    half_width_at,
    leaving_car,
    loiterer,
    night_env,
    old_ghosts,
    parked_cars,
    random_lot,
    take_stall,
    visible_stalls,
    walker,
)
from hw.sim.camera import Camera
from hw.sim.environment import Environment, RainSpell
from hw.sim.ground import LotLayout
from hw.sim.hazards import Barbecue, CarFire
from hw.sim.objects import Car, Path, SceneObject

Built = tuple[Environment, LotLayout, list[SceneObject]]
Builder = Callable[[np.random.Generator, float, Camera], Built]


@dataclass(frozen=True, slots=True)
class ScenarioSpec:
    name: str
    description: str
    length_s: float
    build: Builder


def _free(stalls: list[tuple[float, float]], objs: list[SceneObject]) -> list[tuple[float, float]]:
    taken = {(round(o.path.x[0], 2), round(o.path.y[0], 2)) for o in objs if isinstance(o, Car)}
    return [s for s in stalls if (round(s[0], 2), round(s[1], 2)) not in taken]


def _empty_night(rng: np.random.Generator, length: float, cam: Camera) -> Built:
    env, lot = night_env(rng), random_lot(rng, cam)
    stalls = visible_stalls(lot, cam)
    objs = parked_cars(rng, stalls, float(rng.uniform(0.1, 0.6)))
    objs += old_ghosts(rng, _free(stalls, objs), 0.1)
    return env, lot, objs + animals(rng, cam, length, per_hour=float(rng.uniform(0.0, 4.0)))


def _beside(rng: np.random.Generator, car: Car, lot: LotLayout) -> tuple[float, float]:
    """A spot on the lane side of a parked car, where someone trying its doors would stand."""
    x, y = float(car.path.x[0]), float(car.path.y[0])
    toward_lane = 1.0 if lot.lane_y > y else -1.0
    return x + float(rng.uniform(-1.0, 1.0)), y + toward_lane * float(rng.uniform(2.6, 3.2))


def _person_loitering(rng: np.random.Generator, length: float, cam: Camera) -> Built:
    env, lot = night_env(rng), random_lot(rng, cam)
    stalls = visible_stalls(lot, cam)
    objs = parked_cars(rng, stalls, float(rng.uniform(0.2, 0.7)))
    t0 = float(rng.uniform(5.0, 0.25 * length))
    stay = float(rng.uniform(0.3, 0.6)) * length
    target = objs[int(rng.integers(0, len(objs)))] if objs and rng.random() < 0.6 else None
    spot = _beside(rng, target, lot) if isinstance(target, Car) else None
    return env, lot, [*objs, loiterer(rng, cam, t0, stay, env, spot)]


def _person_walking(rng: np.random.Generator, length: float, cam: Camera) -> Built:
    env, lot = night_env(rng), random_lot(rng, cam)
    objs = parked_cars(rng, visible_stalls(lot, cam), float(rng.uniform(0.1, 0.7)))
    people = [walker(rng, cam, float(rng.uniform(3.0, 0.6 * length)), env) for _ in range(int(rng.integers(1, 3)))]
    return env, lot, objs + people


def _car_arrival(rng: np.random.Generator, length: float, cam: Camera) -> Built:
    env, lot = night_env(rng), random_lot(rng, cam)
    stalls = visible_stalls(lot, cam)
    free = list(stalls)
    stall = take_stall(rng, free)
    objs = parked_cars(rng, free, float(rng.uniform(0.1, 0.6)))
    car, driver = arriving_car(rng, cam, lot, float(rng.uniform(5.0, 0.3 * length)), stall, env)
    return env, lot, [*objs, car] + ([driver] if driver else [])


def _fire_in(rng: np.random.Generator, car: Car, onset: float) -> CarFire:
    smoulder = float(rng.uniform(15.0, 90.0))
    return CarFire(
        path=car.path,
        ignite=onset,
        flames_at=onset + smoulder,
        grow_s=float(rng.uniform(120.0, 480.0)),
        flame_c=float(rng.uniform(700.0, 950.0)),
        metal_c=float(rng.uniform(350.0, 650.0)),
        nose_y=car.nose_y,
        wind_mps=float(rng.uniform(-1.0, 1.0)),
        flicker=tuple(
            (float(rng.uniform(1.0, 10.0)), float(rng.uniform(0, 6.28)), float(rng.uniform(0.05, 0.25)))
            for _ in range(3)
        ),
    )


def _car_fire(rng: np.random.Generator, length: float, cam: Camera) -> Built:
    env, lot = night_env(rng), random_lot(rng, cam)
    objs = parked_cars(rng, visible_stalls(lot, cam), float(rng.uniform(0.3, 0.8)))
    if not objs:
        objs = [Car(path=Path.still(lot.x_offset_m + 1.25, lot.row_y[1]))]
    in_view = [o for o in objs if isinstance(o, Car) and abs(o.path.x[0]) < half_width_at(cam, o.path.y[0]) - 1.0]
    candidates = in_view or [o for o in objs if isinstance(o, Car)]
    burning = candidates[int(rng.integers(0, len(candidates)))]
    return env, lot, [*objs, _fire_in(rng, burning, float(rng.uniform(10.0, 0.35 * length)))]


def _sun_heated_lot(rng: np.random.Generator, length: float, cam: Camera) -> Built:
    env, lot = day_env(rng), random_lot(rng, cam)
    objs = parked_cars(rng, visible_stalls(lot, cam), float(rng.uniform(0.4, 0.9)))
    if rng.random() < 0.5:
        objs.append(walker(rng, cam, float(rng.uniform(5.0, 0.7 * length)), env))
    return env, lot, objs + animals(rng, cam, length, per_hour=6.0)


def _rain(rng: np.random.Generator, length: float, cam: Camera) -> Built:
    spell = RainSpell(-600.0, length + 600.0, float(rng.uniform(0.3, 1.0)))
    env = night_env(rng, cloud=1.0) if rng.random() < 0.7 else day_env(rng, cloud=1.0)
    env = Environment(**{**{f: getattr(env, f) for f in env.__slots__}, "rain": (spell,)})
    lot = random_lot(rng, cam)
    objs = parked_cars(rng, visible_stalls(lot, cam), float(rng.uniform(0.2, 0.7)))
    if rng.random() < 0.6:
        objs.append(walker(rng, cam, float(rng.uniform(5.0, 0.7 * length)), env))
    return env, lot, objs


def _barbecue(rng: np.random.Generator, length: float, cam: Camera) -> Built:
    env = night_env(rng, start_hour=float(rng.uniform(18.0, 22.0)), air_mean_c=float(rng.uniform(12.0, 24.0)))
    lot = random_lot(rng, cam)
    objs = parked_cars(rng, visible_stalls(lot, cam), float(rng.uniform(0.1, 0.4)))
    gx, gy = float(rng.uniform(-4.0, 4.0)), lot.lane_y + float(rng.uniform(-2.0, 2.0))
    lit = -1000.0 if rng.random() < 0.5 else float(rng.uniform(10.0, 0.4 * length))
    grill = Barbecue(path=Path.still(gx, gy), lit=lit, coal_c=float(rng.uniform(250.0, 400.0)))
    people = []
    for _ in range(int(rng.integers(1, 4))):
        spot = (gx + float(rng.uniform(-2.5, 2.5)), gy + float(rng.uniform(-2.0, 2.0)))
        people.append(
            loiterer(rng, cam, float(rng.uniform(0.0, 60.0)), float(rng.uniform(0.5, 0.9)) * length, env, spot)
        )
    return env, lot, [*objs, grill, *people]


def _people_and_cars(rng: np.random.Generator, length: float, cam: Camera) -> Built:
    env = night_env(rng) if rng.random() < 0.5 else day_env(rng)
    lot = random_lot(rng, cam)
    free = list(visible_stalls(lot, cam))
    objs: list[SceneObject] = parked_cars(rng, free, float(rng.uniform(0.3, 0.6)))
    free = _free(free, objs)
    for _ in range(int(rng.integers(1, 4))):
        if free:
            car, driver = arriving_car(rng, cam, lot, float(rng.uniform(0.0, 0.8 * length)), take_stall(rng, free), env)
            objs += [car] + ([driver] if driver else [])
    parked = [o for o in objs if isinstance(o, Car) and not o.engine]
    for car in parked[: int(rng.integers(0, 3))]:
        objs.append(leaving_car(rng, cam, lot, float(rng.uniform(0.0, 0.8 * length)), car)[1])
    objs += [walker(rng, cam, float(rng.uniform(0.0, 0.9 * length)), env) for _ in range(int(rng.integers(2, 7)))]
    objs += [
        loiterer(rng, cam, float(rng.uniform(0, 0.5 * length)), float(rng.uniform(30, 120)), env, None)
        for _ in range(int(rng.integers(0, 3)))
    ]
    return env, lot, objs + animals(rng, cam, length, per_hour=4.0)


def _demo(rng: np.random.Generator, length: float, cam: Camera) -> Built:
    """The demo's story at night: a loiterer, then a car arriving hot, then a fire in another car."""
    env = night_env(rng, start_hour=23.5, cloud=0.4, air_mean_c=9.0)
    lot = random_lot(rng, cam)
    free = list(visible_stalls(lot, cam))
    fire_stall = min((s for s in free if s[1] < lot.lane_y), key=lambda s: abs(s[0] - 2.0))
    free.remove(fire_stall)
    near_row = [s for s in free if s[1] < lot.lane_y]
    stall = min(near_row, key=lambda s: abs(s[0] + 3.5))
    free.remove(stall)
    fire_car = Car(path=Path.still(*fire_stall), roof="roof-dark", nose_y=1.0)
    objs: list[SceneObject] = [*parked_cars(rng, free, 0.5), fire_car]
    objs.append(loiterer(rng, cam, 5.0, 0.25 * length, env, _beside(rng, fire_car, lot)))
    car, driver = arriving_car(rng, cam, lot, 0.45 * length, stall, env)
    objs += [car] + ([driver] if driver else [])
    fire = _fire_in(rng, fire_car, 0.62 * length)
    fire.flames_at = fire.ignite + 10.0
    fire.grow_s = 150.0
    return env, lot, [*objs, fire]


def _nuisance(rng: np.random.Generator, length: float, cam: Camera) -> Built:
    """Hours of an empty lot: sun and clouds, rain spells, animals, cars cooling from earlier."""
    env = Environment(
        start_hour=float(rng.uniform(0, 24)),
        air_mean_c=float(rng.uniform(-5.0, 25.0)),
        air_swing_k=float(rng.uniform(2.0, 8.0)),
        cloud=float(rng.uniform(0.0, 0.8)),
        cloud_wobble=float(rng.uniform(0.0, 0.5)),
        cloud_period_s=float(rng.uniform(300.0, 3000.0)),
        rain=tuple(
            RainSpell(s, s + float(rng.uniform(300.0, 2400.0)), float(rng.uniform(0.2, 1.0)))
            for s in rng.uniform(-600.0, length, int(rng.poisson(0.6)))
        ),
    )
    lot = random_lot(rng, cam)
    stalls = visible_stalls(lot, cam)
    objs = parked_cars(rng, stalls, float(rng.uniform(0.1, 0.9)))
    objs += old_ghosts(rng, _free(stalls, objs), 0.15)
    return env, lot, objs + animals(rng, cam, length, per_hour=float(rng.uniform(1.0, 8.0)))


SCENARIOS: dict[str, ScenarioSpec] = {
    s.name: s
    for s in (
        ScenarioSpec(
            "empty-night", "an empty lot at night with parked cars; maybe a cat or a bird", 600.0, _empty_night
        ),
        ScenarioSpec(
            "person-loitering", "someone walks in, lingers by a car for minutes, leaves", 300.0, _person_loitering
        ),
        ScenarioSpec("person-walking", "one or two people cross the lot at night", 120.0, _person_walking),
        ScenarioSpec(
            "car-arrival", "a car drives in with a hot engine, parks, the driver walks off", 300.0, _car_arrival
        ),
        ScenarioSpec("car-fire", "a parked car's engine bay smoulders, then burns and spreads", 480.0, _car_fire),
        ScenarioSpec(
            "sun-heated-lot", "midday sun: hot asphalt and car roofs, perhaps a passer-by", 600.0, _sun_heated_lot
        ),
        ScenarioSpec(
            "rain", "rain: wet surfaces, low contrast, streaks; perhaps someone with an umbrella", 600.0, _rain
        ),
        ScenarioSpec("barbecue", "an evening barbecue on the lot with a few people around it", 600.0, _barbecue),
        ScenarioSpec(
            "people-and-cars", "a busy lot: cars arriving and leaving, people walking", 600.0, _people_and_cars
        ),
        ScenarioSpec("demo", "the demo: a loiterer, a car arriving hot, then a car fire (night)", 180.0, _demo),
        ScenarioSpec(
            "nuisance", "an hour of empty lot at any time of day: weather, animals, cooling cars", 3600.0, _nuisance
        ),
    )
}
