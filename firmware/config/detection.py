from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from firmware.config.base import Section

Point = tuple[float, float]


class ZoneSection(Section):
    """A named polygon in normalized frame coordinates: (0, 0) top-left, (1, 1) bottom-right.

    ``kind = "mask"`` pixels are never processed (privacy, or a heat source such as a vent).
    """

    name: str = Field(min_length=1, max_length=32)
    kind: Literal["zone", "mask"] = "zone"
    polygon: list[Point] = Field(min_length=3)
    loiter_s: float = Field(default=20.0, ge=0.0, le=3600.0)
    armed: bool = True

    @field_validator("polygon")
    @classmethod
    def _inside_frame(cls, pts: list[Point]) -> list[Point]:
        for i, (x, y) in enumerate(pts):
            if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
                raise ValueError(f"point {i} ({x}, {y}) is outside the frame; coordinates are normalized to 0..1")
        return pts


class DetectionSection(Section):
    fire_confirm_s: float = Field(default=4.0, ge=0.5, le=60.0)
    model: str | None = None  # path to a .tflite; None = the bundled model
    zones: list[ZoneSection] = []

    @field_validator("zones")
    @classmethod
    def _unique_names(cls, zones: list[ZoneSection]) -> list[ZoneSection]:
        seen: set[str] = set()
        for z in zones:
            if z.name in seen:
                raise ValueError(f"zone name {z.name!r} is used twice")
            seen.add(z.name)
        return zones
