"""Arming schedule and quiet hours in Europe/Stockholm local time, across both DST changes of 2026
(clocks forward 02:00→03:00 on Sunday 29 March, back 03:00→02:00 on Sunday 25 October)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from policy_rig import T0, Rig, assert_pin, person, unit_config

from firmware.config.deterrence import TimeWindow
from firmware.policy.schedule import Schedule, fixed_start_wall_clock

NIGHT = TimeWindow(start="22:00", end="06:00")


def schedule_at(utc: datetime) -> Schedule:
    return Schedule([NIGHT], [], timezone="Europe/Stockholm", wall_clock=fixed_start_wall_clock(utc))


@pytest.mark.parametrize(
    ("utc", "armed"),
    [
        # spring: 22:00 CET is 21:00 UTC, 06:00 CEST is 04:00 UTC: a seven-hour night
        (datetime(2026, 3, 28, 20, 59, tzinfo=UTC), False),
        (datetime(2026, 3, 28, 21, 0, tzinfo=UTC), True),
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), True),  # 01:59 CET, just before the jump
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), True),  # 03:00 CEST, just after
        (datetime(2026, 3, 29, 3, 59, tzinfo=UTC), True),
        (datetime(2026, 3, 29, 4, 0, tzinfo=UTC), False),
        # autumn: 22:00 CEST is 20:00 UTC, 06:00 CET is 05:00 UTC: a nine-hour night
        (datetime(2026, 10, 24, 19, 59, tzinfo=UTC), False),
        (datetime(2026, 10, 24, 20, 0, tzinfo=UTC), True),
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), True),  # 02:30 CEST, first time round
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), True),  # 02:30 CET, second time round
        (datetime(2026, 10, 25, 4, 59, tzinfo=UTC), True),
        (datetime(2026, 10, 25, 5, 0, tzinfo=UTC), False),
    ],
)
def test_night_window_edges_follow_local_time_across_dst(utc: datetime, armed: bool) -> None:
    assert schedule_at(utc).is_armed(0.0) is armed


def test_days_are_the_days_a_window_starts_on() -> None:
    friday_night = TimeWindow(days=["fri"], start="22:00", end="06:00")
    sat_3am = datetime(2026, 6, 6, 1, 0, tzinfo=UTC)  # Saturday 03:00 CEST
    sched = Schedule([friday_night], [], timezone="Europe/Stockholm", wall_clock=fixed_start_wall_clock(sat_3am))
    assert sched.is_armed(0.0) is True
    assert sched.is_armed(24 * 3600.0) is False  # Sunday 03:00: Saturday night is not in the window


def test_manual_disarm_lasts_until_the_schedule_next_changes() -> None:
    start = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)  # 21:00 CET, an hour before arming
    sched = Schedule([NIGHT], [], timezone="Europe/Stockholm", wall_clock=fixed_start_wall_clock(start))
    sched.set_armed(0.0, True)  # the guard arms early by command
    assert sched.is_armed(1800.0) is True
    assert sched.is_armed(3600.0) is True  # 22:00: the schedule arms too, the override is spent
    sched.set_armed(3700.0, False)  # disarmed by command in the night
    assert sched.is_armed(4 * 3600.0) is False
    assert sched.is_armed(8 * 3600.0) is False  # 04:00 UTC is 05:00 CET, still night
    assert sched.is_armed(9 * 3600.0) is False  # 06:00 local: disarmed by schedule
    assert sched.is_armed(25 * 3600.0) is True  # next night: armed again, the disarm is forgotten


@pytest.mark.parametrize(
    "quiet_end_utc",
    [datetime(2026, 3, 29, 5, 0, tzinfo=UTC), datetime(2026, 10, 25, 6, 0, tzinfo=UTC)],
    ids=["spring-07:00-CEST", "autumn-07:00-CET"],
)
def test_siren_waits_for_the_end_of_quiet_hours_on_dst_mornings(
    make_rig: Callable[..., Rig], quiet_end_utc: datetime
) -> None:
    ladder = [{"output": "floodlight"}, {"output": "siren", "after_s": 0}]
    rig = make_rig(unit_config({"ladder": ladder}, loiter_s=0), wall=quiet_end_utc - timedelta(seconds=60))
    rig.send(person("start", 0))
    rig.run_until(T0 + 90)
    # the siren is held back by quiet hours (until 07:00 local) and comes on exactly then
    assert_pin(rig.pin("floodlight"), [(0, False), (0, True)])
    assert_pin(rig.pin("siren"), [(0, False), (60, True)])
