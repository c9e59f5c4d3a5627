"""The two threads frames pass through: the sensor reader and the engine worker.

``FrameSource.read`` blocks, so it runs in its own thread. The engine (pipeline + policy) runs in
a second thread that owns it: every call into it (a frame step, an injected input event, a
remote command, a config reload) is queued there, so pipeline and policy never run concurrently
and the event loop stays free for the uplinks. If a step hangs, only this thread is stuck, and
``Liveness`` notices (see liveness.py).
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from firmware.service.liveness import Liveness
from hw.frame import EndOfStream, FrameSource, ThermalFrame

log = logging.getLogger("parkvakt.frames")

T = TypeVar("T")


def name_os_thread(name: str) -> None:
    """Give the calling thread an OS-visible name (``top -H``, ``/proc/PID/task/*/comm``)."""
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass


class EngineWorker:
    """A daemon thread running submitted calls one at a time, in order."""

    def __init__(self, name: str = "engine") -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], concurrent.futures.Future[Any]] | None] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._jobs.put((fn, fut))
        return fut

    def _loop(self) -> None:
        name_os_thread("pv-engine")
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, fut = job
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(fn())
            except BaseException as exc:
                fut.set_exception(exc)

    def stop(self) -> None:
        self._jobs.put(None)


class SensorReader:
    """Reads frames in a thread and hands each one, re-stamped on the monotonic clock, to ``on_frame``.

    Pipeline and policy run on the daemon's monotonic clock (docs/architecture.md, Time), so a
    frame's own timestamp (recording or scenario seconds for replay and sim) is replaced by the
    moment it arrived. A finite source (replay, sim) is reopened when it ends, so ``run`` on a
    recording keeps going like a sensor would.
    """

    def __init__(
        self,
        open_source: Callable[[], FrameSource],
        on_frame: Callable[[ThermalFrame, float], None],
        liveness: Liveness,
        *,
        read_timeout_s: float,
        reopen_finite: bool = True,
    ) -> None:
        self._open_source = open_source
        self._on_frame = on_frame
        self._liveness = liveness
        self.read_timeout_s = read_timeout_s
        self.reopen_finite = reopen_finite
        self.source: FrameSource | None = None
        self.frames = 0
        self.errors = 0
        self.last_error: str | None = None
        self.ended = threading.Event()
        self._stop = threading.Event()
        self._reopen = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sensor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def reopen(self) -> None:
        """Close the source and open it again (after the sensor config changed)."""
        self._reopen.set()

    def _loop(self) -> None:
        name_os_thread("pv-sensor")
        seq = 0
        while not self._stop.is_set():
            if self._reopen.is_set():
                self._reopen.clear()
                self._close_source()
            try:
                if self.source is None:
                    self.source = self._open_source()
                frame = self.source.read(self.read_timeout_s)
            except EndOfStream:
                self._close_source()
                if not self.reopen_finite:
                    self.ended.set()
                    return
                continue
            except Exception as exc:
                # sources promise not to raise on bad data; anything else is counted and retried
                self.errors += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.error("sensor read failed: %s", self.last_error, extra={"COMPONENT": "sensor"})
                self._liveness.reader_checked_in(got_frame=False)
                self._close_source()
                self._stop.wait(min(5.0, self.read_timeout_s))
                continue
            arrived = time.monotonic()
            self._liveness.reader_checked_in(got_frame=frame is not None)
            if frame is None:
                continue
            seq += 1
            self.frames += 1
            self._on_frame(dataclasses.replace(frame, timestamp=arrived, seq=seq), time.time())
        self._close_source()

    def _close_source(self) -> None:
        if self.source is not None:
            try:
                self.source.close()
            except Exception:
                log.exception("closing the sensor failed")
            self.source = None
