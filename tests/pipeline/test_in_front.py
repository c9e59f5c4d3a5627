"""Someone in front of a parked car, told from what the car does itself (firmware.pipeline.in_front)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from firmware.events import Event
from firmware.pipeline import DetectionPipeline, load_model_for
from firmware.pipeline.classify import PersonScale
from firmware.pipeline.in_front import InFrontOfParkedCars
from firmware.pipeline.zones import ZoneMap
from hw.frame import ThermalFrame
from hw.recording import LabelEvent
from tests.pipeline.scenes import config, frames, person, run, starts

CAR = (8, 3, 18, 8)  # x0, y0, x1, y1: a car parked far off, 10 px wide, 5 rows
GROUND_C = 10.0
CAR_C = 16.0
Box = tuple[int, int, int, int]


def _watch(
    paint: Callable[[np.ndarray, float], None],
    seconds: float,
    *,
    car: Box = CAR,
    car_c: float = CAR_C,
    model_person: float | None = None,
) -> list[tuple[Box | None, bool]]:
    """Run InFrontOfParkedCars over a parked car's frames at 8 Hz: where it saw someone in each
    frame, and whether they were confirmed (with the model's reading set to ``model_person``)."""
    watch = InFrontOfParkedCars(PersonScale(0.12, 0.28), ZoneMap([]), (24, 32), settled_s=2.0)
    rng = np.random.default_rng(1)
    x0, y0, x1, y1 = car
    fg = np.zeros((24, 32), dtype=bool)
    fg[y0:y1, x0:x1] = True
    out: list[tuple[Box | None, bool]] = []
    for i in range(int(seconds * 8)):
        t = i / 8
        px = (GROUND_C + rng.normal(0.0, 0.15, (24, 32))).astype(np.float32)
        px[y0:y1, x0:x1] = car_c + rng.normal(0.0, 0.15, (y1 - y0, x1 - x0))
        paint(px, t)
        watch.update([(7, car)], px, fg, t)
        now = [who for _, who in watch.people() if who.last_seen == t]
        for who in now:
            who.model_person = model_person
        out.append((now[0].box, now[0].confirmed(t)) if now else (None, False))
    return out


def _someone_per_frame(
    paint: Callable[[np.ndarray, float], None], seconds: float, car_c: float = CAR_C
) -> list[Box | None]:
    return [box for box, _ in _watch(paint, seconds, car_c=car_c)]


def test_someone_walking_in_front_of_a_parked_car_is_followed_across_it() -> None:
    def paint(px: np.ndarray, t: float) -> None:
        if t >= 10.0:
            x = round(9 + (t - 10.0) * 0.9)
            px[4:8, x : x + 2] = 30.0  # a walker, warmer than the car, feet on its bottom row

    seen = _someone_per_frame(paint, 16.0)
    assert all(box is None for box in seen[:80])  # nothing before they come
    assert all(box is not None for box in seen[80:])
    assert seen[-1] == (9 + 5, 4, 9 + 5 + 2, 8)  # where they are now, not the car


def test_someone_cooler_than_a_sun_heated_car_is_seen_in_front_of_it() -> None:
    """On a hot afternoon the car's roof reads 45 °C: someone in front of it is cooler than its
    look, and the pixels they half cover read 40 °C, hotter than skin, but that is the car's heat
    showing round them, not theirs: they are seen."""

    def paint(px: np.ndarray, t: float) -> None:
        if t >= 10.0:
            x = round(9 + (t - 10.0) * 0.9)
            px[4:8, x] = 33.0
            px[4:8, x + 1] = 40.0  # half them, half the hot roof

    seen = _someone_per_frame(paint, 14.0, car_c=45.0)
    assert all(box is not None for box in seen[82:])


def test_a_patch_that_stays_where_it_appeared_is_never_confirmed() -> None:
    """An idling engine that stops changes a person-sized patch of the car's look at once and
    keeps it changed: it is followed, but someone walking in front of a car crosses it."""

    def paint(px: np.ndarray, t: float) -> None:
        if t >= 10.0:
            px[4:8, 12:14] = CAR_C - 6.0 + 1.0 * (int(t * 8) % 2)  # the engine stopped: cooler, flickering

    seen = _watch(paint, 30.0, model_person=1.0)  # even were the model sure
    assert sum(box is not None for box, _ in seen) >= 8 * 8  # taken for someone in front, for seconds
    assert not any(confirmed for _, confirmed in seen)


def test_someone_walking_out_of_view_past_a_car_at_the_edge_is_confirmed() -> None:
    """A car parked at the left edge of the view; someone walks out of view past it. Cut by the
    edge, their box's centre moves under 2 px before they are gone, but they are clear of where
    they were first seen."""
    car = (0, 3, 6, 8)

    def paint(px: np.ndarray, t: float) -> None:
        if 10.0 <= t < 12.5:
            x = round(1 - (t - 10.0) * 1.0)  # 1, 0, then half out of view
            px[4:8, max(0, x) : x + 2] = 30.0

    seen = _watch(paint, 14.0, car=car, model_person=1.0)
    assert any(confirmed for _, confirmed in seen[80:])


def test_a_bonnet_cooling_in_place_is_the_car_not_someone_in_front() -> None:
    def paint(px: np.ndarray, t: float) -> None:
        px[4:8, 10:12] += max(0.0, 20.0 - 0.5 * t)  # a hot bonnet, person-shaped, cooling 0.5 °C/s

    assert all(box is None for box in _someone_per_frame(paint, 60.0))


def test_a_flame_on_a_parked_car_is_not_someone_in_front_of_it() -> None:
    """Warming to hotter than skin: the car's own heat, however it moves."""

    def paint(px: np.ndarray, t: float) -> None:
        if t >= 10.0:
            x = 10 + int(t * 4) % 3  # flickering from column to column
            px[4:8, x : x + 2] = 60.0

    assert all(box is None for box in _someone_per_frame(paint, 20.0))


def _car_arrival_35(**detection: object) -> tuple[list[Event], list[LabelEvent]]:
    """The simulator's car-arrival, seed 35, first minute, through the pipeline with the model:
    its events and labels."""
    sim = pytest.importorskip("hw.sim.scenario", reason="the simulator (hw/sim) is not in this checkout")
    scenario = sim.Scenario("car-arrival", seed=35)
    rec = scenario.recording(60.0)
    cfg = config(use_model=True, **detection)
    classifier, problem = load_model_for(cfg.detection)
    assert problem is None
    pipe = DetectionPipeline(cfg.detection, classifier)
    events = run(pipe, (ThermalFrame(px, float(rec.timestamps[i]), i) for i, px in enumerate(rec.frames)))
    return events, scenario.labels(60.0)


def test_a_driver_walking_off_past_their_parked_car_is_reported_with_their_own_box() -> None:
    """car-arrival, seed 35: a car parks at the top of the view; its driver walks off past the
    bonnet, 2-3 px inside the car's box, and is out of view 6 s later. Their pixels are the car's
    blob, so the car's track took them in; seen against the car's look, they are reported as a
    person, with their own box, while they are in view."""
    events, labels = _car_arrival_35()
    (driver,) = [lb for lb in labels if lb.type == "person" and not lb.ignore]
    people = starts(events, "person")
    assert len(people) == 1
    assert driver.start <= people[0].t <= (driver.end or 60.0)
    assert people[0].detail.get("in_front_of_track") is not None
    _, _, w, h = people[0].bbox or (0, 0, 1, 1)
    assert w <= 3 / 32 and h <= 4 / 24  # the driver's box, not the car's
    assert len(starts(events, "vehicle")) == 1


def test_someone_in_front_of_a_parked_car_must_loiter_as_the_zone_asks() -> None:
    """The same driver, with the whole view a zone where a person counts after 30 s: they are in
    front of their car for a few seconds, so they are not reported."""
    lot = {"name": "lot", "polygon": [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)], "loiter_s": 30.0}
    events, _ = _car_arrival_35(zones=[lot])
    assert starts(events, "vehicle") and starts(events, "person") == []


def _car_parks_then_someone_walks_in_front(px: np.ndarray, t: float) -> None:
    left = round(max(8.0, 30.0 - 4.0 * t))  # drives in from the right and stops at column 8
    px[3:8, left : left + 10] += 6.0
    if 20.0 <= t < 28.0:
        person(px, 9 + (t - 20.0) * 0.9, 7, height=4, excess=14.0)


def test_without_the_model_someone_in_front_of_a_parked_car_is_not_guessed_at() -> None:
    """Rules alone cannot tell a walker in front of a car from the car's own changes: the unit on
    rules only reports the car, and nothing made up."""
    cfg = config()
    events = run(DetectionPipeline(cfg.detection), frames(40, _car_parks_then_someone_walks_in_front))
    assert starts(events, "person") == []
