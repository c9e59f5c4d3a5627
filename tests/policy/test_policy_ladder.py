"""The escalation ladder for a person in an armed zone, checked on the pins and as actions."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from policy_rig import MIDNIGHT, T0, Rig, assert_pin, fire, person, unit_config

from firmware.events import Event


def test_ladder_escalates_step_by_step_and_releases_after_the_hold(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.send(person("start", 10))
    rig.run_until(T0 + 100, events=[person("end", 70)])

    assert_pin(rig.pin("floodlight"), [(0, False), (10, True), (65, False)])
    assert_pin(rig.pin("strobe"), [(0, False), (30, True), (45, False)])
    assert_pin(rig.pin("siren"), [(0, False), (40, True), (20, False)])
    assert rig.lines() == [
        ("floodlight", "on", 10.0),
        ("voice", "play warning_sv,warning_en", 20.0),
        ("strobe", "on", 30.0),
        ("siren", "on", 40.0),
        ("siren", "off", 60.0),
        ("floodlight", "off", 75.0),
        ("strobe", "off", 75.0),
    ]
    assert "person in zone lot" in rig.actions[0].reason


def test_later_steps_do_not_start_once_the_person_has_left(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.send(person("start", 10))
    rig.run_until(T0 + 60, events=[person("end", 15)])
    assert rig.lines() == [("floodlight", "on", 10.0), ("floodlight", "off", 20.0)]


def test_cooldown_suppresses_a_new_incident_in_the_same_zone(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.send(person("start", 10, "p1"))
    events = [person("end", 15, "p1"), person("start", 30, "p2"), person("end", 60, "p2")]
    events += [person("start", 95, "p3"), person("end", 100, "p3")]
    rig.run_until(T0 + 120, events=events)
    # p1 lights the floodlight 10..20; p2 (30..60) falls in the cooldown until 80; p3 escalates again
    assert_pin(rig.pin("floodlight"), [(0, False), (10, True), (10, False), (75, True), (10, False)])
    assert rig.policy.stats.suppressed_cooldown == 1


def test_a_return_within_the_hold_time_continues_the_ladder(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.send(person("start", 10, "p1"))
    rig.run_until(T0 + 70, events=[person("end", 35, "p1"), person("start", 38, "p2"), person("end", 65, "p2")])
    # the tracker lost p1 and found "p2" three seconds later: the floodlight never blinks off,
    # the voice is not repeated and the siren comes at its time (40) as if nothing happened
    assert_pin(rig.pin("floodlight"), [(0, False), (10, True), (60, False)])
    assert_pin(rig.pin("siren"), [(0, False), (40, True), (20, False)])
    assert [a.output for a in rig.actions].count("voice") == 1


def test_vehicles_are_logged_only_by_default(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.send(Event(type="vehicle", phase="start", t=T0 + 10, zone="lot", incident="v1"))
    rig.run_until(T0 + 60)
    assert rig.actions == []
    ladder_rig = make_rig(unit_config({"vehicles": "ladder"}))
    ladder_rig.send(Event(type="vehicle", phase="start", t=T0 + 10, zone="lot", incident="v1"))
    ladder_rig.run_until(T0 + 12)
    assert ladder_rig.lines() == [("floodlight", "on", 10.0)]


def test_a_disarmed_zone_and_a_disarmed_unit_do_not_deter(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(unit_config(armed=False))
    rig.send(person("start", 10))
    rig.run_until(T0 + 60)
    assert rig.actions == []

    unit = make_rig()
    unit.actions.extend(unit.policy.disarm(T0))
    unit.send(person("start", 10))
    unit.run_until(T0 + 25)
    assert unit.actions == []
    unit.actions.extend(unit.policy.arm(T0 + 25))
    unit.run_until(T0 + 31)
    # armed again mid-incident: the ladder stands where its own clock says; the warning it owes is given
    assert unit.lines() == [
        ("floodlight", "on", 25.0),
        ("voice", "play warning_sv,warning_en", 25.0),
        ("strobe", "on", 30.0),
    ]


def test_quiet_hours_keep_siren_and_voice_silent(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(wall=MIDNIGHT)
    rig.send(person("start", 10))
    rig.run_until(T0 + 100, events=[person("end", 70)])
    assert rig.lines() == [("floodlight", "on", 10.0), ("strobe", "on", 30.0), ("floodlight", "off", 75.0),
                           ("strobe", "off", 75.0)]  # fmt: skip
    assert_pin(rig.pin("siren"), [(0, False)])
    assert rig.policy.stats.skipped_quiet > 0


def test_silence_switches_everything_off_at_once(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.send(person("start", 10))
    rig.run_until(T0 + 45)
    rig.actions.extend(rig.policy.silence(T0 + 45))
    rig.run_until(T0 + 80)
    assert_pin(rig.pin("siren"), [(0, False), (40, True), (5, False)])
    assert_pin(rig.pin("floodlight"), [(0, False), (10, True), (35, False)])
    assert {a.reason for a in rig.actions if a.t == T0 + 45} == {"silenced by operator"}


def test_pir_confirmation_gates_sound_but_not_light(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(unit_config({"pir": "confirm_sound", "pir_window_s": 10}))
    rig.send(person("start", 10))
    pir = Event(type="motion", phase="start", t=T0 + 45, incident="pir", detail={"source": "pir"})
    rig.run_until(T0 + 48, events=[pir])
    # voice (20) and siren (40) waited for the PIR; light came on camera alone
    assert rig.lines() == [
        ("floodlight", "on", 10.0),
        ("strobe", "on", 30.0),
        ("siren", "on", 45.0),
        ("voice", "play warning_sv,warning_en", 45.0),
    ]


def test_fire_sounds_everything_at_night_even_when_disarmed(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(wall=MIDNIGHT)
    rig.actions.extend(rig.policy.disarm(T0))
    rig.run_until(T0 + 5)
    rig.send(fire("start", 5))
    rig.run_until(T0 + 70, events=[fire("end", 50)])
    for output in ("floodlight", "strobe", "siren"):
        assert_pin(rig.pin(output), [(0, False), (5, True), (50, False)])
    assert [a.reason for a in rig.actions[:3]] == ["fire"] * 3


def test_manual_trigger_runs_the_fire_outputs_for_its_duration(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(wall=MIDNIGHT)
    rig.actions.extend(rig.policy.trigger(T0, duration_s=30))
    rig.run_until(T0 + 40)
    assert_pin(rig.pin("siren"), [(0, False), (0, True), (30, False)])
    assert rig.actions[0].reason == "manual trigger for 30 s"


def test_a_dimmable_floodlight_comes_on_dimmed_then_full(clock, tmp_path) -> None:
    from gpiozero.pins.mock import MockFactory, MockPWMPin
    from policy_rig import NOON

    from firmware.policy import build_policy, fixed_start_wall_clock
    from hw.board_profile import BOARDS_DIR

    profile = tmp_path / "dimmable.toml"
    profile.write_text((BOARDS_DIR / "rpi4-relay-hat.toml").read_text().replace("pin = 26\n", "pin = 26\npwm = true\n"))
    ladder = [{"output": "floodlight", "level": 0.3}, {"output": "floodlight", "after_s": 20}]
    config = unit_config({"board": str(profile), "ladder": ladder})
    factory = MockFactory(pin_class=MockPWMPin)
    policy = build_policy(config, pin_factory=factory, wall_clock=fixed_start_wall_clock(NOON, origin=T0))
    rig = Rig(policy, factory, clock, [])
    try:
        rig.send(person("start", 10))
        rig.run_until(T0 + 60, events=[person("end", 40)])
        assert_pin(rig.pin("floodlight"), [(0, 0.0), (10, 0.3), (20, 1.0), (15, 0.0)])
        assert rig.lines()[:2] == [("floodlight", "dim:0.3", 10.0), ("floodlight", "on", 30.0)]
    finally:
        policy.close()


def test_an_event_stamped_before_the_last_frame_does_not_turn_back_time(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.send(person("start", 10))
    rig.run_until(T0 + 62)  # the siren's 20 s step (40..60) is over
    late_tamper = Event(type="tamper", phase="start", t=T0 + 59.5, incident="lid")
    assert rig.policy.on_event(late_tamper) == []
    assert rig.pin("siren").state is False


@pytest.mark.parametrize("duration", [0, -5, 1e9, float("nan"), "60", True, None])
def test_a_forged_trigger_duration_is_refused_and_switches_nothing(make_rig: Callable[..., Rig], duration) -> None:
    rig = make_rig()
    with pytest.raises(ValueError, match="trigger duration_s must be"):
        rig.policy.trigger(T0, duration_s=duration)
    assert_pin(rig.pin("siren"), [(0, False)])


def test_garbled_or_repeated_events_do_not_restart_or_stall_the_ladder(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.send(person("start", 10))
    rig.run_until(T0 + 25)
    rig.send(person("start", 25))  # the same incident's start, resent
    rig.actions.extend(rig.policy.on_event(Event(type="person", phase="end", t=float("nan"), incident="p1")))
    rig.actions.extend(rig.policy.tick(float("inf")))
    rig.run_until(T0 + 100, events=[person("end", 70)])
    assert rig.lines() == [
        ("floodlight", "on", 10.0),
        ("voice", "play warning_sv,warning_en", 20.0),
        ("strobe", "on", 30.0),
        ("siren", "on", 40.0),
        ("siren", "off", 60.0),
        ("floodlight", "off", 75.0),
        ("strobe", "off", 75.0),
    ]
    assert rig.policy.stats.ignored_events["non-finite time"] == 1
