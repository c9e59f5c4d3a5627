"""Tamper switch and PIR on the board's inputs become events; relay feedback drives the self-test."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from gpiozero.pins.mock import MockConnectedPin, MockFactory
from policy_rig import NOON, T0, Rig, assert_pin, unit_config

from firmware.config import parse_config
from firmware.engine import Engine
from firmware.events import Event
from firmware.policy import build_policy, fixed_start_wall_clock
from firmware.policy.selftest import SelftestClock
from hw.board_profile import BOARDS_DIR


def wait_for(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_opening_the_enclosure_is_a_tamper_event(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    lid = rig.factory.pin(27)
    lid.drive_low()  # installer closes the lid: the switch pulls the input to ground
    lid.drive_high()  # someone opens it
    lid.drive_low()
    events = rig.policy.drain_local_events()
    assert [(e.type, e.phase, e.detail["input"]) for e in events] == [
        ("tamper", "end", "tamper"),
        ("tamper", "start", "tamper"),
        ("tamper", "end", "tamper"),
    ]
    assert events[1].is_alarm
    assert rig.policy.drain_local_events() == []


def test_tamper_events_are_flagged_in_test_mode(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(unit_config({"test_mode": True}))
    rig.factory.pin(27).drive_low()
    rig.factory.pin(27).drive_high()
    assert [e.detail.get("test") for e in rig.policy.drain_local_events()] == [True, True]


def test_pir_motion_reaches_the_policy_through_the_engine(clock, make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(unit_config({"pir": "confirm_sound", "ladder": [{"output": "siren"}]}, loiter_s=0))
    engine = Engine(pipeline=None, policy=rig.policy)  # type: ignore[arg-type]
    rig.send(Event(type="person", phase="start", t=T0, zone="lot", incident="p1"))
    assert rig.policy.states()["siren"] == "off"  # camera alone: no sound
    rig.factory.pin(17).drive_high()
    wait_for(lambda: bool(rig.policy._local_events))
    [pir] = rig.policy.drain_local_events()
    assert (pir.type, pir.phase, pir.detail["source"]) == ("motion", "start", "pir")
    clock.t = T0 + 1
    result = engine.inject(Event(type=pir.type, phase=pir.phase, t=T0 + 1, detail=pir.detail))
    assert [(a.output, a.state) for a in result.actions] == [("siren", "on")]


def feedback_profile(tmp_path: Path) -> Path:
    """The bundled board with feedback wired as a plain high-when-powered input, for MockConnectedPin."""
    text = (
        (BOARDS_DIR / "rpi4-relay-hat.toml")
        .read_text()
        .replace('pull = "up"\nactive_when = "low"', 'pull = "down"\nactive_when = "high"')
    )
    path = tmp_path / "fb.toml"
    path.write_text(text)
    return path


def test_selftest_cycles_outputs_and_reads_relay_feedback(clock, tmp_path: Path) -> None:
    factory = MockFactory()
    floodlight_sense = factory.pin(22)
    factory.pin(26, pin_class=MockConnectedPin, input_pin=floodlight_sense)  # lamp wired and working
    factory.pin(23)  # siren feedback fitted but the siren is not tested by default
    config = parse_config(
        {"unit": {"id": "t"}, "deterrence": {"board": str(feedback_profile(tmp_path)), "selftest": {"on_s": 0.05}}}
    )
    policy = build_policy(config, pin_factory=factory, wall_clock=fixed_start_wall_clock(NOON, origin=T0))
    try:
        event, actions = policy.selftest(T0)
        results = event.detail["outputs"]
        assert results["floodlight"] == {"result": "ok", "feedback": "floodlight_feedback"}
        assert results["strobe"] == {"result": "no_feedback"}
        assert "siren" not in results
        assert event.type == "selftest" and event.detail["ok"] is True
        assert [(a.output, a.state) for a in actions][:2] == [("floodlight", "on"), ("floodlight", "off")]
        assert [s.state for s in factory.pin(26).states] == [False, True, False]
        assert [s.state for s in factory.pin(21).states] == [False]  # the siren never chirped
    finally:
        policy.close()


def test_selftest_reports_a_lamp_that_does_not_switch(clock, tmp_path: Path) -> None:
    factory = MockFactory()
    config = parse_config(
        {
            "unit": {"id": "t"},
            "deterrence": {"board": str(feedback_profile(tmp_path)), "selftest": {"on_s": 0.05, "outputs": ["siren"]}},
        }
    )
    policy = build_policy(config, pin_factory=factory, wall_clock=fixed_start_wall_clock(NOON, origin=T0))
    try:
        event, _ = policy.selftest(T0)
        assert event.detail["ok"] is False
        assert event.detail["outputs"]["siren"]["result"] == "failed"
        assert "no power seen on siren_feedback" in event.detail["outputs"]["siren"]["error"]
        assert "test" not in event.detail
    finally:
        policy.close()


def test_selftest_leaves_an_output_in_use_alone(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(unit_config({"selftest": {"on_s": 0.05}}))
    rig.send(Event(type="fire", phase="start", t=T0, incident="f1"))
    event, actions = rig.policy.selftest(T0 + 1)
    assert event.detail["outputs"]["floodlight"] == {"result": "busy"}
    assert rig.pin("floodlight").state is True
    assert "floodlight" not in {a.output for a in actions}


def test_selftest_is_due_once_a_day_at_its_local_time(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(unit_config({"selftest": {"at": "14:30"}}))  # NOON is 14:00 in Stockholm
    due = SelftestClock("14:30", rig.policy.schedule)
    fired = [t for t in range(0, 2 * 86400, 60) if due.due(T0 + t)]
    assert [(t // 60) for t in fired] == [30, 30 + 24 * 60]


def test_outputs_are_never_driven_through_a_global_pin_factory(clock) -> None:
    from gpiozero import Device

    before = Device.pin_factory
    policy = build_policy(parse_config({"unit": {"id": "t"}}), pin_factory=MockFactory())
    policy.close()
    assert Device.pin_factory is before


def test_daily_selftest_runs_in_policy_time_without_blocking(clock, tmp_path: Path) -> None:
    factory = MockFactory()
    factory.pin(26, pin_class=MockConnectedPin, input_pin=factory.pin(22))  # floodlight with working feedback
    config = parse_config(
        {
            "unit": {"id": "t"},
            "deterrence": {"board": str(feedback_profile(tmp_path)), "selftest": {"at": "14:01", "on_s": 0.5}},
        }
    )
    policy = build_policy(config, pin_factory=factory, wall_clock=fixed_start_wall_clock(NOON, origin=T0))
    rig = Rig(policy, factory, clock, [])
    try:
        rig.run_until(T0 + 70, step=0.125)  # NOON is 14:00 local: the test is due at T0 + 60
        assert_pin(factory.pin(26), [(0, False), (60, True), (0.5, False)])
        assert_pin(factory.pin(20), [(0, False), (60.5, True), (0.5, False)])
        assert_pin(factory.pin(21), [(0, False)])  # never the siren
        [event] = policy.drain_local_events()
        assert (event.type, event.t - T0, event.detail["ok"]) == ("selftest", 60.0, True)
        assert event.detail["outputs"]["floodlight"] == {"result": "ok", "feedback": "floodlight_feedback"}
        assert event.detail["outputs"]["strobe"] == {"result": "no_feedback"}
        assert {a.reason for a in rig.actions} == {"self-test", "released (self-test)"}
    finally:
        policy.close()


def test_an_alarm_is_stored_before_any_output_announces_it(make_rig: Callable[..., Rig]) -> None:
    """Write-ahead: when the engine hands a fire alarm to the daemon's outbox, the siren and the
    floodlight are still off; a power cut the instant they come on cannot lose the alarm."""
    rig = make_rig()
    seen_at_store: list[dict[str, str]] = []
    engine = Engine(pipeline=None, policy=rig.policy, write_ahead=lambda e: seen_at_store.append(rig.policy.states()))  # type: ignore[arg-type]
    result = engine.inject(Event(type="fire", phase="start", t=T0, incident="f1"))
    assert result.recorded
    assert seen_at_store and seen_at_store[0]["siren"] == "off" and seen_at_store[0]["floodlight"] == "off"
    assert rig.policy.states()["siren"] != "off"
