"""Blobs → tracks: the same object keeps the same track across frames and short gaps.

Association is greedy nearest-neighbour on the predicted centroid (constant velocity), gated by
the object's size. Leftover blobs that lie wholly inside a matched track's last box are fragments
of that object (a person split by a cold jacket) and are merged into it. A track that is not seen
is coasted on its velocity and dropped after ``gap_s``. A track matched to a blob much larger or
smaller than its last one, beside it, follows another object from then on: it starts again
from there, so a jump from a rain speck onto a parked car's outline is not a walk. A track that
has stood still for long is never matched to a much smaller blob beside it.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from firmware.pipeline.blobs import Blob

HISTORY_S = 12.0
TAKEOVER_AREA = 4  # a blob this many times larger or smaller than the track's last, clear of its box, is another object
# a track still this long (a parked car's outline in the rain) is not matched to a blob
# TAKEOVER_AREA times smaller clear of its box: a speck beside a parked car is something else,
# and the track would carry the car's look onto it and walk it off as if the car had moved
SETTLED_KEEPS_S = 10.0


@dataclass(slots=True)
class Sample:
    t: float
    area: int
    hot_area: int
    warm_mass: float
    mean_excess: float
    peak_excess: float
    peak_value: float
    peak_x: float
    peak_y: float
    cx: float
    cy: float
    height: int
    width: int


@dataclass(slots=True)
class Track:
    id: int
    box: tuple[int, int, int, int]
    cx: float
    cy: float
    first_t: float
    last_t: float
    vx: float = 0.0
    vy: float = 0.0
    hits: int = 1
    frames: int = 1  # frames since the track was created, seen or not
    history: deque[Sample] = field(default_factory=deque)
    anchor: tuple[float, float] = (0.0, 0.0)  # where it was when it last started to stand still
    still_since: float = 0.0
    still_box: tuple[int, int, int, int] = (0, 0, 0, 0)  # its box when it started to stand still
    travelled: float = 0.0  # largest distance from where the track started, px
    origin: tuple[float, float] = (0.0, 0.0)
    first_box: tuple[int, int, int, int] = (0, 0, 0, 0)
    displaced: bool = False  # has been somewhere not overlapping where it first appeared
    beside_vehicle: bool = False  # was once a piece cut away from a parked vehicle: someone leaving it
    seen_now: bool = True

    @property
    def age(self) -> float:
        return self.last_t - self.first_t

    def size(self) -> float:
        x0, y0, x1, y1 = self.box
        return float(max(x1 - x0, y1 - y0))

    @property
    def seen_share(self) -> float:
        return self.hits / self.frames

    def still_for(self, t: float) -> float:
        return t - self.still_since


def _sample(blob: Blob, t: float) -> Sample:
    return Sample(
        t=t,
        area=blob.area,
        hot_area=blob.hot_area,
        warm_mass=blob.warm_mass,
        mean_excess=blob.mean_excess,
        peak_excess=blob.peak_excess,
        peak_value=blob.peak_value,
        peak_x=blob.peak_x,
        peak_y=blob.peak_y,
        cx=blob.cx,
        cy=blob.cy,
        height=blob.height,
        width=blob.width,
    )


def _clear_of(box: tuple[int, int, int, int], b: Blob) -> bool:
    """The blob does not overlap ``box`` grown by a pixel (a blob growing from one pixel shifts its
    box without going anywhere)."""
    x0, y0, x1, y1 = box
    return b.x1 < x0 or b.x0 > x1 or b.y1 < y0 or b.y0 > y1


def _takeover(tr: Track, b: Blob) -> bool:
    """A blob ``TAKEOVER_AREA`` times larger or smaller than the track's last one, clear of its last box."""
    if not tr.history or not _clear_of(tr.box, b):
        return False
    last = tr.history[-1].area
    return b.area >= TAKEOVER_AREA * last or last >= TAKEOVER_AREA * b.area


def _shrinks_onto(tr: Track, b: Blob) -> bool:
    """A blob ``TAKEOVER_AREA`` times smaller than the track's last one, clear of its last box."""
    return bool(tr.history) and _clear_of(tr.box, b) and tr.history[-1].area >= TAKEOVER_AREA * b.area


def _fits(primary: Blob, parts: list[Blob]) -> bool:
    """The parts together span at most twice the primary blob (plus a pixel) each way."""
    width = max(b.x1 for b in parts) - min(b.x0 for b in parts)
    height = max(b.y1 for b in parts) - min(b.y0 for b in parts)
    return width <= 2 * primary.width + 1 and height <= 2 * primary.height + 1


def merge_blobs(blobs: list[Blob]) -> Blob:
    """One blob covering several fragments of the same object."""
    if len(blobs) == 1:
        return blobs[0]
    area = sum(b.area for b in blobs)
    weight = sum(b.mean_excess * b.area for b in blobs) or 1e-6
    peak = max(blobs, key=lambda b: abs(b.peak_excess))
    return Blob(
        x0=min(b.x0 for b in blobs),
        y0=min(b.y0 for b in blobs),
        x1=max(b.x1 for b in blobs),
        y1=max(b.y1 for b in blobs),
        area=area,
        cx=sum(b.cx * b.mean_excess * b.area for b in blobs) / weight,
        cy=sum(b.cy * b.mean_excess * b.area for b in blobs) / weight,
        mean_excess=weight / area,
        peak_excess=peak.peak_excess,
        peak_value=peak.peak_value,
        peak_x=peak.peak_x,
        peak_y=peak.peak_y,
        hot_area=sum(b.hot_area for b in blobs),
        warm_mass=sum(b.warm_mass for b in blobs),
    )


class Tracker:
    def __init__(self, *, gap_s: float = 2.0, min_gate_px: float = 2.5, still_px: float = 1.0) -> None:
        self.gap_s = gap_s
        self.min_gate_px = min_gate_px
        self.still_px = still_px
        self.tracks: dict[int, Track] = {}
        self._next_id = 1

    def update(self, blobs: list[Blob], t: float) -> tuple[list[Track], list[Track]]:
        """Associate this frame's blobs; returns (live tracks, tracks dropped this frame)."""
        tracks = list(self.tracks.values())
        pairs: list[tuple[float, int, int]] = []
        # a blob is in a track's gate when its centre is within the gate plus half its size
        reach = [(bi, b.cx, b.cy, 0.5 * max(b.x1 - b.x0, b.y1 - b.y0)) for bi, b in enumerate(blobs)]
        for ti, tr in enumerate(tracks):
            dt = t - tr.last_t
            px, py = tr.cx + tr.vx * dt, tr.cy + tr.vy * dt
            gate = max(self.min_gate_px, 0.75 * tr.size()) + math.hypot(tr.vx, tr.vy) * min(dt, 1.0) * 0.5
            settled = tr.still_for(t) >= SETTLED_KEEPS_S
            for bi, cx, cy, half in reach:
                limit = gate + half
                near = abs(cx - px) <= limit and (d := math.hypot(cx - px, cy - py)) <= limit
                if near and not (settled and _shrinks_onto(tr, blobs[bi])):
                    pairs.append((d, ti, bi))
        pairs.sort()
        assigned: dict[int, list[Blob]] = {}
        used: set[int] = set()
        for _, ti, bi in pairs:
            if ti in assigned or bi in used:
                continue
            assigned[ti] = [blobs[bi]]
            used.add(bi)
        for bi, b in enumerate(blobs):
            if bi in used:
                continue
            for ti, parts in assigned.items():
                # a fragment lies inside the box the object had; anything that would stretch the
                # box is a new object stepping away (a driver leaving their car), not a fragment.
                # Nor may fragments double the object matched this frame: a merged box would
                # otherwise keep holding a neighbour as the object walks away from it.
                x0, y0, x1, y1 = tracks[ti].box
                if x0 <= b.x0 and b.x1 <= x1 and y0 <= b.y0 and b.y1 <= y1 and _fits(parts[0], [*parts, b]):
                    parts.append(b)
                    used.add(bi)
                    break
        for ti, tr in enumerate(tracks):
            tr.frames += 1
            tr.seen_now = ti in assigned
            if tr.seen_now:
                self._observe(tr, merge_blobs(assigned[ti]), t)
        for bi, b in enumerate(blobs):
            if bi not in used:
                self._create(b, t)
        dropped = [tr for tr in self.tracks.values() if t - tr.last_t > self.gap_s]
        for tr in dropped:
            del self.tracks[tr.id]
        return list(self.tracks.values()), dropped

    def drop(self, track_id: int) -> Track | None:
        return self.tracks.pop(track_id, None)

    def clear(self) -> list[Track]:
        gone = list(self.tracks.values())
        self.tracks.clear()
        return gone

    def _create(self, b: Blob, t: float) -> None:
        tr = Track(
            id=self._next_id,
            box=b.box,
            cx=b.cx,
            cy=b.cy,
            first_t=t,
            last_t=t,
            anchor=(b.cx, b.cy),
            still_since=t,
            still_box=b.box,
            origin=(b.cx, b.cy),
            first_box=b.box,
            beside_vehicle=b.beside_vehicle,
        )
        tr.history.append(_sample(b, t))
        self.tracks[tr.id] = tr
        self._next_id += 1

    def _observe(self, tr: Track, b: Blob, t: float) -> None:
        if _takeover(tr, b):
            # the track of a fragment (a noise speck, a drop of rain) matched a much larger blob
            # beside it, or an object's track a speck beside it: what it follows now appears
            # here, it did not walk here
            tr.first_box, tr.origin, tr.travelled, tr.displaced = b.box, (b.cx, b.cy), 0.0, False
        dt = t - tr.last_t
        if dt > 0:
            a = min(1.0, dt / 0.5)  # velocity smoothed over about half a second
            tr.vx += a * ((b.cx - tr.cx) / dt - tr.vx)
            tr.vy += a * ((b.cy - tr.cy) / dt - tr.vy)
        tr.cx, tr.cy, tr.box, tr.last_t = b.cx, b.cy, b.box, t
        tr.hits += 1
        tr.beside_vehicle = tr.beside_vehicle or b.beside_vehicle
        tr.travelled = max(tr.travelled, math.hypot(b.cx - tr.origin[0], b.cy - tr.origin[1]))
        if not tr.displaced:
            tr.displaced = _clear_of(tr.first_box, b)
        if math.hypot(b.cx - tr.anchor[0], b.cy - tr.anchor[1]) > max(self.still_px, 0.25 * tr.size()):
            tr.anchor = (b.cx, b.cy)
            tr.still_since = t
            tr.still_box = b.box
        tr.history.append(_sample(b, t))
        while tr.history and tr.history[0].t < t - HISTORY_S:
            tr.history.popleft()
