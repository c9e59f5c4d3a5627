"""Labelled patches for the classifier, without TensorFlow (the tests use this too).

Patches go through :func:`firmware.pipeline.patch.extract_patch`, the function the running
unit uses, with a bbox jittered the way a blob detector's box wobbles.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from firmware.pipeline.model import LABELS
from firmware.pipeline.patch import PATCH_SIZE, BBox, extract_patch

if TYPE_CHECKING:
    from hw.sim.render import GroundTruthObject

TRAIN_SEEDS = range(0, 900)
VALIDATION_SEEDS = range(900, 1000)
"""Held-out seeds for the model card's metrics; ``parkvakt eval`` uses seeds >= 1000."""

LABEL_INDEX = {label: i for i, label in enumerate(LABELS)}


@dataclass(slots=True)
class Dataset:
    patches: np.ndarray  # float32 [N, P, P]
    labels: np.ndarray  # int64 [N], index into LABELS

    def __len__(self) -> int:
        return len(self.labels)

    def counts(self) -> dict[str, int]:
        counts = np.bincount(self.labels, minlength=len(LABELS))
        return {label: int(counts[i]) for i, label in enumerate(LABELS)}

    def of_class(self, label: str) -> np.ndarray:
        return self.patches[self.labels == LABEL_INDEX[label]]

    @classmethod
    def concat(cls, parts: list[Dataset]) -> Dataset:
        if not parts:
            return cls(np.zeros((0, PATCH_SIZE, PATCH_SIZE), np.float32), np.zeros(0, np.int64))
        return cls(np.concatenate([p.patches for p in parts]), np.concatenate([p.labels for p in parts]))


def jitter_bbox(rng: np.random.Generator, bbox: BBox, shape: tuple[int, int]) -> BBox:
    """The box a blob detector might draw around the same object: edges off by up to ~15 % or a pixel."""
    x, y, w, h = bbox
    dx0, dx1 = rng.integers(-1, 2, size=2) * max(1, round(0.15 * w)) * rng.integers(0, 2, size=2)
    dy0, dy1 = rng.integers(-1, 2, size=2) * max(1, round(0.15 * h)) * rng.integers(0, 2, size=2)
    x0, x1 = x + int(dx0), x + w + int(dx1)
    y0, y1 = y + int(dy0), y + h + int(dy1)
    height, width = shape
    x0, y0 = max(0, min(x0, width - 1)), max(0, min(y0, height - 1))
    x1, y1 = max(x0 + 1, min(x1, width)), max(y0 + 1, min(y1, height))
    return x0, y0, x1 - x0, y1 - y0


SIM_CLASS = {"person": "person", "vehicle": "vehicle", "fire": "fire", "animal": "other", "hotspot": "other"}


def sample_label(obj: GroundTruthObject) -> str | None:
    """What the model should call a simulator object in this frame, or ``None`` to leave it out.

    Vehicles count while they move or run their engine and fires once flames break out (the
    simulator's label rule); a parked, switched-off car is scenery that the background learns,
    and a smouldering engine bay is for the fire detector's physics, so both are left out rather
    than taught as ``other``. Animals and barbecues are ``other``.
    """
    if not obj.visible:
        return None
    if obj.cls in ("vehicle", "fire") and not obj.labelled:
        return None
    return SIM_CLASS.get(obj.cls)


SCENARIO_NAMES = (
    "person-loitering",
    "person-walking",
    "car-arrival",
    "car-fire",
    "sun-heated-lot",
    "rain",
    "barbecue",
    "people-and-cars",
    "empty-night",
    "nuisance",
)
# (frame shape, runs per scenario out of every RUNS_PER_SCENARIO): mostly the MLX90640's 32×24,
# some MLX90641 16×12 and Lepton-class frames so the patch's resolution independence is trained.
RESOLUTIONS: tuple[tuple[tuple[int, int], int], ...] = (
    ((24, 32), 4),
    ((12, 16), 1),
    ((60, 80), 1),
    ((120, 160), 1),
)
RUNS_PER_SCENARIO = sum(n for _, n in RESOLUTIONS)
FPS = 4.0
SAMPLE_EVERY_S = 0.25  # every frame; the per-run cap below then picks spread-out samples
MAX_SECONDS = {(12, 16): 600.0, (24, 32): 600.0, (60, 80): 400.0, (120, 160): 240.0}
MAX_PER_CLASS_PER_RUN = 120
FOREGROUND_C = 1.2  # the pipeline's default threshold_c: what it would see as a blob
BACKGROUND_TAU_S = 60.0


class RunningBackground:
    """Per-pixel exponential average (time constant ``BACKGROUND_TAU_S``) that does not learn
    under objects: a simple stand-in for the pipeline's background model, kept here so training
    does not change when the pipeline is tuned."""

    def __init__(self, first: np.ndarray) -> None:
        self.mean = first.astype(np.float32, copy=True)

    def update(self, frame: np.ndarray, frozen: np.ndarray, dt: float) -> None:
        alpha = np.float32(1.0 - np.exp(-dt / BACKGROUND_TAU_S))
        step = (frame - self.mean) * alpha
        step[frozen] = 0.0
        self.mean += step


def _int_box(bbox: tuple[float, float, float, float], shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) float → integer pixel bounds (exclusive), clipped to the frame."""
    h, w = shape
    x0, y0, x1, y1 = bbox
    return (
        max(0, int(np.floor(x0))),
        max(0, int(np.floor(y0))),
        min(w, int(np.ceil(x1))),
        min(h, int(np.ceil(y1))),
    )


def foreground_bbox(residual: np.ndarray, box: tuple[int, int, int, int]) -> BBox | None:
    """The bbox a blob detector would draw: foreground pixels inside ``box`` grown by one pixel."""
    h, w = residual.shape
    x0, y0, x1, y1 = max(0, box[0] - 1), max(0, box[1] - 1), min(w, box[2] + 1), min(h, box[3] + 1)
    rows, cols = np.nonzero(np.abs(residual[y0:y1, x0:x1]) > FOREGROUND_C)
    if len(rows) == 0:
        return None
    return x0 + int(cols.min()), y0 + int(rows.min()), int(np.ptp(cols)) + 1, int(np.ptp(rows)) + 1


def _clutter_bbox(rng: np.random.Generator, residual: np.ndarray, covered: np.ndarray) -> BBox | None:
    """A blob of foreground that belongs to no object (rain, sun on a roof, a ghost of a car that
    left, noise), or failing that a random patch of plain background."""
    h, w = residual.shape
    free = (np.abs(residual) > FOREGROUND_C) & ~covered
    ys, xs = np.nonzero(free)
    if len(ys):
        i = int(rng.integers(len(ys)))
        r = int(rng.integers(1, max(2, min(h, w) // 6)))
        box = (xs[i] - r, ys[i] - r, xs[i] + r + 1, ys[i] + r + 1)
        return foreground_bbox(np.where(covered, 0.0, residual), tuple(int(v) for v in box))  # type: ignore[arg-type]
    if rng.random() < 0.3:
        bw, bh = int(rng.integers(1, max(2, w // 5))), int(rng.integers(1, max(2, h // 5)))
        return int(rng.integers(0, w - bw + 1)), int(rng.integers(0, h - bh + 1)), bw, bh
    return None


def run_patches(name: str, seed: int, shape: tuple[int, int], seconds: float | None = None) -> Dataset:
    """Labelled patches from one simulator run (object patches, and clutter as ``other``)."""
    from hw.sim import Scenario

    scenario = Scenario(name, seed=seed, shape=shape)
    seconds = min(scenario.length_s, MAX_SECONDS.get(shape, 240.0)) if seconds is None else seconds
    rng = np.random.default_rng([seed, *shape, *name.encode()])
    every = max(1, round(SAMPLE_EVERY_S * FPS))
    per_class: dict[int, list[np.ndarray]] = {i: [] for i in range(len(LABELS))}
    background: RunningBackground | None = None
    frame_no = 0
    for chunk in scenario.chunks(seconds, fps=FPS, with_truth=True):
        assert chunk.truth is not None
        for frame, objects in zip(chunk.frames, chunk.truth, strict=True):
            boxes = [(obj, _int_box(obj.bbox, shape)) for obj in objects]
            covered = np.zeros(shape, dtype=bool)
            tracked = np.zeros(shape, dtype=bool)
            for obj, (x0, y0, x1, y1) in boxes:
                covered[max(0, y0 - 1) : y1 + 1, max(0, x0 - 1) : x1 + 1] = True
                if sample_label(obj) is not None:
                    tracked[max(0, y0 - 1) : y1 + 1, max(0, x0 - 1) : x1 + 1] = True
            if background is None:
                background = RunningBackground(frame)
            elif frame_no % every == 0:
                residual = frame - background.mean
                for obj, box in boxes:
                    label = sample_label(obj)
                    if label is None:
                        continue
                    bbox = foreground_bbox(residual, box)
                    if bbox is not None:
                        bbox = jitter_bbox(rng, bbox, shape)
                        per_class[LABEL_INDEX[label]].append(extract_patch(frame, background.mean, bbox))
                clutter = _clutter_bbox(rng, residual, covered)
                if clutter is not None:
                    per_class[LABEL_INDEX["other"]].append(extract_patch(frame, background.mean, clutter))
            background.update(frame, tracked, 1.0 / FPS)
            frame_no += 1
    parts = []
    for index, patches in per_class.items():
        if len(patches) > MAX_PER_CLASS_PER_RUN:
            keep = np.sort(rng.choice(len(patches), size=MAX_PER_CLASS_PER_RUN, replace=False))
            patches = [patches[i] for i in keep]
        if patches:
            parts.append(Dataset(np.stack(patches), np.full(len(patches), index, dtype=np.int64)))
    return Dataset.concat(parts)


def runs(seeds: range, runs_per_scenario: int = RUNS_PER_SCENARIO) -> list[tuple[str, int, tuple[int, int]]]:
    """The (scenario, seed, shape) runs a dataset is made of: the first seeds of ``seeds``,
    a different seed for every run, resolutions in the proportions of ``RESOLUTIONS``."""
    shapes = [shape for shape, n in RESOLUTIONS for _ in range(n)]
    out = []
    seed_iter = iter(seeds)
    for k in range(runs_per_scenario):
        for name in SCENARIO_NAMES:
            out.append((name, next(seed_iter), shapes[k % len(shapes)]))
    return out


def build_dataset(seeds: range, runs_per_scenario: int = RUNS_PER_SCENARIO) -> Dataset:
    return Dataset.concat([run_patches(name, seed, shape) for name, seed, shape in runs(seeds, runs_per_scenario)])


# write evaluation suites and their labels; render nothing the training data are made of
NOT_DATA = ("suite.py", "labels.py", "contrast.py")  # evaluation: they shape no frame


def simulator_fingerprint(sim_dir: Path | None = None) -> str:
    """sha256 over the simulator's source that renders frames and ground truth (``hw/sim/**/*.py``
    but ``NOT_DATA``, sorted by path): the data depend on exactly this code, committed or not."""
    sim_dir = sim_dir or Path(__file__).resolve().parent.parent / "hw" / "sim"
    digest = hashlib.sha256()
    for path in sorted(sim_dir.rglob("*.py")):
        if path.name in NOT_DATA:
            continue
        digest.update(path.relative_to(sim_dir).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def data_digest(data: Dataset) -> str:
    """sha256 of a data set's patches and labels: two trainings saw the same data iff it matches."""
    digest = hashlib.sha256(np.ascontiguousarray(data.patches, dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(data.labels, dtype=np.int64).tobytes())
    return digest.hexdigest()


def describe_simulator() -> str:
    """The simulator's identity for the model card: the last git commit of its data-making source
    and a fingerprint of that source as used."""
    import subprocess

    excluded = [f":(exclude)hw/sim/{name}" for name in NOT_DATA]
    try:
        commit = subprocess.run(
            ["git", "log", "-1", "--format=%h %cs", "--", "hw/sim", *excluded],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent.parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown commit"
    return f"hw/sim at {commit}, source sha256 {simulator_fingerprint()[:16]}"
