"""NoIR camera with an IR illuminator through picamera2: grayscale lores frames for motion only.

picamera2 needs libcamera and exists on Raspberry Pi OS only (``apt install python3-picamera2``
or the ``pi`` extra), so it is imported when a source is opened, never at package import.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from hw.frame import SourceHealth, SourceInfo, ThermalFrame


class SensorUnavailable(RuntimeError):
    """The sensor's driver or device is not present on this machine."""


def _import_picamera2() -> Any:
    try:
        from picamera2 import Picamera2  # type: ignore[import-not-found]
    except ImportError as exc:
        raise SensorUnavailable(
            "picamera2 is not installed: it comes with Raspberry Pi OS (apt install python3-picamera2) "
            "or the 'pi' extra (pip install 'parkvakt[pi]')"
        ) from exc
    return Picamera2


class PiCameraSource:
    def __init__(self, *, width: int = 160, height: int = 120, fps: float = 8.0, camera_factory: Any = None) -> None:
        factory = camera_factory or _import_picamera2()
        self._w, self._h, self._fps = width, height, fps
        self._health = SourceHealth()
        self._seq = 0
        try:
            cam = factory()
            config = cam.create_video_configuration(
                main={"size": (max(640, width), max(480, height))},
                lores={"size": (width, height), "format": "YUV420"},
                controls={"FrameRate": fps},
            )
            cam.configure(config)
            cam.start()
        except Exception as exc:  # libcamera raises a zoo of types when no camera is attached
            raise SensorUnavailable(f"camera did not start: {exc}") from exc
        self._cam = cam
        self._health.connected = True

    @property
    def info(self) -> SourceInfo:
        return SourceInfo(name="picamera2", shape=(self._h, self._w), fps=self._fps, kind="gray")

    def read(self, timeout: float | None = None) -> ThermalFrame | None:
        try:
            yuv = self._cam.capture_array("lores")
        except Exception as exc:
            self._health.reject("capture-failed")
            self._health.connected = False
            self._health.last_error = f"capture failed: {exc}"
            return None
        self._seq += 1
        self._health.frames_ok += 1
        now = time.monotonic()
        self._health.last_frame_at = now
        self._health.connected = True
        luma = np.asarray(yuv)[: self._h, : self._w].astype(np.float32)
        return ThermalFrame(pixels=luma, timestamp=now, seq=self._seq, kind="gray")

    def health(self) -> SourceHealth:
        return self._health

    def close(self) -> None:
        self._cam.close()
