"""The recording format shared by every Parkvakt tool.

``NAME.npz``: ``frames`` float32 [N, H, W] °C (row 0 = top, column 0 = left), ``timestamps``
float64 [N] seconds from the first frame, optional ``ambient`` float32 [N], and ``meta`` a JSON
string (sensor, fov, mounting, ...). Ground truth in ``NAME.labels.json``:
``{"events": [{"type": "fire"|"person"|"vehicle", "start": s, "end": s or null}]}``; an event
may carry ``"ignore": true``: the object is there but too small or too hidden to be seen (a
"don't care" interval, as in KITTI's DontCare regions): it is no miss when nothing reports it and
no false alarm when something does.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

LabelType = Literal["fire", "person", "vehicle"]


@dataclass(frozen=True, slots=True)
class LabelEvent:
    type: LabelType
    start: float
    end: float | None
    ignore: bool = False


@dataclass(slots=True)
class Recording:
    frames: np.ndarray
    timestamps: np.ndarray
    ambient: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.frames.ndim != 3:
            raise ValueError(f"frames must be [N, H, W], got shape {self.frames.shape}")
        if len(self.timestamps) != len(self.frames):
            raise ValueError(f"{len(self.frames)} frames but {len(self.timestamps)} timestamps")
        if self.ambient is not None and len(self.ambient) != len(self.frames):
            raise ValueError(f"{len(self.frames)} frames but {len(self.ambient)} ambient values")

    @property
    def duration(self) -> float:
        return float(self.timestamps[-1]) if len(self.timestamps) else 0.0


def labels_path(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    return p.with_name(p.name.removesuffix(".npz") + ".labels.json")


def load_recording(path: str | os.PathLike[str]) -> Recording:
    with np.load(path, allow_pickle=False) as data:
        meta_raw = data["meta"] if "meta" in data.files else None
        meta = json.loads(str(meta_raw)) if meta_raw is not None else {}
        return Recording(
            frames=data["frames"].astype(np.float32, copy=False),
            timestamps=data["timestamps"].astype(np.float64, copy=False),
            ambient=data["ambient"].astype(np.float32, copy=False) if "ambient" in data.files else None,
            meta=meta,
        )


def save_recording(path: str | os.PathLike[str], rec: Recording) -> None:
    arrays: dict[str, np.ndarray] = {
        "frames": np.ascontiguousarray(rec.frames, dtype=np.float32),
        "timestamps": np.ascontiguousarray(rec.timestamps, dtype=np.float64),
        "meta": np.array(json.dumps(rec.meta)),
    }
    if rec.ambient is not None:
        arrays["ambient"] = np.ascontiguousarray(rec.ambient, dtype=np.float32)
    tmp = Path(str(path) + ".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)


def load_labels(path: str | os.PathLike[str]) -> list[LabelEvent] | None:
    """Labels of a recording (pass the ``.npz`` path), or ``None`` when it has none."""
    lp = labels_path(path)
    if not lp.exists():
        return None
    raw = json.loads(lp.read_text())
    return [
        LabelEvent(type=e["type"], start=float(e["start"]), end=e.get("end"), ignore=bool(e.get("ignore", False)))
        for e in raw["events"]
    ]


def save_labels(path: str | os.PathLike[str], events: list[LabelEvent]) -> None:
    body = {
        "events": [
            {"type": e.type, "start": e.start, "end": e.end, **({"ignore": True} if e.ignore else {})} for e in events
        ]
    }
    labels_path(path).write_text(json.dumps(body, indent=1) + "\n")
