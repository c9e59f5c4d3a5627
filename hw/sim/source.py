"""``SimSource``: a scenario as a ``FrameSource``, for the daemon, the demo and the tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from hw.frame import EndOfStream, SourceHealth, SourceInfo, ThermalFrame
from hw.sensors.pacing import Pacer
from hw.sim.scenario import Rendered, Scenario
from hw.sim.sensor_noise import NoiseModel


class SimSource:
    """Frames of a simulated scenario, rendered in chunks ahead of time.

    ``seconds=None`` plays the scenario's natural length. ``fov_deg`` (horizontal, vertical)
    and ``noise`` (a :class:`NoiseModel`; by default drawn from the seed) describe the simulated
    sensor. With ``realtime`` each frame is handed out no earlier than its scenario time after
    the first ``read`` (``clock``/``sleep`` are injectable for tests); otherwise as fast as they
    render. Timestamps are scenario seconds.
    """

    def __init__(
        self,
        scenario: str,
        *,
        seed: int = 0,
        seconds: float | None = None,
        realtime: bool = True,
        shape: tuple[int, int] = (24, 32),
        fps: float = 8.0,
        fov_deg: tuple[float, float] = (55.0, 35.0),
        noise: NoiseModel | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        if seconds is not None and seconds <= 0:
            raise ValueError(f"seconds must be positive (or None for the scenario's length), got {seconds}")
        self.scenario = Scenario(scenario, seed=seed, shape=shape, fov_deg=fov_deg, noise=noise)
        self._fps = fps
        self._pacer = Pacer(clock=clock, sleep=sleep) if realtime else None
        self._total = self.scenario.frame_count(seconds, fps)
        self._chunks: Iterator[Rendered] = self.scenario.chunks(seconds, fps=fps)
        self._chunk: Rendered | None = None
        self._pos = 0
        self._seq = 0
        self._health = SourceHealth(connected=True)
        self._info = SourceInfo(name=f"sim:{scenario}", shape=shape, fps=fps)

    @property
    def info(self) -> SourceInfo:
        return self._info

    def read(self, timeout: float | None = None) -> ThermalFrame | None:
        if self._seq >= self._total:
            self._health.connected = False
            raise EndOfStream(f"sim:{self.scenario.name} ended after {self._total} frames")
        if self._chunk is None or self._pos >= len(self._chunk.timestamps):
            self._chunk = next(self._chunks)
            self._pos = 0
        t = float(self._chunk.timestamps[self._pos])
        if self._pacer is not None and not self._pacer.due(t, timeout):
            return None
        frame = ThermalFrame(
            pixels=self._chunk.frames[self._pos],
            timestamp=t,
            seq=self._seq,
            ambient=float(self._chunk.ambient[self._pos]),
        )
        self._pos += 1
        self._seq += 1
        self._health.frames_ok += 1
        self._health.last_frame_at = t
        return frame

    def health(self) -> SourceHealth:
        return self._health

    def close(self) -> None:
        self._health.connected = False
        self._seq = self._total
