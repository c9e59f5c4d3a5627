"""Blob statistics against OpenCV's 8-connected component labelling, on arbitrary masks."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from firmware.pipeline.blobs import find_blobs


@st.composite
def scenes(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    h = draw(st.integers(2, 24))
    w = draw(st.integers(2, 32))
    fg = draw(arrays(np.bool_, (h, w)))
    values = st.sampled_from([-12.0, -3.0, 0.5, 3.0, 3.0, 8.0, 20.0])  # repeats: ties for the peak
    residual = draw(arrays(np.float32, (h, w), elements=values))
    return fg, residual


@settings(max_examples=300, deadline=None)
@given(scenes())
def test_every_component_and_its_statistics_match_opencv_labelling(scene: tuple[np.ndarray, np.ndarray]) -> None:
    fg, residual = scene
    pixels = residual + 10.0
    count, labels = cv2.connectedComponents(fg.astype(np.uint8), connectivity=8)
    blobs = find_blobs(fg, residual, pixels, hot_delta=15.0, warm_delta=5.0)
    assert len(blobs) == count - 1
    for blob in blobs:
        label = labels[int(blob.peak_y), int(blob.peak_x)]
        ys, xs = np.nonzero(labels == label)
        res = residual[ys, xs]
        weight = np.abs(res) + 1e-6
        assert (blob.x0, blob.y0, blob.x1, blob.y1) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        assert blob.area == len(xs)
        assert np.isclose(blob.cx, (xs * weight).sum() / weight.sum() + 0.5)
        assert np.isclose(blob.cy, (ys * weight).sum() / weight.sum() + 0.5)
        assert np.isclose(blob.mean_excess, weight.sum() / len(xs))
        assert abs(blob.peak_excess) == np.abs(res).max()
        assert blob.peak_value == blob.peak_excess + 10.0
        assert blob.hot_area == int((res >= 15.0).sum())
        assert np.isclose(blob.warm_mass, np.maximum(res - 5.0, 0.0).sum())


def test_a_run_at_the_end_of_a_row_is_not_joined_to_one_at_the_start_of_the_next() -> None:
    """Runs are found in the frame read as one flat array: the rows must not wrap into each other."""
    fg = np.zeros((3, 5), dtype=bool)
    fg[0, 3:] = True  # ends at the right edge
    fg[1, :2] = True  # starts at the left edge of the next row: another object
    fg[2, :] = True  # a full row touching the one above: same object as it
    blobs = sorted(find_blobs(fg, fg * 5.0, fg * 15.0), key=lambda b: b.y0)
    assert [(b.box, b.area) for b in blobs] == [((3, 0, 5, 1), 2), ((0, 1, 5, 3), 7)]
    everything = find_blobs(np.ones((4, 6), dtype=bool), np.full((4, 6), 5.0), np.full((4, 6), 15.0))
    assert [(b.box, b.area) for b in everything] == [((0, 0, 6, 4), 24)]
