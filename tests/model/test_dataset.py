"""What the model is taught: which simulator objects become which label, and that data reproduce."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from firmware.pipeline.model import LABELS
from hw.sim.render import GroundTruthObject
from models.dataset import (
    Dataset,
    data_digest,
    foreground_bbox,
    run_patches,
    runs,
    sample_label,
    simulator_fingerprint,
)

SEEN = GroundTruthObject(
    object_id=0,
    cls="person",
    bbox=(3.0, 4.0, 5.0, 9.0),
    visible_fraction=1.0,
    visible_area_px=8.0,
    apparent_temp_c=25.0,
    true_temp_c=33.0,
    distance_m=12.0,
    labelled=True,
)


@pytest.mark.parametrize(
    ("cls", "labelled", "visible_fraction", "expected"),
    [
        ("person", True, 1.0, "person"),
        ("person", True, 0.05, None),  # mostly hidden and tiny: the simulator calls it not visible
        ("vehicle", True, 1.0, "vehicle"),  # moving or engine running
        ("vehicle", False, 1.0, None),  # parked and switched off: scenery, not taught either way
        ("fire", True, 1.0, "fire"),  # flames
        ("fire", False, 1.0, None),  # smouldering: left to the fire physics
        ("animal", False, 1.0, "other"),
        ("hotspot", False, 1.0, "other"),  # a barbecue
    ],
)
def test_simulator_objects_map_to_labels(
    cls: str, labelled: bool, visible_fraction: float, expected: str | None
) -> None:
    area = SEEN.visible_area_px * visible_fraction
    obj = dataclasses.replace(SEEN, cls=cls, labelled=labelled, visible_fraction=visible_fraction, visible_area_px=area)
    assert sample_label(obj) == expected


def test_foreground_bbox_is_what_a_blob_detector_would_draw() -> None:
    residual = np.zeros((24, 32), np.float32)
    residual[5:9, 10:12] = 4.0
    residual[20, 30] = 9.0  # far away: not part of this object
    assert foreground_bbox(residual, (10, 6, 12, 8)) == (10, 5, 2, 4)  # grown by a pixel, finds the full blob
    assert foreground_bbox(residual, (0, 0, 4, 4)) is None
    residual[15, 15] = -3.0  # colder than the background counts too
    assert foreground_bbox(residual, (15, 15, 16, 16)) == (15, 15, 1, 1)


def test_a_run_gives_the_same_patches_every_time() -> None:
    first = run_patches("person-walking", 7, (24, 32), seconds=40.0)
    again = run_patches("person-walking", 7, (24, 32), seconds=40.0)
    assert len(first) > 0 and first.counts()["person"] > 0
    np.testing.assert_array_equal(first.patches, again.patches)
    np.testing.assert_array_equal(first.labels, again.labels)
    assert set(np.unique(first.labels)) <= set(range(len(LABELS)))


def test_training_and_held_out_runs_use_disjoint_seeds_below_the_evaluation_range() -> None:
    from models.dataset import TRAIN_SEEDS, VALIDATION_SEEDS
    from models.train import HELD_OUT_RUNS_PER_SCENARIO, TRAIN_RUNS_PER_SCENARIO

    train = {seed for _, seed, _ in runs(TRAIN_SEEDS, TRAIN_RUNS_PER_SCENARIO)}
    held = {seed for _, seed, _ in runs(VALIDATION_SEEDS, HELD_OUT_RUNS_PER_SCENARIO)}
    assert not train & held
    assert max(train | held) < 1000, "seeds >= 1000 belong to the evaluation suite"


def test_the_simulator_fingerprint_covers_what_renders_frames_not_the_suite_or_its_labels(tmp_path: Path) -> None:
    (tmp_path / "render.py").write_text("GAIN = 1.0\n")
    (tmp_path / "suite.py").write_text("HOURS = 24\n")
    (tmp_path / "labels.py").write_text("MIN_SEEN_S = 1.0\n")
    (tmp_path / "contrast.py").write_text("LOW_C = 1.5\n")
    before = simulator_fingerprint(tmp_path)
    (tmp_path / "suite.py").write_text("HOURS = 48\n")  # how many recordings a suite has: no training data
    (tmp_path / "labels.py").write_text("MIN_SEEN_S = 2.0\n")  # what evaluation scores: no training data
    (tmp_path / "contrast.py").write_text("LOW_C = 1.0\n")  # how evaluation is read: no training data
    assert simulator_fingerprint(tmp_path) == before
    (tmp_path / "render.py").write_text("GAIN = 1.1\n")
    assert simulator_fingerprint(tmp_path) != before


def test_the_data_digest_tells_two_data_sets_apart() -> None:
    data = run_patches("person-walking", 7, (24, 32), seconds=20.0)
    assert data_digest(data) == data_digest(Dataset(data.patches.copy(), data.labels.copy()))
    relabelled = data.labels.copy()
    relabelled[0] = (relabelled[0] + 1) % len(LABELS)
    assert data_digest(Dataset(data.patches, relabelled)) != data_digest(data)
