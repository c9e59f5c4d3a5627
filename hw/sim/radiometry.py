"""Long-wave infrared radiometry: what a bolometer pixel sees of a mix of surfaces.

A thermal pixel does not average temperatures, it integrates *radiance*. Each surface inside the
pixel contributes its in-band (8–14 µm) Planck radiance, weighted by its emissivity and by the
fraction of the pixel it covers, plus the sky it reflects. The sensor reports the temperature of
the black body that would give the same total: the brightness temperature. Because Planck
radiance rises much faster than linearly with temperature, a hot object filling part of a pixel
reads far above the plain average would suggest, but still far below its true temperature.

Band radiance is tabulated once (−80 °C … 1600 °C) and both directions use ``np.interp`` on the
table, which keeps rendering vectorised and fast.
"""

from __future__ import annotations

import numpy as np

H_PLANCK = 6.626_070_15e-34
C_LIGHT = 2.997_924_58e8
K_BOLTZMANN = 1.380_649e-23
KELVIN = 273.15

BAND_UM: tuple[float, float] = (8.0, 14.0)
T_MIN_C = -80.0
T_MAX_C = 1600.0
_TABLE_STEP_C = 0.25


def planck_spectral_radiance(wavelength_m: np.ndarray, temp_k: np.ndarray) -> np.ndarray:
    """Black-body spectral radiance, W·sr⁻¹·m⁻²·m⁻¹ (broadcasts over both arguments)."""
    a = 2.0 * H_PLANCK * C_LIGHT**2 / wavelength_m**5
    b = H_PLANCK * C_LIGHT / (wavelength_m * K_BOLTZMANN * temp_k)
    return a / np.expm1(b)


def band_radiance_exact(temp_c: np.ndarray | float, band_um: tuple[float, float] = BAND_UM) -> np.ndarray:
    """In-band radiance (W·sr⁻¹·m⁻²) by direct numerical integration of Planck's law."""
    wl = np.linspace(band_um[0], band_um[1], 241) * 1e-6
    t = np.asarray(temp_c, dtype=np.float64)[..., None] + KELVIN
    return np.trapezoid(planck_spectral_radiance(wl, t), wl, axis=-1)


_T_GRID = np.arange(T_MIN_C, T_MAX_C + _TABLE_STEP_C, _TABLE_STEP_C)
_L_GRID = band_radiance_exact(_T_GRID)
_T_GRID32 = _T_GRID.astype(np.float32)
_L_GRID32 = _L_GRID.astype(np.float32)


def radiance(temp_c: np.ndarray | float) -> np.ndarray:
    """Band radiance of a black body at ``temp_c`` (table lookup, float32)."""
    return np.interp(temp_c, _T_GRID32, _L_GRID32).astype(np.float32, copy=False)


def brightness_temperature(rad: np.ndarray | float) -> np.ndarray:
    """The black-body temperature (°C) that emits ``rad`` in band: what the sensor reports."""
    return np.interp(rad, _L_GRID32, _T_GRID32).astype(np.float32, copy=False)


def surface_radiance(temp_c: np.ndarray | float, emissivity: float, reflected_c: np.ndarray | float) -> np.ndarray:
    """Radiance leaving an opaque grey surface: its own emission plus the sky it reflects."""
    return emissivity * radiance(temp_c) + (1.0 - emissivity) * radiance(reflected_c)


def radiance_slope(temp_c: float) -> float:
    """dL/dT at ``temp_c`` (for turning a NETD in kelvin into a radiance noise)."""
    return float((band_radiance_exact(temp_c + 0.5) - band_radiance_exact(temp_c - 0.5))[()])


def mixed_pixel_temperature(
    fractions: list[float], temps_c: list[float], emissivities: list[float] | None = None, sky_c: float = -20.0
) -> float:
    """Brightness temperature of one pixel shared by several surfaces (fractions sum to 1)."""
    emissivities = emissivities or [1.0] * len(temps_c)
    total = sum(
        f * float(surface_radiance(t, e, sky_c)) for f, t, e in zip(fractions, temps_c, emissivities, strict=True)
    )
    return float(brightness_temperature(total))
