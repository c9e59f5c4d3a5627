"""Nuisance scenes (a hot engine arriving, a sun-heated lot, rain): no output, no alarm."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hil.conftest import Row
from hil.feeds import scenario_feed
from hil.rig import Rig

ALARM_CODES = frozenset({"FA", "BA", "TA", "PA", "HA"})


@pytest.mark.parametrize(
    ("scenario", "around"),
    [("car-arrival", "vehicle"), ("sun-heated-lot", None), ("rain", None)],
)
def test_nuisance_is_quiet(rig: Rig, feeds_dir: Path, summary: list[Row], scenario: str, around: str | None) -> None:
    feed = scenario_feed(scenario, feeds_dir, seed=1002, seconds=200, around=around, lead_s=10, tail_s=20)
    rig.start_unit(feed)
    started = rig.wait_frames_started()
    time.sleep(max(0.0, started + feed.duration + 1.0 - rig.now()))
    switched = rig.ever_on(since=started)
    # trouble reports (the feed ending looks like a dead sensor) are not alarms
    alarms = [a for a in rig.centre.received() if a.code in ALARM_CODES]
    fires = rig.broker.events("fire", "start")
    assert not switched, f"{scenario}: outputs switched on: {switched}"
    assert not fires, f"{scenario}: fire events: {[m.payload for m in fires]}"
    assert not alarms, f"{scenario}: alarms at the centre: {alarms}"
    summary.append(Row(scenario, "no output, no alarm", "quiet", f"{feed.duration:.0f} s watched"))
