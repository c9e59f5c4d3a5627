"""The watchdog verdict tells a dead sensor (keep petting) from a hung pipeline (stop petting)."""

from __future__ import annotations

from firmware.service.liveness import Liveness


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _liveness(clock: Clock) -> Liveness:
    return Liveness(pipeline_stall_s=5.0, sensor_dead_s=3.0, read_timeout_s=1.0, clock=clock)


def test_frames_flowing_is_healthy() -> None:
    clock = Clock()
    live = _liveness(clock)
    for _ in range(20):
        clock.now += 0.125
        live.reader_checked_in(got_frame=True)
        live.step_begins()
        live.step_ends()
    v = live.verdict()
    assert v.healthy and not v.sensor_dead


def test_dead_sensor_keeps_the_watchdog_petted_but_says_so() -> None:
    clock = Clock()
    live = _liveness(clock)
    live.reader_checked_in(got_frame=True)
    live.step_begins()
    live.step_ends()
    for _ in range(10):  # the reader keeps returning None on time
        clock.now += 1.0
        live.reader_checked_in(got_frame=False)
    v = live.verdict()
    assert v.healthy
    assert v.sensor_dead


def test_a_hung_pipeline_stops_the_watchdog() -> None:
    clock = Clock()
    live = _liveness(clock)
    live.reader_checked_in(got_frame=True)
    live.step_begins()
    for _ in range(6):  # frames keep arriving but the step never returns
        clock.now += 1.0
        live.reader_checked_in(got_frame=True)
    v = live.verdict()
    assert not v.healthy
    assert "pipeline hung" in v.reason


def test_a_reader_stuck_inside_the_driver_stops_the_watchdog() -> None:
    clock = Clock()
    live = _liveness(clock)
    live.reader_checked_in(got_frame=True)
    clock.now += 7.0
    v = live.verdict()
    assert not v.healthy
    assert "reader stuck" in v.reason
