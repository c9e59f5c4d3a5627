"""The contrast tool: how plainly each labelled person shows in the frames they are scored on."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hw.recording import Recording, save_labels, save_recording
from hw.sim.contrast import main, recording_contrasts
from hw.sim.scenario import Scenario


@pytest.fixture(scope="module")
def walker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """person-walking, seed 1000, first minute: one person in view from 32.1 s to 50.9 s."""
    path = tmp_path_factory.mktemp("suite") / "person-walking-1000.npz"
    sc = Scenario("person-walking", seed=1000)
    save_recording(path, sc.recording(60))
    save_labels(path, sc.labels(60))
    return path


def test_a_walker_stands_out_and_an_empty_interval_shows_nobody(walker: Path) -> None:
    walking = {"type": "person", "start": 32.125, "end": 50.875, "detected": True}
    before = {"type": "person", "start": 5.0, "end": 20.0, "detected": False}  # a label with nobody in view
    seen, empty = recording_contrasts(walker, [walking, before])
    assert seen.contrast_c > 3.0  # a clothed body on a lot, degrees above the asphalt
    assert 1.0 < seen.visible_px < 40.0  # a few pixels of a 32×24 view, never the whole of it
    assert (empty.contrast_c, empty.visible_px) == (0.0, 0.0)


def test_the_command_prints_each_label_and_recall_per_contrast_and_size_band(
    walker: Path, tmp_path: Path, capsys
) -> None:
    report = {
        "recordings": [
            {
                "name": walker.stem,
                "labels": [
                    {"type": "person", "start": 32.125, "end": 50.875, "detected": True},
                    {"type": "person", "start": 5.0, "end": 20.0, "detected": False},
                    {"type": "vehicle", "start": 0.0, "end": 10.0, "detected": False},
                ],
            }
        ]
    }
    (tmp_path / "eval.json").write_text(json.dumps(report))
    assert main([str(tmp_path / "eval.json"), str(walker.parent)]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [json.loads(line) for line in lines[:2]]
    assert [r["detected"] for r in rows] == [True, False]
    assert lines[2:] == [
        "nobody in the frames: 0/1 found (0.0 %)",
        "3 °C or more: 1/1 found (100.0 %)",
        "2–4 px: 1/1 found (100.0 %)",  # nobody has no size: only the walker is counted by size
    ]


def test_a_recording_that_is_not_simulated_is_a_clear_error(tmp_path: Path, capsys) -> None:
    real = tmp_path / "lot.npz"
    save_recording(real, Recording(np.zeros((4, 24, 32), np.float32), np.arange(4) / 8.0, meta={"fps": 8.0}))
    report = {
        "recordings": [{"name": "lot", "labels": [{"type": "person", "start": 0.0, "end": 0.4, "detected": False}]}]
    }
    (tmp_path / "eval.json").write_text(json.dumps(report))
    assert main([str(tmp_path / "eval.json"), str(tmp_path)]) == 2
    assert "lot.npz: not a simulated recording" in capsys.readouterr().err
