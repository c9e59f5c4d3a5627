"""Cost of the classifier stage: patch extraction and one ``predict`` call per frame.

    .venv/bin/python -m pytest bench/bench_model.py --benchmark-enable -p no:cacheprovider

Figures and the baseline (a bare numpy crop-and-subtract of the same window, the least any
patch needs) go to docs/performance.md, section "Classifier".
"""

from __future__ import annotations

import numpy as np
import pytest

from firmware.pipeline.model import load_classifier
from firmware.pipeline.patch import PATCH_SIZE, _axis_weights, extract_patch, extract_patches

# (frame shape, a person-sized bbox at that resolution)
SCENES = {
    "32x24": ((24, 32), (14, 8, 2, 5)),
    "80x60": ((60, 80), (35, 20, 5, 12)),
    "160x120": ((120, 160), (70, 40, 10, 25)),
}


def frame(shape: tuple[int, int], bbox: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    background = (12.0 + rng.normal(0, 0.3, shape)).astype(np.float32)
    pixels = background + rng.normal(0, 0.2, shape).astype(np.float32)
    x, y, w, h = bbox
    pixels[y : y + h, x : x + w] += 7.0
    return pixels, background


@pytest.fixture(scope="module")
def classifier():  # type: ignore[no-untyped-def]
    return load_classifier()


@pytest.mark.parametrize("scene", list(SCENES))
def test_extract_patch(benchmark, scene: str) -> None:  # type: ignore[no-untyped-def]
    shape, bbox = SCENES[scene]
    pixels, background = frame(shape, bbox)
    patch = benchmark(extract_patch, pixels, background, bbox)
    assert patch.shape == (PATCH_SIZE, PATCH_SIZE)


@pytest.mark.parametrize("scene", list(SCENES))
def test_extract_patch_new_box(benchmark, scene: str) -> None:  # type: ignore[no-untyped-def]
    """A box never seen before: the resampling weights are computed, not taken from the cache."""
    shape, bbox = SCENES[scene]
    pixels, background = frame(shape, bbox)

    def uncached() -> np.ndarray:
        _axis_weights.cache_clear()
        return extract_patch(pixels, background, bbox)

    assert benchmark(uncached).shape == (PATCH_SIZE, PATCH_SIZE)


@pytest.mark.parametrize("scene", list(SCENES))
def test_baseline_crop_and_subtract(benchmark, scene: str) -> None:  # type: ignore[no-untyped-def]
    """The floor: slice the same window and subtract the background, no resampling."""
    shape, bbox = SCENES[scene]
    pixels, background = frame(shape, bbox)
    x, y, w, h = bbox
    side = max(8, int(1.5 * max(w, h)))
    top, left = max(0, y + h // 2 - side // 2), max(0, x + w // 2 - side // 2)

    def crop() -> np.ndarray:
        return pixels[top : top + side, left : left + side] - background[top : top + side, left : left + side]

    assert benchmark(crop).size > 0


@pytest.mark.parametrize("tracks", [1, 4, 16])
def test_predict(benchmark, classifier, tracks: int) -> None:  # type: ignore[no-untyped-def]
    shape, bbox = SCENES["32x24"]
    pixels, background = frame(shape, bbox)
    patches = extract_patches(pixels, background, [bbox] * tracks)
    probs = benchmark(classifier.predict, patches)
    assert probs.shape == (tracks, 4)
