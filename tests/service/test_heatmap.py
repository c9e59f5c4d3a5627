"""The heatmap an installer aims the camera with: colours, outlines and the temperature scale."""

from __future__ import annotations

import numpy as np
from rich.console import Console

from firmware.view.heatmap import CURSOR, MASK_EDGE, ZONE_COLOURS, Box, Heatmap, Overlays, temperature_range
from firmware.view.palette import IRON


def _scene() -> np.ndarray:
    pixels = np.full((24, 32), 10.0, dtype=np.float32)
    pixels[12, 20] = 31.0  # a person-sized warm pixel
    return pixels


def test_two_pixel_rows_per_line_and_square_pixels() -> None:
    hm = Heatmap(_scene(), scale=2)
    assert hm.size == (64, 24)
    console = Console(width=80, force_terminal=True, color_system="truecolor", record=True)
    console.print(hm)
    text = console.export_text()
    lines = [line for line in text.splitlines() if line]
    assert len(lines) == 24
    assert set(lines[0]) == {"▀"}


def test_hottest_pixel_is_the_hot_end_of_the_palette() -> None:
    hm = Heatmap(_scene(), scale=1)
    assert tuple(hm.rgb[12, 20]) == tuple(IRON[-1])
    assert tuple(hm.rgb[0, 0]) == tuple(IRON[0])


def test_fire_saturates_instead_of_blacking_out_the_lot() -> None:
    pixels = _scene()
    pixels[3:6, 3:6] = 400.0
    _lo, hi = temperature_range(pixels)
    assert hi < 100.0, "a fire must not stretch the scale to 400 °C"
    hm = Heatmap(pixels, scale=1)
    assert tuple(hm.rgb[4, 4]) == tuple(IRON[-1])
    assert hm.rgb[12, 20].sum() > IRON[0].sum(), "the person stays visible next to a fire"


def test_zone_outlined_mask_dimmed_box_and_cursor_drawn() -> None:
    zone = np.zeros((24, 32), dtype=bool)
    zone[8:, :] = True
    mask = np.zeros((24, 32), dtype=bool)
    mask[:4, 24:] = True
    pixels = _scene()
    pixels[:4, 24:] = 30.0  # hot, but masked: must not look hot
    ov = Overlays(zones=[("lot", zone)], masks=[mask], boxes=[Box(19, 11, 22, 14, "person")], cursor=(20, 5))
    hm = Heatmap(pixels, scale=2, lo=5.0, hi=35.0, overlays=ov)
    rgb = hm.rgb
    assert tuple(rgb[16, 10]) == ZONE_COLOURS[0], "top edge of the zone (row 8 × scale 2)"
    assert tuple(rgb[17, 10]) != ZONE_COLOURS[0], "the zone's inside keeps its thermal colour"
    assert tuple(rgb[0, 48]) == MASK_EDGE
    assert rgb[3, 52].max() < 0.5 * IRON[int((30 - 5) / 30 * 255)].max(), "masked pixels are dimmed"
    assert tuple(rgb[22, 38]) == (255, 255, 0), "a person box in its class colour"
    assert tuple(rgb[40, 10]) == CURSOR
