"""The radiometric core: what a pixel reads when it is shared by surfaces of different temperature."""

from __future__ import annotations

import numpy as np
import pytest

from hw.sim.camera import pixel_overlap
from hw.sim.radiometry import (
    band_radiance_exact,
    brightness_temperature,
    mixed_pixel_temperature,
    radiance,
)


def test_half_covered_by_500c_reads_far_below_500_but_far_above_ambient() -> None:
    reading = mixed_pixel_temperature([0.5, 0.5], [500.0, 10.0])
    assert 150.0 < reading < 400.0
    # pixels mix radiance, not temperature: band radiance is convex in T, so a half-filled pixel
    # of black bodies reads above the plain average of 255 °C (≈317 °C), never at 500 °C
    assert reading > 255.0 + 20.0


def test_a_thin_flame_half_covering_a_pixel_reads_below_the_plain_average() -> None:
    # a flame is a semi-transparent gas: opacity 0.2 over half the pixel lets the asphalt show
    # through, the pixel gets 0.1 of the flame's radiance and 0.9 of the asphalt's
    assert 10.0 + 50.0 < mixed_pixel_temperature([0.1, 0.9], [500.0, 10.0]) < 255.0 - 50.0


def test_hot_object_filling_five_percent_reads_far_cooler_than_it_is() -> None:
    reading = mixed_pixel_temperature([0.05, 0.95], [500.0, 10.0])
    assert 15.0 < reading < 100.0


def test_person_covering_five_percent_of_a_pixel_raises_it_about_one_kelvin() -> None:
    rise = mixed_pixel_temperature([0.05, 0.95], [30.0, 10.0]) - 10.0
    # a 20 K warmer person adds roughly its area share of that, far below its own contrast
    assert 0.5 < rise < 1.5


def test_brightness_temperature_inverts_radiance_across_the_range() -> None:
    temps = np.array([-40.0, -5.0, 0.0, 21.5, 100.0, 650.0, 1200.0])
    np.testing.assert_allclose(brightness_temperature(radiance(temps)), temps, atol=0.05)


def test_table_matches_direct_planck_integration() -> None:
    temps = np.array([-20.0, 33.3, 480.0])
    np.testing.assert_allclose(radiance(temps), band_radiance_exact(temps), rtol=2e-4)


def test_low_emissivity_surface_reflecting_a_cold_sky_reads_cooler_than_it_is() -> None:
    shiny = mixed_pixel_temperature([1.0], [10.0], [0.3], sky_c=-30.0)
    matte = mixed_pixel_temperature([1.0], [10.0], [0.95], sky_c=-30.0)
    assert shiny < matte - 10.0
    assert matte == pytest.approx(10.0, abs=2.5)


def test_rectangle_coverage_is_exact_area_per_pixel() -> None:
    cov = pixel_overlap(np.array([1.25]), np.array([3.5]), 5)[0]
    np.testing.assert_allclose(cov, [0.0, 0.75, 1.0, 0.5, 0.0])
