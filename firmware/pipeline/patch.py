"""The classifier's view of one object: a fixed-size, ambient-independent patch.

Training (``models/train.py``) and the running unit both call :func:`extract_patch`, so the
model sees at run time exactly the transform it was trained on.

The patch is a square window centred on the bbox, ``WINDOW_MARGIN`` times its longer side (at
least ``MIN_WINDOW_PX`` sensor pixels), resampled to ``PATCH_SIZE`` × ``PATCH_SIZE`` by exact
area averaging (each patch pixel is the area-weighted mean of the sensor pixels it overlaps).
The square window keeps the object's aspect ratio (a standing person is tall, a car is wide)
whatever the sensor resolution. Pixels outside the frame count as background.

Values are the temperature above the background, compressed with ``asinh`` so a person a few
degrees above the asphalt and a fire hundreds of degrees above it both stay in range:
``asinh(Δ°C / DELTA_SCALE_C) / asinh(DELTA_FULL_SCALE_C / DELTA_SCALE_C)``, about 1.0 at
+``DELTA_FULL_SCALE_C`` and negative for objects colder than the background. Absolute
temperature never reaches the model: the same car looks the same at -10 °C and at +30 °C.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

PATCH_SIZE = 16
WINDOW_MARGIN = 1.5
MIN_WINDOW_PX = 8
DELTA_SCALE_C = 2.0
DELTA_FULL_SCALE_C = 200.0

_ASINH_FULL = math.asinh(DELTA_FULL_SCALE_C / DELTA_SCALE_C)

BBox = tuple[int, int, int, int]


def normalise_delta(delta_c: np.ndarray) -> np.ndarray:
    """°C above background → the model's input scale (0 at background, ≈1 at +200 °C)."""
    return (np.arcsinh(np.asarray(delta_c, dtype=np.float32) / DELTA_SCALE_C) / _ASINH_FULL).astype(np.float32)


def patch_window(bbox: BBox) -> tuple[float, float, float]:
    """The square window a bbox is classified in: (centre x, centre y, side), in pixels."""
    x, y, w, h = bbox
    if w <= 0 or h <= 0:
        raise ValueError(f"bbox {bbox} has no area; width and height must be positive")
    side = max(WINDOW_MARGIN * max(w, h), float(MIN_WINDOW_PX))
    return x + w / 2.0, y + h / 2.0, side


@lru_cache(maxsize=1024)
def _axis_weights(centre: float, side: float, size: int) -> tuple[int, np.ndarray]:
    """Resampling weights along one axis: (first source index, matrix [PATCH_SIZE, span]).

    Patch pixel ``k`` covers ``[lo_k, hi_k)`` of the window in continuous pixel coordinates
    (sensor pixel ``i`` spans ``[i, i+1)``); its value is the area-weighted mean of the sensor
    pixels it overlaps. Parts of the window outside ``0..size`` get no weight: outside the frame
    is background, i.e. zero after subtraction. Cached: bboxes are integers, so a tracked object
    keeps hitting the same few windows.
    """
    step = side / PATCH_SIZE
    edges = centre - side / 2.0 + np.arange(PATCH_SIZE + 1, dtype=np.float64) * step
    first = max(0, math.floor(edges[0]))
    stop = min(size, math.ceil(edges[-1]))
    if stop <= first:  # the window lies wholly outside the frame
        weights = np.zeros((PATCH_SIZE, 1), dtype=np.float64)
        first = 0
    else:
        source = np.arange(first, stop, dtype=np.float64)
        overlap = np.minimum(edges[1:, None], source + 1.0) - np.maximum(edges[:-1, None], source)
        weights = np.clip(overlap, 0.0, None) / step
    weights.flags.writeable = False
    return first, weights


def extract_patch(pixels: np.ndarray, background: np.ndarray, bbox: BBox) -> np.ndarray:
    """The normalised ``PATCH_SIZE`` × ``PATCH_SIZE`` float32 patch of the object in ``bbox`` (x, y, w, h).

    ``pixels`` and ``background`` are float32 [H, W] °C of the same shape. Non-finite pixels
    (a dead sensor element) count as background. Raises ``ValueError`` for mismatched shapes or
    a bbox without area; a bbox partly or wholly outside the frame is fine (padded).
    """
    if pixels.ndim != 2 or pixels.shape != background.shape:
        raise ValueError(f"pixels {pixels.shape} and background {background.shape} must be the same [H, W] shape")
    height, width = pixels.shape
    cx, cy, side = patch_window(bbox)
    top, rows = _axis_weights(cy, side, height)
    left, cols = _axis_weights(cx, side, width)
    bottom, right = top + rows.shape[1], left + cols.shape[1]
    delta = pixels[top:bottom, left:right].astype(np.float64) - background[top:bottom, left:right]
    delta[~np.isfinite(delta)] = 0.0
    return normalise_delta(rows @ delta @ cols.T)


def extract_patches(pixels: np.ndarray, background: np.ndarray, bboxes: list[BBox]) -> np.ndarray:
    """:func:`extract_patch` for every bbox of one frame: float32 [N, PATCH_SIZE, PATCH_SIZE]."""
    out = np.empty((len(bboxes), PATCH_SIZE, PATCH_SIZE), dtype=np.float32)
    for i, bbox in enumerate(bboxes):
        out[i] = extract_patch(pixels, background, bbox)
    return out
