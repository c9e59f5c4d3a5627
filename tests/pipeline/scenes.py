"""Small hand-built thermal scenes for stage tests: numpy frames with known objects in them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from firmware.config import UnitConfig, parse_config
from firmware.events import Event
from firmware.pipeline import DetectionPipeline
from firmware.pipeline.blobs import Blob
from hw.frame import ThermalFrame

Painter = Callable[[np.ndarray, float], None]


def config(**detection: object) -> UnitConfig:
    return parse_config({"unit": {"id": "test"}, "detection": {"use_model": False, **detection}})


def pipeline(**detection: object) -> DetectionPipeline:
    cfg = config(**detection)
    return DetectionPipeline(cfg.detection)


def frames(
    seconds: float,
    paint: Painter,
    *,
    shape: tuple[int, int] = (24, 32),
    fps: float = 8.0,
    base_c: float = 10.0,
    noise_c: float = 0.15,
    seed: int = 0,
    drift_c_per_s: float = 0.0,
) -> Iterator[ThermalFrame]:
    """Frames of a flat scene (with a gentle vertical gradient) plus whatever ``paint`` adds."""
    rng = np.random.default_rng(seed)
    h, w = shape
    gradient = np.linspace(-1.0, 1.0, h, dtype=np.float32)[:, None] * np.ones((1, w), np.float32)
    for i in range(int(seconds * fps)):
        t = i / fps
        px = base_c + drift_c_per_s * t + gradient + rng.normal(0.0, noise_c, shape).astype(np.float32)
        paint(px, t)
        yield ThermalFrame(px.astype(np.float32), t, i)


def run(p: DetectionPipeline, source: Iterator[ThermalFrame]) -> list[Event]:
    events: list[Event] = []
    t = 0.0
    for frame in source:
        events.extend(p.process(frame))
        t = frame.timestamp
    events.extend(p.finish(t))
    return events


def starts(events: list[Event], type_: str | None = None) -> list[Event]:
    return [e for e in events if e.phase == "start" and (type_ is None or e.type == type_)]


def person(px: np.ndarray, x: float, foot_row: int, *, height: int = 5, width: int = 2, excess: float = 8.0) -> None:
    """A standing person: ``height`` rows ending at ``foot_row``, ``excess`` °C above the ground."""
    x0 = round(x)
    px[foot_row - height + 1 : foot_row + 1, x0 : x0 + width] += excess


def box_blob(x0: int, y0: int, x1: int, y1: int) -> Blob:
    """A filled blob over the box (x0, y0)–(x1, y1), exclusive, 3 °C above its background."""
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return Blob(x0, y0, x1, y1, (x1 - x0) * (y1 - y0), cx, cy, 3.0, 4.0, 14.0, cx, cy, 0, 0.0)
