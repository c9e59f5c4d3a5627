"""SimSource as a FrameSource: length, end of stream, pacing on an injected clock."""

from __future__ import annotations

import numpy as np
import pytest

from hw.frame import EndOfStream, FrameSource
from hw.sim import Scenario
from hw.sim.source import SimSource


class FakeClock:
    """A clock that only moves when the source sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_gives_seconds_times_fps_frames_then_end_of_stream() -> None:
    src = SimSource("person-walking", seed=3, seconds=2.0, realtime=False, fps=4.0)
    assert isinstance(src, FrameSource)
    frames = [src.read() for _ in range(8)]
    with pytest.raises(EndOfStream):
        src.read()
    assert [f.seq for f in frames if f] == list(range(8))
    assert [f.timestamp for f in frames if f] == [i / 4.0 for i in range(8)]
    assert src.health().frames_ok == 8
    assert src.info.fps == 4.0 and src.info.shape == (24, 32)


def test_natural_length_when_seconds_is_none() -> None:
    src = SimSource("person-walking", seed=3, realtime=False, fps=1.0)
    n = 0
    with pytest.raises(EndOfStream):
        while src.read() is not None:
            n += 1
    assert n == 120


def test_frames_are_those_of_the_scenario_render() -> None:
    src = SimSource("car-arrival", seed=9, seconds=40.0, realtime=False, shape=(60, 80))
    got = np.stack([src.read().pixels for _ in range(320)])  # type: ignore[union-attr]
    want = Scenario("car-arrival", seed=9, shape=(60, 80)).render(40.0, with_truth=False).frames
    np.testing.assert_array_equal(got, want)


def test_realtime_paces_frames_by_scenario_time() -> None:
    clock = FakeClock()
    src = SimSource("empty-night", seconds=1.0, realtime=True, fps=8.0, clock=clock, sleep=clock.sleep)
    for _ in range(8):
        src.read()
    assert clock.now == pytest.approx(100.0 + 7 / 8.0)
    assert all(s == pytest.approx(0.125) for s in clock.sleeps)


def test_realtime_read_times_out_with_none_and_keeps_the_frame() -> None:
    clock = FakeClock()
    src = SimSource("empty-night", seconds=1.0, realtime=True, fps=2.0, clock=clock, sleep=clock.sleep)
    first = src.read()
    assert src.read(timeout=0.1) is None
    second = src.read(timeout=1.0)
    assert first is not None and second is not None
    assert (first.seq, second.seq) == (0, 1)
    assert clock.now == pytest.approx(100.5)


def test_closed_source_ends() -> None:
    src = SimSource("empty-night", seconds=10.0, realtime=False)
    src.read()
    src.close()
    with pytest.raises(EndOfStream):
        src.read()
    assert not src.health().connected


def test_unknown_scenario_and_bad_fps_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        SimSource("moon-landing")
    with pytest.raises(ValueError, match="fps"):
        SimSource("demo", fps=0)
    with pytest.raises(ValueError, match="seconds must be positive"):
        SimSource("demo", seconds=-1)
    with pytest.raises(ValueError, match="shape"):
        SimSource("demo", shape=(0, 32))
