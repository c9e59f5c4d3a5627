"""Frames from a source through the real engine, in a thread, as view snapshots.

Used by ``parkvakt view`` (a sensor or a recording, outputs on mock pins so nothing on site
switches while an installer aims the camera) and by ``parkvakt demo``. The engine runs on the
frames' own timestamps, like ``parkvakt replay``, so what the view shows is what the unit does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from firmware.engine import Engine, StepResult
from firmware.events import Action, Event
from firmware.view.snapshot import ViewSnapshot, ViewState
from hw.frame import EndOfStream, FrameSource

log = logging.getLogger("parkvakt.view")


@dataclass(slots=True)
class RunRecord:
    """Everything the engine did in a run, for the demo's summary."""

    events: list[Event] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    frames: int = 0
    first_t: float | None = None
    last_t: float | None = None
    wall_s: float = 0.0


class EngineRunner:
    def __init__(
        self,
        open_source: Callable[[], FrameSource],
        engine: Engine,
        state: ViewState,
        *,
        on_snapshot: Callable[[ViewSnapshot], None] | None = None,
        on_result: Callable[[StepResult], None] | None = None,
        loop: bool = False,
        read_timeout_s: float = 1.0,
    ) -> None:
        self._open_source = open_source
        self.engine = engine
        self.state = state
        self.on_snapshot = on_snapshot
        self.on_result = on_result
        self.loop = loop
        self.read_timeout_s = read_timeout_s
        self.record = RunRecord()
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._stop = threading.Event()
        self.paused = threading.Event()
        self._thread = threading.Thread(target=self._run, name="view-engine", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def run_here(self) -> RunRecord:
        """Run in the calling thread until the source ends (``--fast``, plain output)."""
        self._run()
        if self.error is not None:
            raise self.error
        return self.record

    def _run(self) -> None:
        started = time.monotonic()
        source: FrameSource | None = None
        offset = 0.0
        try:
            source = self._open_source()
            while not self._stop.is_set():
                if self.paused.is_set():
                    self._stop.wait(0.1)
                    continue
                try:
                    frame = source.read(self.read_timeout_s)
                except EndOfStream:
                    if not self.loop:
                        break
                    source.close()
                    offset = (self.record.last_t or 0.0) + 1.0
                    source = self._open_source()
                    continue
                if frame is None:
                    continue
                if offset:
                    import dataclasses

                    frame = dataclasses.replace(frame, timestamp=frame.timestamp + offset)
                result = self.engine.step(frame)
                self._note(result, frame.timestamp)
                if self.on_snapshot is not None:
                    self.on_snapshot(self.state.snapshot(frame, self.engine))
            if self.record.last_t is not None:
                self._note(self.engine.finish(self.record.last_t), self.record.last_t, count=False)
        except BaseException as exc:
            self.error = exc
            log.exception("the view's engine stopped")
        finally:
            if source is not None:
                source.close()
            self.record.wall_s = time.monotonic() - started
            self.done.set()

    def _note(self, result: StepResult, t: float, *, count: bool = True) -> None:
        if count:
            self.record.frames += 1
            if self.record.first_t is None:
                self.record.first_t = t
            self.record.last_t = t
        self.record.events.extend(result.events)
        self.record.actions.extend(result.actions)
        self.state.note(result.events, result.actions)
        if self.on_result is not None and (result.events or result.actions):
            self.on_result(result)
