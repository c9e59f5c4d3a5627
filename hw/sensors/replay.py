"""``ReplaySource``: a recording (``hw/recording.py`` format) played back as a ``FrameSource``."""

from __future__ import annotations

import os
import time
import zipfile
from collections.abc import Callable

import numpy as np

from hw.frame import EndOfStream, FrameKind, SourceHealth, SourceInfo, ThermalFrame
from hw.recording import Recording, load_recording
from hw.sensors.pacing import Pacer

DEFAULT_FPS = 8.0


class ReplayError(ValueError):
    """The recording cannot be opened at all (missing, not an ``.npz``, wrong arrays)."""


def _fps_of(timestamps: np.ndarray) -> float:
    steps = np.diff(timestamps)
    steps = steps[np.isfinite(steps) & (steps > 0)]
    return float(1.0 / np.median(steps)) if len(steps) else DEFAULT_FPS


class ReplaySource:
    """Frames of a recording with their recorded timestamps.

    ``realtime`` hands each frame out no earlier than its recorded time after the first
    ``read`` (``clock``/``sleep`` are injectable); otherwise as fast as asked. ``loop`` starts
    again at the end, timestamps carrying on one frame period after the last, so time never runs
    backwards. Frames with non-finite pixels, or whose timestamp does not advance, are skipped
    and counted in ``health()``; only a file that cannot be read at all raises (``ReplayError``).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        realtime: bool = True,
        loop: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.path = os.fspath(path)
        try:
            # an open file, so a file numpy fails to parse is still closed (np.load leaks it otherwise)
            with open(path, "rb") as fh:
                self._rec: Recording = load_recording(fh)  # type: ignore[arg-type]
        except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise ReplayError(f"{self.path}: cannot replay: {exc}") from exc
        if len(self._rec.frames) == 0:
            raise ReplayError(f"{self.path}: cannot replay: the recording has no frames")
        kind = self._rec.meta.get("kind", "thermal")
        self._kind: FrameKind = "gray" if kind == "gray" else "thermal"
        self._fps = _fps_of(self._rec.timestamps)
        h, w = self._rec.frames.shape[1:]
        self._info = SourceInfo(
            name=f"replay:{os.path.basename(self.path)}", shape=(h, w), fps=self._fps, kind=self._kind
        )
        self._loop = loop
        self._pacer = Pacer(clock=clock, sleep=sleep) if realtime else None
        self._index = 0
        self._offset = 0.0  # added to recorded timestamps on each loop
        self._seq = 0
        self._last_t = -np.inf
        self._closed = False
        self._health = SourceHealth(connected=True)

    @property
    def info(self) -> SourceInfo:
        return self._info

    def health(self) -> SourceHealth:
        return self._health

    def close(self) -> None:
        self._closed = True
        self._health.connected = False

    def _next_valid(self) -> tuple[int, float] | None:
        """Index and timestamp of the next playable frame, counting the bad ones on the way."""
        n = len(self._rec.frames)
        skipped_in_a_row = 0
        while True:
            if self._index >= n:
                if not self._loop or skipped_in_a_row >= n:
                    return None
                self._offset = self._last_t + 1.0 / self._fps - float(self._rec.timestamps[0])
                self._index = 0
            i = self._index
            t = float(self._rec.timestamps[i]) + self._offset
            if not np.isfinite(t) or t <= self._last_t:
                self._health.reject("timestamp does not advance")
            elif not np.isfinite(self._rec.frames[i]).all():
                self._health.reject("non-finite pixels")
            else:
                return i, t
            self._index += 1
            skipped_in_a_row += 1

    def read(self, timeout: float | None = None) -> ThermalFrame | None:
        if self._closed:
            raise EndOfStream(f"{self.path}: closed")
        found = self._next_valid()
        if found is None:
            self._health.connected = False
            raise EndOfStream(f"{self.path}: end of recording after {self._seq} frames")
        i, t = found
        if self._pacer is not None and not self._pacer.due(t, timeout):
            return None
        ambient = self._rec.ambient[i] if self._rec.ambient is not None else None
        frame = ThermalFrame(
            pixels=self._rec.frames[i],
            timestamp=t,
            seq=self._seq,
            ambient=float(ambient) if ambient is not None and np.isfinite(ambient) else None,
            kind=self._kind,
        )
        self._index += 1
        self._seq += 1
        self._last_t = t
        self._health.frames_ok += 1
        self._health.last_frame_at = t
        return frame
