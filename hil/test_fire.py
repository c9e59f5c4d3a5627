"""A car fire: light, strobe and siren within confirmation + 1 s, the event upstream, the alarm at the centre."""

from __future__ import annotations

from pathlib import Path

from hil.conftest import Row
from hil.feeds import scenario_feed
from hil.rig import Rig

CONFIRM_S = 4.0  # the unit's default fire confirmation time


def test_car_fire_alarms_everywhere(rig: Rig, feeds_dir: Path, summary: list[Row]) -> None:
    feed = scenario_feed("car-fire", feeds_dir, seed=1001, seconds=240, around="fire", lead_s=20, tail_s=12)
    fire = feed.first("fire")
    assert fire is not None
    rig.start_unit(feed)
    started = rig.wait_frames_started()
    visible = started + fire.start
    deadline = visible + CONFIRM_S + 1.0

    on_at = {
        name: rig.wait_output(name, True, timeout=max(1.0, deadline - rig.now()) + 0.5)
        for name in ("floodlight", "strobe", "siren")
    }
    event = rig.broker.wait_event("fire", "start", timeout=5)
    alarm = rig.centre.wait("FA", timeout=10)

    late = {name: t for name, t in on_at.items() if t is None or t > deadline}
    assert not late, f"outputs not on within {CONFIRM_S + 1:.0f} s of the fire: {late}; all: {on_at}"
    assert event is not None, "no fire event at the broker"
    assert alarm is not None, f"no fire alarm (FA) at the centre; it got {rig.centre.received()}"
    worst = max(t for t in on_at.values() if t is not None) - visible
    summary.append(
        Row(
            "car fire",
            f"light+strobe+siren ≤ {CONFIRM_S + 1:.0f} s, event, FA",
            "all three, event, FA",
            f"outputs {worst:.2f} s, centre {alarm.received_at - visible:.2f} s",
        )
    )
