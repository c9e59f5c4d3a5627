"""Fire against its look-alikes, on short clips from the simulator (dev seeds, not the eval suite)."""

from __future__ import annotations

import pytest

from firmware.events import Event
from tests.pipeline.scenes import pipeline, starts

sim = pytest.importorskip("hw.sim.scenario", reason="the simulator (hw/sim) is not in this checkout")


def detect(name: str, seed: int, seconds: float) -> tuple[list[Event], list]:
    from hw.frame import ThermalFrame

    scenario = sim.Scenario(name, seed=seed)
    rec = scenario.recording(seconds)
    p = pipeline()
    events: list[Event] = []
    for i, px in enumerate(rec.frames):
        events.extend(p.process(ThermalFrame(px, float(rec.timestamps[i]), i)))
    events.extend(p.finish(rec.duration))
    return events, scenario.labels(seconds)


def test_growing_car_fire_alarms_within_the_confirmation_time() -> None:
    events, labels = detect("car-fire", 1, 70.0)
    (flames,) = [lb for lb in labels if lb.type == "fire"]
    fires = starts(events, "fire")
    assert len(fires) == 1
    assert flames.start <= fires[0].t <= flames.start + 4.0
    assert fires[0].detail["growth"] > 0 and fires[0].detail["flicker"] > 0


def test_smouldering_before_the_flames_is_not_yet_a_fire_alarm() -> None:
    events, labels = detect("car-fire", 7, 68.0)
    assert labels == [] or all(lb.type != "fire" for lb in labels)
    assert starts(events, "fire") == []


@pytest.mark.parametrize(("name", "seed", "seconds"), [("barbecue", 1, 360.0), ("barbecue", 2, 300.0)])
def test_barbecue_with_people_around_is_not_a_fire(name: str, seed: int, seconds: float) -> None:
    events, _ = detect(name, seed, seconds)
    assert starts(events, "fire") == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hot_engine_of_an_arriving_car_is_not_a_fire(seed: int) -> None:
    events, labels = detect("car-arrival", seed, 150.0)
    assert any(lb.type == "vehicle" for lb in labels)
    assert starts(events, "fire") == []
