"""What one refresh of the view shows, gathered from a frame, the engine and what it did."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from firmware.config.detection import ZoneSection
from firmware.engine import Engine
from firmware.events import Action, Event
from firmware.view.heatmap import Box, Overlays
from hw.frame import ThermalFrame


@dataclass(frozen=True, slots=True)
class TrackInfo:
    id: int
    box: tuple[int, int, int, int]
    label: str
    peak_c: float


@dataclass(slots=True)
class ViewSnapshot:
    pixels: np.ndarray
    t: float
    seq: int
    kind: str
    source: str
    fps: float
    zones: list[tuple[str, np.ndarray]]
    masks: list[np.ndarray]
    tracks: list[TrackInfo]
    hottest: tuple[int, int, float]  # row, col, °C
    outputs: dict[str, str]
    events: list[str]
    armed: bool | None
    finished: bool = False

    def overlays(self, cursor: tuple[int, int] | None = None) -> Overlays:
        return Overlays(
            zones=self.zones,
            masks=self.masks,
            boxes=[Box(*tr.box, label=tr.label) for tr in self.tracks],
            hottest=self.hottest[:2],
            cursor=cursor,
        )

    def temperature_at(self, row: int, col: int) -> float | None:
        h, w = self.pixels.shape
        if 0 <= row < h and 0 <= col < w:
            return float(self.pixels[row, col])
        return None


def _rasterise(polygon: list[tuple[float, float]], shape: tuple[int, int]) -> np.ndarray:
    from firmware.pipeline.zones import rasterise

    return rasterise(polygon, shape)


@dataclass(slots=True)
class ViewState:
    """Accumulates across frames what a snapshot needs: outputs, recent events, zone rasters."""

    zones_config: list[ZoneSection]
    source: str
    max_events: int = 12
    outputs: dict[str, str] = field(default_factory=dict)
    events: deque[str] = field(default_factory=deque)
    _rasters: dict[tuple[int, int], tuple[list[tuple[str, np.ndarray]], list[np.ndarray]]] = field(default_factory=dict)
    _times: deque[float] = field(default_factory=deque)

    def note(self, events: list[Event], actions: list[Action]) -> None:
        for e in events:
            where = f" in {e.zone}" if e.zone else ""
            extra = ""
            if e.type == "trouble" and e.detail.get("reason"):
                extra = f": {e.detail['reason']}"
            self.events.append(f"{e.t:8.1f}s  {e.type} {e.phase}{where}{extra}")
        for a in actions:
            self.outputs[a.output] = a.state
            self.events.append(f"{a.t:8.1f}s  → {a.output} {a.state}" + (f" ({a.reason})" if a.reason else ""))
        while len(self.events) > self.max_events:
            self.events.popleft()

    def rasters(self, shape: tuple[int, int]) -> tuple[list[tuple[str, np.ndarray]], list[np.ndarray]]:
        if shape not in self._rasters:
            zones = [(z.name, _rasterise(z.polygon, shape)) for z in self.zones_config if z.kind == "zone"]
            masks = [_rasterise(z.polygon, shape) for z in self.zones_config if z.kind == "mask"]
            self._rasters[shape] = (zones, masks)
        return self._rasters[shape]

    def fps(self, t: float) -> float:
        self._times.append(t)
        while len(self._times) > 16:
            self._times.popleft()
        if len(self._times) < 2 or self._times[-1] <= self._times[0]:
            return 0.0
        return (len(self._times) - 1) / (self._times[-1] - self._times[0])

    def snapshot(self, frame: ThermalFrame, engine: Engine | None) -> ViewSnapshot:
        pixels = frame.pixels
        zones, masks = self.rasters(pixels.shape)
        flat = int(np.nanargmax(pixels)) if np.isfinite(pixels).any() else 0
        row, col = divmod(flat, pixels.shape[1])
        return ViewSnapshot(
            pixels=pixels,
            t=frame.timestamp,
            seq=frame.seq,
            kind=frame.kind,
            source=self.source,
            fps=self.fps(frame.timestamp),
            zones=zones,
            masks=masks,
            tracks=tracks_of(engine, pixels),
            hottest=(row, col, float(pixels[row, col])),
            outputs=dict(self.outputs),
            events=list(self.events),
            armed=armed_of(engine, frame.timestamp),
        )


def tracks_of(engine: Engine | None, pixels: np.ndarray) -> list[TrackInfo]:
    """Live tracks and their current class from the detection pipeline, when it exposes them."""
    pipeline: Any = engine.pipeline if engine else None
    tracker = getattr(pipeline, "tracker", None)
    tracks = getattr(tracker, "tracks", None)
    if not tracks:
        return []
    states = getattr(getattr(pipeline, "book", None), "states", {}) or {}
    out = []
    for tr in list(tracks.values()):
        if not getattr(tr, "seen_now", True):
            continue
        x0, y0, x1, y1 = (int(v) for v in tr.box)
        region = pixels[max(0, y0) : max(y0 + 1, y1), max(0, x0) : max(x0 + 1, x1)]
        st = states.get(tr.id)
        label = getattr(st, "label", None) or "other"
        out.append(TrackInfo(tr.id, (x0, y0, x1, y1), label, float(np.nanmax(region)) if region.size else float("nan")))
    return out


def armed_of(engine: Engine | None, t: float) -> bool | None:
    policy: Any = engine.policy if engine else None
    is_armed = getattr(policy, "is_armed", None)
    return bool(is_armed(t)) if callable(is_armed) else None
