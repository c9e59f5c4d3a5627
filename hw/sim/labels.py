"""Ground truth → ``labels.json``: the intervals in which each labelled type is there to be found.

Evaluation only: nothing here shapes a frame or a training patch, so it is outside the
simulator fingerprint that ties the model to its data (``models.dataset.NOT_DATA``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from hw.recording import LabelEvent
from hw.sim.render import Scene, geometry

LABEL_GAP_S = 2.0  # visibility gaps shorter than this do not split a label interval
LABEL_TYPES = ("fire", "person", "vehicle")
# a labelled object with this much of it in view but too little to count (see render.is_visible)
# makes an ``ignore`` interval: reporting it is no false alarm, missing it no miss
GLIMPSE_PX = 0.05
# a person or vehicle visit (one label interval) in which it is visible for less than this in all
# is a glimpse: it becomes an ``ignore`` interval too. No detector that confirms what it sees over
# time can report it, and a unit that did would be reporting a flicker (see docs/simulator.md)
MIN_SEEN_S: dict[str, float] = {"person": 1.0, "vehicle": 1.0}


def scene_labels(scene: Scene, frames: int, fps: float, blocks: Iterable[np.ndarray]) -> list[LabelEvent]:
    """Per type, the intervals of frames where a labelled object is visible (:func:`render.is_visible`),
    and ``ignore`` intervals where one is only glimpsed.

    ``blocks`` are the frame indices of the blocks the frames were rendered in
    (``Scenario.blocks``): who hides whom is decided per block (objects are painted far to near by
    their median depth over it), so labels worked out in other blocks can call a person visible
    whom the frames show behind their car.
    """
    seen = {k: np.zeros(frames, dtype=bool) for k in LABEL_TYPES}
    glimpsed = {k: np.zeros(frames, dtype=bool) for k in LABEL_TYPES}
    for idx in blocks:
        geo = geometry(scene, idx / fps)
        visible = geo.visible_mask([obj.cls for obj in scene.objects])
        for k, obj in enumerate(scene.objects):
            if obj.cls in seen:
                seen[obj.cls][idx] |= geo.labelled[k] & visible[k]
                glimpsed[obj.cls][idx] |= geo.labelled[k] & (geo.visible_area[k] >= GLIMPSE_PX)
    events: list[LabelEvent] = []
    for kind, mask in seen.items():
        counted = mask & ~_brief_visits(mask, MIN_SEEN_S.get(kind, 0.0), fps)
        events += _intervals(kind, counted, fps)
        events += _intervals(kind, (glimpsed[kind] | mask) & ~counted, fps, ignore=True)
    return sorted(events, key=lambda e: (e.start, e.type))


def _visits(mask: np.ndarray, fps: float) -> list[tuple[int, int]]:
    """(first, last) frame of each run of ``mask``, runs less than ``LABEL_GAP_S`` apart joined."""
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > LABEL_GAP_S * fps)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]])
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _brief_visits(mask: np.ndarray, min_s: float, fps: float) -> np.ndarray:
    """The frames of the visits in which ``mask`` holds for less than ``min_s`` seconds in all."""
    out = np.zeros_like(mask)
    for first, last in _visits(mask, fps):
        if mask[first : last + 1].sum() < min_s * fps:
            out[first : last + 1] = True
    return out


def _intervals(kind: str, mask: np.ndarray, fps: float, *, ignore: bool = False) -> list[LabelEvent]:
    last = len(mask) - 1
    return [
        LabelEvent(
            type=kind,  # type: ignore[arg-type]
            start=round(float(s) / fps, 3),
            end=None if e == last else round(float(e) / fps, 3),
            ignore=ignore,
        )
        for s, e in _visits(mask, fps)
    ]
