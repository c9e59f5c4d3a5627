"""ReplaySource over real recordings written in the shared format."""

from __future__ import annotations

from pathlib import Path

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hw.frame import EndOfStream, FrameSource
from hw.recording import Recording, save_recording
from hw.sensors.replay import ReplayError, ReplaySource
from hw.sim import Scenario


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def recording(tmp_path: Path) -> tuple[Path, Recording]:
    rec = Scenario("person-walking", seed=2).recording(seconds=3.0, fps=4.0)
    path = tmp_path / "walk.npz"
    save_recording(path, rec)
    return path, rec


def _drain(src: ReplaySource) -> list:
    out = []
    with pytest.raises(EndOfStream):
        while True:
            frame = src.read()
            if frame is not None:
                out.append(frame)
    return out


def test_plays_every_frame_with_its_timestamp_then_ends(recording: tuple[Path, Recording]) -> None:
    path, rec = recording
    src = ReplaySource(path, realtime=False)
    assert isinstance(src, FrameSource)
    frames = _drain(src)
    assert len(frames) == 12
    np.testing.assert_array_equal(np.stack([f.pixels for f in frames]), rec.frames)
    assert [f.timestamp for f in frames] == list(rec.timestamps)
    assert [f.ambient for f in frames] == pytest.approx(list(rec.ambient))
    assert src.info.fps == pytest.approx(4.0) and src.info.shape == (24, 32)
    assert src.health().frames_ok == 12 and src.health().frames_rejected == 0


def test_realtime_waits_for_each_recorded_time(recording: tuple[Path, Recording]) -> None:
    path, _ = recording
    clock = FakeClock()
    src = ReplaySource(path, realtime=True, clock=clock, sleep=clock.sleep)
    src.read()
    assert clock.now == 50.0
    assert src.read(timeout=0.1) is None
    frame = src.read(timeout=1.0)
    assert frame is not None and frame.seq == 1
    assert clock.now == pytest.approx(50.25)


def test_loop_restarts_with_time_running_forward(recording: tuple[Path, Recording]) -> None:
    path, rec = recording
    src = ReplaySource(path, realtime=False, loop=True)
    frames = [src.read() for _ in range(30)]
    ts = [f.timestamp for f in frames if f]
    assert len(ts) == 30 and bool(np.all(np.diff(ts) > 0))
    assert ts[12] == pytest.approx(ts[11] + 0.25)
    np.testing.assert_array_equal(frames[12].pixels, rec.frames[0])  # type: ignore[union-attr]
    assert frames[-1].seq == 29  # type: ignore[union-attr]


def test_bad_frames_are_skipped_and_counted(tmp_path: Path, recording: tuple[Path, Recording]) -> None:
    _, rec = recording
    frames = rec.frames.copy()
    frames[3, 5, 5] = np.nan
    stamps = rec.timestamps.copy()
    stamps[7] = stamps[2]
    path = tmp_path / "bad.npz"
    save_recording(path, Recording(frames, stamps, rec.ambient, rec.meta))
    src = ReplaySource(path, realtime=False)
    got = _drain(src)
    assert len(got) == 10
    h = src.health()
    assert h.frames_rejected == 2
    assert h.errors_by_reason == {"non-finite pixels": 1, "timestamp does not advance": 1}


@pytest.mark.parametrize("content", [None, b"not a zip at all", b"PK\x03\x04 truncated"])
def test_unreadable_file_is_a_clear_error(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "broken.npz"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ReplayError, match=r"broken\.npz: cannot replay"):
        ReplaySource(path)


def test_recording_without_frames_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.npz"
    save_recording(path, Recording(np.zeros((0, 24, 32), np.float32), np.zeros(0)))
    with pytest.raises(ReplayError, match="no frames"):
        ReplaySource(path)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    frames=hnp.arrays(np.float32, st.tuples(st.integers(1, 12), st.just(3), st.just(4)), elements=st.floats(width=32)),
    stamps=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=12, max_size=12),
)
def test_any_recording_content_yields_only_finite_frames_in_time_order(
    tmp_path: Path, frames: np.ndarray, stamps: list[float]
) -> None:
    path = tmp_path / "fuzz.npz"
    save_recording(path, Recording(frames, np.asarray(stamps[: len(frames)], dtype=np.float64)))
    src = ReplaySource(path, realtime=False)
    got = _drain(src)
    assert all(np.isfinite(f.pixels).all() for f in got)
    assert bool(np.all(np.diff([f.timestamp for f in got]) > 0))
    assert src.health().frames_ok + src.health().frames_rejected == len(frames)


def test_npz_without_the_recording_arrays_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.ones(3))
    with pytest.raises(ReplayError, match=r"other\.npz: cannot replay.*frames"):
        ReplaySource(path)
