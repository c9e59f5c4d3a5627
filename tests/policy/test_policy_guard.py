"""The hard maximum on-time: in policy time for replays, and on its own timer for a stalled pipeline."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from gpiozero.pins.mock import MockFactory
from policy_rig import LADDER, T0, Rig, assert_pin, fire, person, unit_config

from firmware.policy import build_policy, monotonic_wall_clock


def test_siren_stops_at_its_max_on_time_in_policy_time_while_the_fire_burns_on(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.send(fire("start", 0))
    rig.run_until(T0 + 420, step=1.0, events=[fire("end", 400)])
    assert_pin(rig.pin("siren"), [(0, False), (0, True), (180, False)])
    assert_pin(rig.pin("floodlight"), [(0, False), (0, True), (405, False)])
    siren_off = [a for a in rig.actions if a.output == "siren" and a.state == "off"]
    assert [(a.t - T0, a.reason) for a in siren_off] == [(180.0, "max on-time 180 s reached")]
    assert rig.policy.stats.guard_trips == 1


def test_a_new_fire_after_the_guard_tripped_is_a_new_activation(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(unit_config({"max_on_s": {"siren": 30.0}, "hold_s": 0}))
    rig.send(fire("start", 0, "f1"))
    rig.run_until(T0 + 100, step=1.0, events=[fire("end", 50, "f1"), fire("start", 60, "f2")])
    assert_pin(rig.pin("siren"), [(0, False), (0, True), (30, False), (30, True), (30, False)])


def test_stalled_pipeline_cannot_hold_the_siren_on() -> None:
    """Real time: the policy is ticked until the siren sounds, then never again (a hung pipeline).

    The guard's own timer must switch the siren off 0.6 s after it came on.
    """
    ladder = [{"output": "siren", "after_s": 0}, *LADDER[:1]]
    config = unit_config({"ladder": ladder, "max_on_s": {"siren": 0.6}}, loiter_s=0)
    factory = MockFactory()
    policy = build_policy(config, pin_factory=factory, wall_clock=lambda t: datetime(2026, 6, 1, 12, tzinfo=UTC))
    try:
        now = time.monotonic()
        policy.on_event(person("start", now - T0))
        assert policy.states()["siren"] == "on"
        time.sleep(1.2)  # no tick, no event: the pipeline is stalled
        assert_pin(factory.pin(21), [(0, False), (0, True), (0.6, False)])
        assert factory.pin(26).state is True  # the floodlight has no limit here and stays on
        late = policy.tick(time.monotonic())
        # when the loop wakes up it reports the guard's switch-off at the time it happened
        assert [(a.output, a.state, round(a.t - now, 3)) for a in late] == [("siren", "off", 0.6)]
        assert late[0].reason == "max on-time 0.6 s reached"
    finally:
        policy.close()


def test_monotonic_wall_clock_maps_policy_time_to_now() -> None:
    now = datetime.now(UTC)
    mapped = monotonic_wall_clock(time.monotonic() - 60)
    assert abs((now - mapped).total_seconds() - 60) < 1


def test_guard_switches_off_even_while_the_engine_thread_hangs_inside_the_policy() -> None:
    config = unit_config({"ladder": [{"output": "siren"}], "max_on_s": {"siren": 0.4}}, loiter_s=0)
    factory = MockFactory()
    policy = build_policy(config, pin_factory=factory, wall_clock=lambda t: datetime(2026, 6, 1, 12, tzinfo=UTC))
    release = threading.Event()

    def hang_holding_the_policy_lock() -> None:
        with policy._lock:
            release.wait(5)

    try:
        now = time.monotonic()
        policy.on_event(person("start", now - T0))
        stuck = threading.Thread(target=hang_holding_the_policy_lock)
        stuck.start()
        time.sleep(1.2)
        assert_pin(factory.pin(21), [(0, False), (0, True), (0.4, False)])
        release.set()
        stuck.join()
        late = policy.tick(time.monotonic())
        assert [(a.output, a.state, round(a.t - now, 3)) for a in late] == [("siren", "off", 0.4)]
        assert policy.states()["siren"] == "off"
    finally:
        release.set()
        policy.close()
