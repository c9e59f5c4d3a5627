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
    """How the pipeline turns frames into incidents (``firmware/pipeline``).

    Sizes are fractions of the frame so one config works at every sensor resolution.
    """

    fire_confirm_s: float = Field(default=4.0, ge=0.5, le=60.0)
    # how long a track must look like a person: 2.5 s still catches a driver who walks from their
    # car into a burning one; a look plain to physics and to the model alike needs 0.4 of it (1 s:
    # someone glimpsed between parked cars)
    person_confirm_s: float = Field(default=2.5, ge=0.0, le=60.0)
    vehicle_confirm_s: float = Field(default=1.5, ge=0.0, le=60.0)
    motion_confirm_s: float = Field(default=1.0, ge=0.0, le=60.0)
    model: str | None = None  # path to a .tflite; None = the bundled model
    use_model: bool = True
    # foreground: a pixel differs from its background by more than max(threshold, k·σ)
    threshold_c: float = Field(default=1.2, gt=0.0, le=50.0)
    threshold_gray: float = Field(default=18.0, gt=0.0, le=255.0)
    noise_k: float = Field(default=4.0, ge=1.0, le=20.0)
    background_tau_s: float = Field(default=60.0, ge=1.0, le=3600.0)
    # a track keeps its identity through gaps this long; an incident ends when its track is gone
    # (a person's once no new track can continue them: continuation.CONTINUE_S after their last sighting)
    track_gap_s: float = Field(default=2.0, ge=0.0, le=60.0)
    # height of a standing person as a fraction of the frame height, at the top and bottom rows
    person_height_top: float = Field(default=0.12, gt=0.0, le=1.0)
    person_height_bottom: float = Field(default=0.28, gt=0.0, le=1.0)
    # share of the watched pixels that must change at once to count as covering or moving the sensor
    tamper_fraction: float = Field(default=0.6, gt=0.1, le=1.0)
    tamper_confirm_s: float = Field(default=2.0, ge=0.0, le=60.0)
    tamper_relearn_s: float = Field(default=60.0, ge=5.0, le=3600.0)
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
