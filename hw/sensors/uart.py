"""MLX90640 thermal sensor on a GY-MCU90640-style UART module.

The port is opened with ``serial.serial_for_url``, so a device path, a pseudo-terminal or a
``socket://`` URL all work. The driver never raises on bad data: damaged frames are counted,
and a port that goes silent or disappears is noticed within two frame periods, closed, and
reopened with exponential backoff while ``read`` keeps returning ``None``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import serial

from hw.frame import SourceHealth, SourceInfo, ThermalFrame
from hw.sensors import mlx90640 as proto

log = logging.getLogger(__name__)

PortOpener = Callable[..., Any]

_POLL_S = 0.05  # how often a silent port is checked; data wakes the reader at once


def frame_period(rate_hz: float, baud: int) -> float:
    """Time between frames: the module's rate, or the wire time of one frame if that is longer."""
    wire_s = proto.FRAME_BYTES * 10 / baud  # 8N1: ten bits on the wire per byte
    return max(1.0 / rate_hz, wire_s)


class Mlx90640UartSource:
    def __init__(
        self,
        url: str,
        *,
        baud: int = 460800,
        rate_hz: float = 8.0,
        emissivity: float = 0.95,
        configure: bool = True,
        switch_baud_from: int | None = None,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 30.0,
        queue_depth: int = 4,
        open_port: PortOpener = serial.serial_for_url,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if baud not in proto.BAUD_CODES:
            raise ValueError(f"baud {baud} not supported by the module; use one of {sorted(proto.BAUD_CODES)}")
        if float(rate_hz) not in proto.RATE_CODES:
            raise ValueError(f"rate {rate_hz} Hz not supported by the module; use one of {sorted(proto.RATE_CODES)}")
        self.url = url
        self.baud = baud
        self.rate_hz = float(rate_hz)
        self.emissivity = emissivity
        self.configure = configure
        self.switch_baud_from = switch_baud_from
        self.silence_s = 2.0 * frame_period(self.rate_hz, baud)
        self._backoff_initial = backoff_initial_s
        self._backoff_max = backoff_max_s
        self._open_port = open_port
        self._clock = clock
        self._sleep = sleep

        self._port: Any = None
        self._parser = proto.FrameParser()
        # frames kept when the reader falls behind; older ones are dropped: latency beats completeness
        self._queue_depth = queue_depth
        self._ready: deque[ThermalFrame] = deque()
        self._seq = 0
        self._backoff = 0.0
        self._next_attempt = 0.0
        self._last_progress = 0.0
        self._lock = threading.Lock()  # health() is read from other threads
        self._health = SourceHealth()
        self._port_errors: dict[str, int] = {}
        self._dropped_late = 0

    @property
    def info(self) -> SourceInfo:
        return SourceInfo(name=f"mlx90640-uart:{self.url}", shape=(proto.ROWS, proto.COLS), fps=self.rate_hz)

    def health(self) -> SourceHealth:
        with self._lock:
            h = self._health
            reasons = dict(self._parser.rejected)
            reasons.update(self._port_errors)
            if self._dropped_late:
                reasons["dropped-late"] = self._dropped_late
            return SourceHealth(
                frames_ok=self._parser.frames_ok,
                frames_rejected=self._parser.frames_rejected,
                bytes_discarded=self._parser.bytes_discarded,
                reconnects=h.reconnects,
                connected=h.connected,
                last_error=h.last_error,
                last_frame_at=h.last_frame_at,
                errors_by_reason=reasons,
            )

    def read(self, timeout: float | None = None) -> ThermalFrame | None:
        deadline = None if timeout is None else self._clock() + timeout
        while True:
            if self._ready:
                return self._ready.popleft()
            now = self._clock()
            if deadline is not None and now >= deadline:
                return None
            wait = _POLL_S if deadline is None else min(_POLL_S, deadline - now)
            if self._port is None:
                if now < self._next_attempt:
                    self._sleep(min(wait, self._next_attempt - now))
                    continue
                self._connect()
                continue
            self._pump(wait)

    def close(self) -> None:
        self._close_port()

    # --- connection -------------------------------------------------------------------
    #
    # Two ways to lose the sensor. A port that errors or vanishes (USB-UART unplugged) is
    # closed and reopened with backoff. A port that stays open but goes quiet (module reset
    # or brown-out) is kept open, because reopening flushes bytes already on their way, and
    # the module is sent its configuration again, with backoff, to wake it.

    def _connect(self) -> None:
        try:
            if self.switch_baud_from is not None and self.switch_baud_from != self.baud:
                port = self._open_port(self.url, baudrate=self.switch_baud_from, timeout=_POLL_S)
                port.write(proto.baud_command(self.baud))
                port.flush()
                port.close()
            port = self._open_port(self.url, baudrate=self.baud, timeout=_POLL_S, write_timeout=1.0)
            self._send_configuration(port)
        except (serial.SerialException, OSError, ValueError) as exc:
            self._lost(f"cannot open {self.url}: {exc}", "open-failed", close=True)
            return
        self._port = port
        self._parser.reset()
        self._last_progress = self._clock()
        log.info("sensor port %s open at %d baud, %.1f Hz", self.url, self.baud, self.rate_hz)

    def _send_configuration(self, port: Any) -> None:
        if self.configure:
            port.write(proto.rate_command(self.rate_hz))
            port.write(proto.emissivity_command(self.emissivity))
            port.write(proto.mode_command(continuous=True))
            port.flush()

    def _pump(self, wait: float) -> None:
        port = self._port
        try:
            timeout = _POLL_S if wait >= _POLL_S else max(wait, 0.001)
            if port.timeout != timeout:  # pyserial reconfigures the tty on every assignment
                port.timeout = timeout
            data = port.read(max(port.in_waiting, self._parser.bytes_wanted()))
        except (serial.SerialException, OSError) as exc:
            self._lost(f"port error on {self.url}: {exc}", "port-error", close=True)
            return
        now = self._clock()
        if data:
            for decoded in self._parser.feed(data):
                self._seq += 1
                if len(self._ready) >= self._queue_depth:
                    self._ready.popleft()
                    self._dropped_late += 1
                self._ready.append(
                    ThermalFrame(
                        pixels=decoded.pixels, timestamp=now, seq=self._seq, ambient=decoded.module_temperature
                    )
                )
                self._last_progress = now
                self._recovered()
                with self._lock:
                    self._health.last_frame_at = now
        if now - self._last_progress > self.silence_s and now >= self._next_attempt:
            self._lost(
                f"no valid frame from {self.url} for {now - self._last_progress:.2f} s (silent or unplugged)",
                "silent",
                close=False,
            )
            try:
                self._send_configuration(port)
            except (serial.SerialException, OSError) as exc:
                self._lost(f"port error on {self.url}: {exc}", "port-error", close=True)

    def _lost(self, message: str, reason: str, *, close: bool) -> None:
        first = self._backoff == 0
        if close:
            self._close_port()
        with self._lock:
            self._health.connected = False
            self._health.last_error = message
            self._health.reconnects += 1
            self._port_errors[reason] = self._port_errors.get(reason, 0) + 1
        # the first retry is immediate: a blip should cost one frame period, not a backoff step
        delay = 0.0 if first else self._backoff
        self._backoff = self._backoff_initial if first else min(self._backoff * 2, self._backoff_max)
        self._next_attempt = self._clock() + delay
        # a sensor dead for a week must not write a log line every few seconds
        (log.warning if first else log.debug)("%s; retrying in %.1f s", message, delay)

    def _recovered(self) -> None:
        if self._backoff:
            log.info("sensor %s delivering frames again", self.url)
        self._backoff = 0.0
        with self._lock:
            self._health.connected = True

    def _close_port(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                port.close()
