from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from firmware.config.base import Section


class MountingSection(Section):
    """How the sensor is mounted; applied after the driver's own readout correction."""

    flip_h: bool = False
    flip_v: bool = False
    rotate: Literal[0, 90, 180, 270] = 0


class SensorSection(Section):
    type: Literal["mlx90640-uart", "picamera2", "replay", "sim"] = "mlx90640-uart"
    port: str = "/dev/serial0"
    baud: Literal[9600, 115200, 460800] = 460800
    rate_hz: Literal[0.5, 1, 2, 4, 8] = 8
    emissivity: float = Field(default=0.95, gt=0.0, le=1.0)
    mounting: MountingSection = MountingSection()
    # picamera2: size of the lores stream used for motion
    width: int = Field(default=160, ge=16, le=1920)
    height: int = Field(default=120, ge=12, le=1080)
    # replay / sim
    path: Path | None = None
    realtime: bool = True
    scenario: str = "demo"
    seed: int = 0
