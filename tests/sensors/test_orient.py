"""Mounting correction and the picamera2 source's behaviour where no camera stack exists."""

from __future__ import annotations

import numpy as np
import pytest

from hw.sensors.orient import orient
from hw.sensors.picamera import PiCameraSource, SensorUnavailable


def scene() -> np.ndarray:
    pixels = np.zeros((24, 32), dtype=np.float32)
    pixels[0, 0] = 1.0  # top-left marker
    return pixels


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({}, (0, 0)),
        ({"flip_h": True}, (0, 31)),
        ({"flip_v": True}, (23, 0)),
        ({"rotate": 180}, (23, 31)),
        ({"rotate": 90}, (0, 23)),  # clockwise: the top-left corner goes to the top-right
        ({"rotate": 270}, (31, 0)),
    ],
)
def test_marker_ends_where_the_installer_expects(kwargs: dict, where: tuple[int, int]) -> None:
    out = orient(scene(), **kwargs)
    assert out[where] == 1.0
    assert out.sum() == 1.0
    assert out.flags["C_CONTIGUOUS"]


def test_picamera2_missing_gives_a_clear_error() -> None:
    pytest.importorskip("numpy")
    try:
        import picamera2  # noqa: F401
    except ImportError:
        with pytest.raises(SensorUnavailable, match="picamera2 is not installed"):
            PiCameraSource()
    else:
        pytest.skip("picamera2 is installed here; this checks machines without it")
