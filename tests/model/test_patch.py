"""The patch the classifier sees: fixed size, centred, ambient-independent, padded at the edges."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.pipeline.patch import (
    DELTA_FULL_SCALE_C,
    PATCH_SIZE,
    extract_patch,
    extract_patches,
    normalise_delta,
)

SHAPES = [(24, 32), (12, 16), (60, 80), (120, 160)]


def scene(shape: tuple[int, int], ambient: float, bbox: tuple[int, int, int, int], delta: float) -> tuple:
    background = np.full(shape, ambient, dtype=np.float32)
    pixels = background.copy()
    x, y, w, h = bbox
    pixels[max(y, 0) : max(y + h, 0), max(x, 0) : max(x + w, 0)] += delta
    return pixels, background


@st.composite
def frames_with_boxes(draw: st.DrawFn) -> tuple:
    height, width = draw(st.sampled_from(SHAPES))
    w = draw(st.integers(1, width))
    h = draw(st.integers(1, height))
    x = draw(st.integers(-w + 1, width - 1))
    y = draw(st.integers(-h + 1, height - 1))
    return (height, width), (x, y, w, h)


@settings(max_examples=150, deadline=None)
@given(frames_with_boxes(), st.floats(-30, 45), st.floats(0.5, 600))
def test_patch_is_fixed_size_finite_and_bounded(case: tuple, ambient: float, delta: float) -> None:
    shape, bbox = case
    pixels, background = scene(shape, ambient, bbox, delta)
    patch = extract_patch(pixels, background, bbox)
    assert patch.shape == (PATCH_SIZE, PATCH_SIZE)
    assert patch.dtype == np.float32
    assert np.isfinite(patch).all()
    assert patch.min() >= 0.0
    assert patch.max() <= normalise_delta(np.array(delta)) + 1e-5
    assert patch.max() > 0.0, "a warm object inside its own bbox must show in the patch"


@settings(max_examples=60, deadline=None)
@given(frames_with_boxes(), st.floats(-30, 40), st.floats(-30, 40), st.floats(0.5, 300))
def test_patch_does_not_depend_on_ambient(case: tuple, ambient_a: float, ambient_b: float, delta: float) -> None:
    shape, bbox = case
    a = extract_patch(*scene(shape, ambient_a, bbox, delta), bbox)
    b = extract_patch(*scene(shape, ambient_b, bbox, delta), bbox)
    np.testing.assert_allclose(a, b, atol=1e-4)


def test_empty_scene_gives_a_zero_patch() -> None:
    pixels, background = scene((24, 32), 12.0, (0, 0, 1, 1), 0.0)
    assert not extract_patch(pixels, background, (10, 8, 3, 5)).any()


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(SHAPES), st.floats(0.5, 300), st.data())
def test_uniform_warmth_inside_the_frame_gives_a_uniform_patch(shape: tuple, delta: float, data: st.DataObject) -> None:
    """Area averaging preserves level: no ringing, no loss at the window's edges."""
    height, width = shape
    w = data.draw(st.integers(1, width // 2))
    h = data.draw(st.integers(1, height // 2))
    x = data.draw(st.integers(width // 4, width - w - width // 4))
    y = data.draw(st.integers(height // 4, height - h - height // 4))
    background = np.zeros(shape, np.float32)
    patch = extract_patch(background + np.float32(delta), background, (x, y, w, h))
    window_inside = max(1.5 * max(w, h), 8) <= 2 * min(x + w / 2, y + h / 2, width - x - w / 2, height - y - h / 2)
    if window_inside:
        np.testing.assert_allclose(patch, normalise_delta(np.array(delta)), rtol=1e-4)


def test_object_is_centred_and_keeps_its_aspect() -> None:
    person = (14, 8, 2, 6)  # tall
    pixels, background = scene((24, 32), 5.0, person, 8.0)
    patch = extract_patch(pixels, background, person)
    rows, cols = np.nonzero(patch > 0.05)
    assert abs(rows.mean() - (PATCH_SIZE - 1) / 2) < 1.0
    assert abs(cols.mean() - (PATCH_SIZE - 1) / 2) < 1.0
    assert np.ptp(rows) > 2 * np.ptp(cols), "a tall object must stay tall in the patch"


def test_warmer_object_gives_larger_values_and_fire_does_not_saturate_early() -> None:
    bbox = (10, 10, 4, 3)
    levels = [extract_patch(*scene((24, 32), 10.0, bbox, d), bbox).max() for d in (2.0, 8.0, 40.0, 150.0, 500.0)]
    assert all(b > a for a, b in itertools.pairwise(levels))
    assert normalise_delta(np.array(DELTA_FULL_SCALE_C)) == pytest.approx(1.0)


def test_colder_than_background_is_negative() -> None:
    bbox = (5, 5, 4, 4)
    patch = extract_patch(*scene((24, 32), 20.0, bbox, -6.0), bbox)
    assert patch.min() < -0.05


def test_outside_the_frame_is_background_and_dead_pixels_are_ignored() -> None:
    bbox = (28, 20, 4, 4)  # touches the bottom-right corner
    pixels, background = scene((24, 32), 10.0, bbox, 10.0)
    patch = extract_patch(pixels, background, bbox)
    assert not patch[-2:, :].any() and not patch[:, -2:].any()
    pixels[21, 29] = np.nan
    pixels[22, 30] = np.inf
    assert np.isfinite(extract_patch(pixels, background, bbox)).all()


def test_same_object_at_a_finer_resolution_gives_a_similar_patch() -> None:
    coarse = extract_patch(*scene((24, 32), 10.0, (10, 6, 3, 6), 7.0), (10, 6, 3, 6))
    fine = extract_patch(*scene((120, 160), 10.0, (50, 30, 15, 30), 7.0), (50, 30, 15, 30))
    assert np.corrcoef(coarse.ravel(), fine.ravel())[0, 1] > 0.9


def test_batched_variant_matches_single_calls() -> None:
    pixels, background = scene((24, 32), 10.0, (3, 3, 4, 2), 20.0)
    boxes = [(3, 3, 4, 2), (20, 10, 2, 5), (0, 0, 32, 24)]
    batch = extract_patches(pixels, background, boxes)
    assert batch.shape == (3, PATCH_SIZE, PATCH_SIZE)
    for patch, box in zip(batch, boxes, strict=True):
        np.testing.assert_array_equal(patch, extract_patch(pixels, background, box))
    assert extract_patches(pixels, background, []).shape == (0, PATCH_SIZE, PATCH_SIZE)


@pytest.mark.parametrize("bbox", [(3, 3, 0, 4), (3, 3, 4, -1)])
def test_box_without_area_is_refused(bbox: tuple[int, int, int, int]) -> None:
    pixels, background = scene((24, 32), 10.0, (0, 0, 1, 1), 1.0)
    with pytest.raises(ValueError, match="no area"):
        extract_patch(pixels, background, bbox)


def test_mismatched_background_is_refused() -> None:
    with pytest.raises(ValueError, match="same"):
        extract_patch(np.zeros((24, 32), np.float32), np.zeros((12, 16), np.float32), (1, 1, 2, 2))
