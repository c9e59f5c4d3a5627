"""The renderer's physics on hand-built scenes with the sensor noise switched off."""

from __future__ import annotations

import numpy as np

from hw.sim import Scenario
from hw.sim.camera import Camera
from hw.sim.environment import Environment, RainSpell
from hw.sim.ground import LotLayout
from hw.sim.hazards import CarFire, CarGhost
from hw.sim.objects import Bush, Car, Path, Person
from hw.sim.render import Scene, render_chunk
from hw.sim.sensor_noise import NoiseModel

QUIET = NoiseModel(netd_k=0.0, fixed_pattern_k=0.0, chess_k=0.0, drift_k=0.0, blur=0.0, quantum_c=0.0)
NIGHT = Environment(start_hour=1.0, air_mean_c=10.0, air_swing_k=0.0, cloud=1.0)


def _render(objects: list, t: np.ndarray, env: Environment = NIGHT, shape: tuple[int, int] = (24, 32)):  # type: ignore[no-untyped-def]
    scene = Scene(env=env, camera=Camera(shape=shape), lot=LotLayout(), objects=objects, noise=QUIET)
    return render_chunk(scene, t, np.random.default_rng(0), with_truth=True)


def test_person_at_20m_is_a_pixel_or_two_wide_and_reads_far_below_body_temperature() -> None:
    person = Person(path=Path.still(0.3, 20.0), body_c=31.0, head_c=34.0)
    empty, *_ = _render([], np.array([0.0]))
    frames, _, geo, apparent = _render([person], np.array([0.0]))
    assert geo is not None and apparent is not None
    x0, _, x1, _ = geo.bbox[0, 0]
    assert 0.5 < x1 - x0 < 2.0
    rise = frames[0] - empty[0]
    assert 2.0 < rise.max() < 31.0 - 10.0  # seen, but mixed with the ground around it
    assert np.count_nonzero(rise > 0.5) <= 6
    assert 10.0 < apparent[0, 0] < 25.0


def test_the_same_person_fills_more_pixels_and_reads_warmer_on_a_finer_sensor() -> None:
    person = Person(path=Path.still(0.3, 20.0), body_c=31.0, head_c=34.0)
    coarse, *_ = _render([person], np.array([0.0]), shape=(24, 32))
    fine, *_ = _render([person], np.array([0.0]), shape=(120, 160))
    assert fine.max() > coarse.max() + 3.0


def test_engine_hood_cools_exponentially_after_parking() -> None:
    car = Car(path=Path.still(0.0, 12.0), engine=((-600.0, 0.0),), hood_rise_k=40.0, hood_tau_s=1200.0)
    t = np.array([0.0, 1200.0, 2400.0])
    rise = car.hood_rise(t)
    np.testing.assert_allclose(rise / rise[0], [1.0, np.exp(-1), np.exp(-2)], rtol=1e-6)
    frames, *_ = _render([car], t)
    peaks = frames.reshape(3, -1).max(axis=1)
    assert peaks[0] > peaks[1] > peaks[2]


def test_fire_grows_hotter_and_larger_after_flames_break_out() -> None:
    car = Car(path=Path.still(0.0, 12.0))
    fire = CarFire(path=car.path, ignite=0.0, flames_at=30.0, grow_s=200.0)
    t = np.array([10.0, 60.0, 200.0])
    frames, _, geo, _ = _render([car, fire], t)
    assert geo is not None
    hot = [(f > 60.0).sum() for f in frames]
    assert hot[0] == 0 and 0 < hot[1] < hot[2]
    assert frames[2].max() > 250.0
    assert not geo.labelled[1, 0] and geo.labelled[1, 1]


def test_rain_pulls_surfaces_together_and_lowers_contrast() -> None:
    car = Car(path=Path.still(0.0, 12.0), engine=((-600.0, 0.0),), hood_rise_k=30.0)
    dry = Environment(start_hour=13.0, air_mean_c=20.0, air_swing_k=0.0, cloud=0.0)
    wet = Environment(start_hour=13.0, air_mean_c=20.0, air_swing_k=0.0, cloud=0.0, rain=(RainSpell(-900, 900, 1.0),))
    f_dry, *_ = _render([car], np.array([0.0]), env=dry)
    f_wet, *_ = _render([car], np.array([0.0]), env=wet)
    assert np.ptp(f_wet) < 0.5 * np.ptp(f_dry)
    assert f_wet.mean() < f_dry.mean() - 5.0


def test_sun_heats_asphalt_and_dark_roofs_by_day_and_roofs_drop_below_air_on_clear_nights() -> None:
    day = Environment(start_hour=13.0, air_mean_c=20.0, air_swing_k=0.0, cloud=0.0)
    night = Environment(start_hour=2.0, air_mean_c=20.0, air_swing_k=0.0, cloud=0.0)
    t = np.array([0.0])
    assert day.surface_c("asphalt", t)[0] > 35.0
    assert day.surface_c("roof-dark", t)[0] > day.surface_c("roof-light", t)[0] + 10.0
    assert night.surface_c("roof-dark", t)[0] < 20.0 - 3.0


def test_a_car_that_left_by_day_leaves_a_cool_ghost_that_fades_and_is_not_an_object() -> None:
    day = Environment(start_hour=13.0, air_mean_c=22.0, air_swing_k=0.0, cloud=0.0)
    ghost = CarGhost(path=Path.still(0.0, 12.0), left=0.0, tau_s=1200.0)
    t = np.array([-1.0, 1.0, 600.0, 6000.0])
    frames, _, geo, _ = _render([ghost], t, env=day)
    empty, *_ = _render([], t, env=day)
    dip = (empty - frames).reshape(4, -1).max(axis=1)
    assert dip[0] < 0.01
    assert dip[1] > 10.0 and dip[1] > dip[2] > dip[3]
    assert dip[3] < 0.5
    assert geo is not None and not geo.labelled.any()
    with_ghost = next(
        sc
        for sc in (Scenario("people-and-cars", seed=s) for s in range(1000, 1020))
        if any(isinstance(o, CarGhost) for o in sc.scene.objects)
    )
    truth = with_ghost.render(5).truth
    assert truth is not None and all(o.cls != "ground" for objs in truth for o in objs)


def test_bushes_sway_in_wind_and_stand_still_without_it() -> None:
    bush = Bush(path=Path.still(0.0, 14.0), size_m=(2.0, 1.5, 2.5))
    clear = Environment(start_hour=2.0, air_mean_c=10.0, air_swing_k=0.0, cloud=0.0, wind_mps=6.0)
    calm = Environment(start_hour=2.0, air_mean_c=10.0, air_swing_k=0.0, cloud=0.0, wind_mps=0.0)
    t = np.arange(0.0, 4.0, 0.125)
    windy, _, geo, _ = _render([bush], t, env=clear, shape=(60, 80))
    still, *_ = _render([bush], t, env=calm, shape=(60, 80))
    assert np.abs(windy - windy[0]).max() > 0.3
    assert np.abs(still - still[0]).max() < 1e-4
    assert geo is not None and not geo.labelled.any()
