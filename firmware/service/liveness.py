"""Whether the daemon still deserves to pet the systemd watchdog.

Three threads of work are watched:

* the **sensor reader** thread calls ``FrameSource.read(timeout)`` in a loop. Sources promise to
  return within ``timeout`` (``None`` when nothing came), so the reader checks in at least once per
  timeout even when the sensor is dead. A reader that stops checking in is stuck in a driver.
* the **engine** thread runs ``Engine.step`` on each frame. A step that has not come back after
  ``pipeline_stall_s`` means the pipeline hung (a model that never returns, a deadlock).
* the **event loop** runs the uplinks, commands and this check; if it is blocked nothing pets.

Dead sensor vs hung pipeline: both mean "no frame processed lately", but they differ in who is
stuck. With a dead sensor the reader keeps checking in (read() returns ``None`` on time) and no
step is in flight: the software is healthy, a restart would not bring the sensor back, and the
unit still has duties (tamper input, commands, telemetry, the `trouble` report itself). So the
watchdog is still petted and the sensor problem goes upstream as a ``trouble`` event. With a hung
pipeline a step is in flight and overdue (or the reader is stuck inside read()): a restart is the
cure, so the pets stop and systemd kills and restarts the process after ``WatchdogSec``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Verdict:
    healthy: bool
    reason: str
    sensor_dead: bool = False


class Liveness:
    def __init__(
        self,
        *,
        pipeline_stall_s: float,
        sensor_dead_s: float,
        read_timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pipeline_stall_s = pipeline_stall_s
        self.sensor_dead_s = sensor_dead_s
        self.read_timeout_s = read_timeout_s
        self._clock = clock
        self._lock = threading.Lock()
        now = clock()
        self.started_at = now
        self.last_reader_checkin = now
        self.last_frame_read: float | None = None
        self.last_frame_done: float | None = None
        self.step_started: float | None = None
        self.frames_done = 0

    def reader_checked_in(self, got_frame: bool) -> None:
        now = self._clock()
        with self._lock:
            self.last_reader_checkin = now
            if got_frame:
                self.last_frame_read = now

    def step_begins(self) -> None:
        with self._lock:
            self.step_started = self._clock()

    def step_ends(self) -> None:
        now = self._clock()
        with self._lock:
            self.step_started = None
            self.last_frame_done = now
            self.frames_done += 1

    def sensor_dead(self, now: float | None = None) -> bool:
        now = self._clock() if now is None else now
        last = self.last_frame_read if self.last_frame_read is not None else self.started_at
        return now - last >= self.sensor_dead_s

    def verdict(self, now: float | None = None) -> Verdict:
        now = self._clock() if now is None else now
        with self._lock:
            step_started = self.step_started
            reader_checkin = self.last_reader_checkin
            last_done = self.last_frame_done
        if step_started is not None and now - step_started >= self.pipeline_stall_s:
            return Verdict(False, f"pipeline hung: a frame has been in the pipeline for {now - step_started:.1f} s")
        reader_grace = self.read_timeout_s + self.pipeline_stall_s
        if now - reader_checkin >= reader_grace:
            return Verdict(False, f"sensor reader stuck in read() for {now - reader_checkin:.1f} s")
        if last_done is not None and now - last_done < self.sensor_dead_s:
            return Verdict(True, "frames flowing")
        if self.sensor_dead(now):
            return Verdict(True, "sensor silent; reader and pipeline responsive", sensor_dead=True)
        return Verdict(True, "starting")
