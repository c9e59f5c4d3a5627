"""A missing, tampered or corrupt model gives one ``trouble`` incident and rule-only detection."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from firmware.pipeline import DetectionPipeline, load_model_for
from tests.pipeline.scenes import config, frames, person, run, starts


def walker(px: np.ndarray, t: float) -> None:
    if 3 <= t < 15:
        person(px, 3 + (t - 3) * 1.5, 19)


def run_with_model(model: str | None) -> list:
    cfg = config(use_model=True, model=model)
    classifier, problem = load_model_for(cfg.detection)
    return run(DetectionPipeline(cfg.detection, classifier, model_problem=problem), frames(20, walker))


def bundled() -> Path:
    from models import MODEL_PATH

    if not MODEL_PATH.exists():
        pytest.skip("no bundled model in this checkout")
    return MODEL_PATH


@pytest.mark.parametrize("damage", ["missing", "tampered", "garbage"])
def test_broken_model_is_one_trouble_incident_and_detection_goes_on(tmp_path: Path, damage: str) -> None:
    model = tmp_path / "model.tflite"
    if damage == "tampered":
        shutil.copy(bundled(), model)
        shutil.copy(bundled().with_name(bundled().name + ".sha256"), tmp_path / "model.tflite.sha256")
        data = bytearray(model.read_bytes())
        data[len(data) // 2] ^= 0xFF
        model.write_bytes(bytes(data))
    elif damage == "garbage":
        model.write_bytes(b"not a flatbuffer at all" * 10)
        digest = hashlib.sha256(model.read_bytes()).hexdigest()
        (tmp_path / "model.tflite.sha256").write_text(f"{digest}  model.tflite\n")
    events = run_with_model(str(model))
    trouble = [e for e in events if e.type == "trouble"]
    assert [e.phase for e in trouble] == ["start", "end"]
    assert trouble[0].t == 0.0
    assert str(model) in trouble[0].detail["reason"]
    assert trouble[0].detail["kind"] == "model"  # what the uplinks route trouble by
    assert [e.type for e in starts(events, "person")] == ["person"]


def test_bundled_model_loads_and_is_used() -> None:
    bundled()
    cfg = config(use_model=True)
    classifier, problem = load_model_for(cfg.detection)
    assert problem is None and classifier is not None
    p = DetectionPipeline(cfg.detection, classifier)
    events = run(p, frames(20, walker))
    assert [e.type for e in events if e.phase == "start"] == ["person"]
    assert p.stats.model_runs >= 1
