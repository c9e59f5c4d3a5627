"""The frame every sensor produces and the protocol every source implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import numpy as np

FrameKind = Literal["thermal", "gray"]


@dataclass(frozen=True, slots=True)
class ThermalFrame:
    """One image from a sensor.

    ``pixels`` is float32 [H, W]; row 0 is the top of the scene and column 0 its left, whatever
    the sensor's own readout order. For ``kind == "thermal"`` the values are °C; for ``"gray"``
    (picamera2) they are 0..255 intensities, good for motion only.
    ``timestamp`` is seconds on a monotonic clock (recording seconds for replayed data).
    """

    pixels: np.ndarray
    timestamp: float
    seq: int
    ambient: float | None = None
    kind: FrameKind = "thermal"

    @property
    def shape(self) -> tuple[int, int]:
        return self.pixels.shape  # type: ignore[return-value]


@dataclass(slots=True)
class SourceHealth:
    """What a source reports about itself; counters only grow."""

    frames_ok: int = 0
    frames_rejected: int = 0
    bytes_discarded: int = 0
    reconnects: int = 0
    connected: bool = False
    last_error: str | None = None
    last_frame_at: float | None = None
    errors_by_reason: dict[str, int] = field(default_factory=dict)

    def reject(self, reason: str) -> None:
        self.frames_rejected += 1
        self.last_error = reason
        self.errors_by_reason[reason] = self.errors_by_reason.get(reason, 0) + 1


@dataclass(frozen=True, slots=True)
class SourceInfo:
    name: str
    shape: tuple[int, int]
    fps: float
    kind: FrameKind = "thermal"


class EndOfStream(Exception):
    """A finite source (a recording, a simulator run of fixed length) has no more frames."""


@runtime_checkable
class FrameSource(Protocol):
    """A stream of frames.

    ``read`` blocks for at most ``timeout`` seconds and returns ``None`` when no frame came in
    that time (a silent sensor is normal news, not an exception). It raises ``EndOfStream``
    when a finite source is exhausted. Sources never raise on bad data: they count it in
    ``health()``.
    """

    @property
    def info(self) -> SourceInfo: ...

    def read(self, timeout: float | None = None) -> ThermalFrame | None: ...

    def health(self) -> SourceHealth: ...

    def close(self) -> None: ...
