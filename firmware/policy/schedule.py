"""Arming schedule and quiet hours in the site's local time, DST-correct through ``zoneinfo``.

Windows are wall-clock times: "22:00-07:00" ends at 07:00 local on the night the clocks change,
so it lasts 8 or 10 hours then. A manual arm or disarm overrides the schedule until the schedule
itself next changes state (the usual alarm-panel rule), so a forgotten disarm cannot last
beyond the next scheduled arming.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from firmware.config.deterrence import ALL_DAYS, TimeWindow

WallClock = Callable[[float], datetime]
MINUTES_PER_DAY = 24 * 60


def monotonic_wall_clock(t: float) -> datetime:
    """The daemon's mapping: policy time is ``time.monotonic()``, so shift now by the difference."""
    return datetime.now(UTC) - timedelta(seconds=time.monotonic() - t)


def fixed_start_wall_clock(start: datetime, origin: float = 0.0) -> WallClock:
    """A replay's mapping: policy time ``origin`` (recording second 0) happened at ``start``."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    return lambda t: start + timedelta(seconds=t - origin)


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def in_window(window: TimeWindow, local: datetime) -> bool:
    start, end = _minutes(window.start), _minutes(window.end)
    minute = local.hour * 60 + local.minute
    today = ALL_DAYS[local.weekday()]
    yesterday = ALL_DAYS[(local.weekday() - 1) % 7]
    if start < end:
        return today in window.days and start <= minute < end
    return (today in window.days and minute >= start) or (yesterday in window.days and minute < end)


def in_any(windows: list[TimeWindow], local: datetime) -> bool:
    return any(in_window(w, local) for w in windows)


@dataclass(slots=True)
class _Override:
    armed: bool
    scheduled_then: bool


class Schedule:
    def __init__(
        self, armed: list[TimeWindow], quiet: list[TimeWindow], *, timezone: str, wall_clock: WallClock
    ) -> None:
        self.armed_windows = armed
        self.quiet_windows = quiet
        self.tz = ZoneInfo(timezone)
        self.wall_clock = wall_clock
        self._override: _Override | None = None

    def local(self, t: float) -> datetime:
        return self.wall_clock(t).astimezone(self.tz)

    def scheduled_armed(self, t: float) -> bool:
        return in_any(self.armed_windows, self.local(t))

    def is_armed(self, t: float) -> bool:
        scheduled = self.scheduled_armed(t)
        if self._override is not None:
            if scheduled == self._override.scheduled_then:
                return self._override.armed
            self._override = None
        return scheduled

    def is_quiet(self, t: float) -> bool:
        return in_any(self.quiet_windows, self.local(t))

    def set_armed(self, t: float, armed: bool) -> None:
        self._override = _Override(armed, self.scheduled_armed(t))

    def follow_schedule(self) -> None:
        self._override = None
