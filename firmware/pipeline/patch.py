"""The classifier's view of one object: a fixed-size, ambient-independent patch.

Training (``models/train.py``) and the running unit both call :func:`extract_patch`, so the
model sees at run time exactly the transform it was trained on.

The patch is a square window centred on the bbox, ``WINDOW_MARGIN`` times its longer side (at
least ``MIN_WINDOW_PX`` sensor pixels), resampled to ``PATCH_SIZE`` × ``PATCH_SIZE`` by area
averaging. The square window keeps the object's aspect ratio (a standing person is tall, a car
is wide) whatever the sensor resolution. Pixels outside the frame count as background.

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
MAX_SUBSAMPLES = 8
"""Sub-samples per patch pixel and axis when the window is larger than the patch (area averaging)."""

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

    Cached: bboxes are integer, so a tracked object keeps hitting the same few windows.

    Each patch pixel averages ``sub`` bilinear samples spread over its share of the window
    (area averaging when the window is larger than the patch). Samples outside ``0..size-1``
    get no weight: outside the frame is background, i.e. zero after subtraction.
    """
    sub = min(MAX_SUBSAMPLES, max(1, math.ceil(side / PATCH_SIZE)))
    n = PATCH_SIZE * sub
    coords = centre - side / 2.0 + (np.arange(n, dtype=np.float64) + 0.5) * (side / n) - 0.5
    lo = np.floor(coords).astype(np.int64)
    frac = coords - lo
    hi = lo + 1
    w_lo = np.where((lo >= 0) & (lo < size), 1.0 - frac, 0.0)
    w_hi = np.where((hi >= 0) & (hi < size), frac, 0.0)
    lo = np.clip(lo, 0, size - 1)
    hi = np.clip(hi, 0, size - 1)
    first = int(lo.min())
    span = int(hi.max()) - first + 1
    weights = np.zeros((n, span), dtype=np.float64)
    rows = np.arange(n)
    weights[rows, lo - first] = w_lo
    weights[rows, hi - first] += w_hi
    averaged = weights.reshape(PATCH_SIZE, sub, span).mean(axis=1)
    averaged.flags.writeable = False
    return first, averaged


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
