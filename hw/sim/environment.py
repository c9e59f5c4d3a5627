"""Weather, time of day and the temperatures of the lot's materials.

Surface temperatures follow the air temperature (a daily cosine peaking at 15:00), are raised by
absorbed sunshine (with a lag for materials that store heat, like asphalt), and are lowered at
night by radiation to a clear sky. Rain wets every surface and pulls it towards the wet-bulb
temperature, which flattens contrast. All functions take a time array (scenario seconds) so a
whole chunk of frames is evaluated at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, slots=True)
class Material:
    name: str
    emissivity: float
    sun_gain_k: float  # surface rise above air at full midday sun
    night_offset_k: float  # offset above air on a clear night (negative: radiates to the sky)
    lag_h: float  # thermal lag of the sunshine response


MATERIALS: dict[str, Material] = {
    m.name: m
    for m in (
        Material("asphalt", 0.95, 22.0, 2.0, 1.5),
        Material("asphalt-patch", 0.96, 27.0, 1.0, 1.2),
        Material("paint", 0.90, 9.0, 0.8, 1.5),
        Material("grass", 0.97, 7.0, -3.5, 0.5),
        Material("roof-dark", 0.90, 36.0, -4.5, 0.2),
        Material("roof-light", 0.90, 16.0, -4.5, 0.2),
        Material("car-side", 0.88, 12.0, -2.0, 0.3),
        Material("glass", 0.85, 14.0, -4.0, 0.3),
    )
}


@dataclass(frozen=True, slots=True)
class RainSpell:
    start: float
    end: float
    intensity: float  # 0..1 (1: a downpour)


@dataclass(frozen=True, slots=True)
class Environment:
    start_hour: float = 23.0
    air_mean_c: float = 8.0
    air_swing_k: float = 5.0
    cloud: float = 0.3  # 0 clear … 1 overcast
    cloud_wobble: float = 0.0  # amplitude of passing clouds (0..1)
    cloud_period_s: float = 900.0
    rain: tuple[RainSpell, ...] = field(default_factory=tuple)
    wind_mps: float = 2.0

    def hour(self, t: np.ndarray) -> np.ndarray:
        return (self.start_hour + np.asarray(t, dtype=np.float64) / 3600.0) % 24.0

    def air_c(self, t: np.ndarray) -> np.ndarray:
        return self.air_mean_c + self.air_swing_k * np.cos(2 * math.pi * (self.hour(t) - 15.0) / 24.0)

    def cloudiness(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        wobble = self.cloud_wobble * 0.5 * (1 + np.sin(2 * math.pi * t / self.cloud_period_s))
        return np.clip(self.cloud + wobble + 0.8 * self.rain_intensity(t), 0.0, 1.0)

    def rain_intensity(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        out = np.zeros_like(t)
        for spell in self.rain:
            ramp = np.clip(np.minimum(t - spell.start, spell.end - t) / 60.0, 0.0, 1.0)
            out = np.maximum(out, spell.intensity * ramp)
        return out

    def wetness(self, t: np.ndarray) -> np.ndarray:
        """How wet the surfaces are: rises with rain, dries over about twenty minutes after it."""
        t = np.asarray(t, dtype=np.float64)
        out = np.zeros_like(t)
        for spell in self.rain:
            rising = np.clip((t - spell.start) / 120.0, 0.0, 1.0)
            drying = np.where(t > spell.end, np.exp(-(t - spell.end) / 1200.0), 1.0)
            out = np.maximum(out, rising * drying * (t >= spell.start))
        return out

    def sun(self, t: np.ndarray, lag_h: float = 0.0) -> np.ndarray:
        """Absorbed sunshine, 0..1, for a surface whose response lags by ``lag_h``."""
        h = (self.hour(t) - lag_h) % 24.0
        elevation = np.clip(np.sin(math.pi * (h - 6.0) / 12.0), 0.0, None) * ((h > 6.0) & (h < 18.0))
        return elevation * (1.0 - 0.8 * self.cloudiness(t))

    def sky_c(self, t: np.ndarray) -> np.ndarray:
        """Effective radiant temperature of the sky that surfaces reflect."""
        return self.air_c(t) - 22.0 * (1.0 - self.cloudiness(t)) - 3.0

    def surface_c(self, material: Material | str, t: np.ndarray) -> np.ndarray:
        m = MATERIALS[material] if isinstance(material, str) else material
        air = self.air_c(t)
        clear = 1.0 - self.cloudiness(t)
        night = 1.0 - np.clip(self.sun(t) * 3.0, 0.0, 1.0)
        dry = air + m.sun_gain_k * self.sun(t, m.lag_h) + m.night_offset_k * clear * night
        wet = self.wetness(t)
        return (1.0 - wet) * dry + wet * (air - 1.5)

    def gusts(self, t: np.ndarray) -> np.ndarray:
        """Wind speed (m/s) with gusts on a few time scales, never below zero."""
        t = np.asarray(t, dtype=np.float64)
        wobble = 0.35 * np.sin(2 * math.pi * t / 23.0) + 0.25 * np.sin(2 * math.pi * t / 61.0 + 1.0)
        return self.wind_mps * np.clip(1.0 + wobble, 0.0, None)

    def extinction_per_m(self, t: np.ndarray) -> np.ndarray:
        """Atmospheric extinction in band: small in clear air, a few percent per ten metres in rain."""
        return 0.0005 + 0.01 * self.rain_intensity(t)
