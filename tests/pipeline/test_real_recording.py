"""The pipeline on a real sensor's noise: MLX90641 (16×12) in a room warming up after the lights
went on, then a person walks in and sits down (../shared/data, not part of the repository)."""

from __future__ import annotations

import pytest

from firmware.events import Event
from hw.frame import ThermalFrame
from hw.recording import load_labels, load_recording
from tests.conftest import SHARED_DATA
from tests.pipeline.scenes import pipeline

WARMUP = SHARED_DATA / "real" / "mlx90641-warmup.npz"
pytestmark = pytest.mark.skipif(not WARMUP.exists(), reason=f"real recording {WARMUP} is not on this machine")


def replay(**detection: object) -> tuple[list[Event], float, float]:
    rec = load_recording(WARMUP)
    labels = load_labels(WARMUP) or []
    p = pipeline(**detection)
    events: list[Event] = []
    for i, px in enumerate(rec.frames):
        events.extend(p.process(ThermalFrame(px, float(rec.timestamps[i]), i)))
    events.extend(p.finish(rec.duration))
    return events, labels[0].start, rec.duration


def test_warm_up_drift_is_quiet_and_the_seated_person_is_one_incident() -> None:
    """Indoor geometry: a person close to the sensor is about half the frame tall."""
    events, entered, duration = replay(person_height_top=0.5, person_height_bottom=0.9)
    assert [(e.type, e.phase) for e in events] == [("person", "start"), ("person", "end")]
    start, end = events
    assert entered <= start.t <= entered + 4.0
    assert end.t == duration  # still there, sitting still for 150 s, when the recording ends


def test_with_the_outdoor_default_geometry_nothing_is_invented_during_warm_up() -> None:
    events, entered, _ = replay()
    assert all(e.t >= entered for e in events)
    assert events, "the person walking in went unnoticed"
