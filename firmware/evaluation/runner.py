"""Find labelled recordings and run the detection pipeline over each one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from firmware.config import UnitConfig
from firmware.evaluation.matching import RecordingResult, match
from firmware.events import Event
from firmware.pipeline import DetectionPipeline, load_model_for
from hw.frame import ThermalFrame
from hw.recording import labels_path, load_labels, load_recording


class EvalInputError(Exception):
    """A path given to ``eval`` that holds no usable labelled recording."""


def discover(paths: list[Path]) -> list[Path]:
    """``.npz`` files given directly, or found (recursively) under folders, that have labels."""
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found.extend(f for f in sorted(p.rglob("*.npz")) if labels_path(f).exists())
        elif p.is_file():
            if not labels_path(p).exists():
                raise EvalInputError(f"{p}: no labels file {labels_path(p).name} next to it")
            found.append(p)
        else:
            raise EvalInputError(f"{p}: no such file or folder")
    if not found:
        raise EvalInputError("no labelled recordings (.npz with .labels.json) in " + ", ".join(map(str, paths)))
    return found


def detect(path: Path, config: UnitConfig, pipeline: DetectionPipeline | None = None) -> tuple[list[Event], float]:
    """Every event the pipeline makes over a recording, and the recording's duration."""
    rec = load_recording(path)
    if pipeline is None:
        classifier, problem = load_model_for(config.detection)
        pipeline = DetectionPipeline(config.detection, classifier, model_problem=problem)
    kind = rec.meta.get("kind", "thermal")
    kind = kind if kind in ("thermal", "gray") else "thermal"
    events: list[Event] = []
    for i in range(len(rec.frames)):
        events.extend(pipeline.process(ThermalFrame(rec.frames[i], float(rec.timestamps[i]), i, None, kind)))
    events.extend(pipeline.finish(rec.duration))
    return events, rec.duration


def evaluate_one(path: Path, config: UnitConfig) -> tuple[Path, RecordingResult | None, str | None]:
    """(path, result, None), or (path, None, why) for a recording that cannot be read."""
    try:
        events, duration = detect(path, config)
        labels = load_labels(path) or []
    except Exception as exc:  # one unreadable file must not end an evaluation of hundreds
        return path, None, f"{type(exc).__name__}: {exc}"
    return path, match(path.name.removesuffix(".npz"), events, labels, duration), None


def evaluate(
    paths: list[Path], config: UnitConfig, *, jobs: int = 1
) -> Iterator[tuple[Path, RecordingResult | None, str | None]]:
    """Results in the order of ``paths``; ``jobs`` > 1 spreads recordings over processes."""
    if jobs <= 1:
        for p in paths:
            yield evaluate_one(p, config)
        return
    with ProcessPoolExecutor(max_workers=min(jobs, os.cpu_count() or 1)) as pool:
        yield from pool.map(evaluate_one, paths, [config] * len(paths))
