"""Someone lost a moment ago, behind a car or merged into its blob, and the new track that
continues them (``DetectionPipeline._continue_people``): where they were last seen, where they
were heading, how large they usually were, and the person incident they had open."""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import takewhile

from firmware.pipeline.blobs import BBox
from firmware.pipeline.track_state import Incident, TrackState
from firmware.pipeline.tracker import Sample, Track

# a new track this soon after a person was lost nearby continues them, their evidence and their
# incident: about the time it takes to walk behind a parked car
CONTINUE_S = 5.0
HEADING_S = 2.0  # a lost person's heading is how their centre moved over their last this long


@dataclass(slots=True)
class LostPerson:
    """A person-like track as it was when last seen, for ``DetectionPipeline._continue_people``."""

    t: float
    cx: float
    cy: float
    vx: float
    vy: float
    hx: float  # their heading: the centre's velocity over the last HEADING_S they were seen
    hy: float
    size: float
    displaced: bool
    state: TrackState
    incident: str | None  # its person incident's id

    @classmethod
    def of(cls, tr: Track, st: TrackState) -> LostPerson:
        inc = st.incidents.get("object")
        incident = inc.id if inc is not None and inc.type == "person" else None
        recent = _recent(tr)
        hx, hy = _heading(recent, tr)
        return cls(tr.last_t, tr.cx, tr.cy, tr.vx, tr.vy, hx, hy, _usual_size(recent, tr), tr.displaced, st, incident)

    def distance(self, tr: Track, t: float) -> float:
        """From where this person would be now: walking on as they last moved, or anywhere
        between where they were last seen and where walking on at their heading takes them (as
        they walk behind a car, the part of them still in view lags, and their last velocity
        with it)."""
        dt = min(t - self.t, CONTINUE_S)
        ahead = math.hypot(tr.cx - (self.cx + self.vx * dt), tr.cy - (self.cy + self.vy * dt))
        return min(ahead, _to_segment(tr.cx, tr.cy, self.cx, self.cy, self.hx * dt, self.hy * dt))


@dataclass(slots=True)
class _Held:
    incident: Incident
    until: float
    bbox: BBox | None


class HeldIncidents:
    """Person incidents of dropped tracks, each held open until no new track can continue the
    person any more (``IncidentBook.pass_on`` takes one over; ``IncidentBook.lapse`` ends it)."""

    def __init__(self) -> None:
        self._held: dict[str, _Held] = {}

    def hold(self, incident: Incident, until: float, bbox: BBox | None) -> None:
        self._held[incident.id] = _Held(incident, until, bbox)

    def take(self, incident_id: str) -> Incident | None:
        held = self._held.pop(incident_id, None)
        return None if held is None else held.incident

    def lapse(self, t: float) -> list[tuple[Incident, BBox | None]]:
        """Release the incidents held until ``t`` or before, with their last boxes."""
        if not self._held:
            return []
        over = [h for h in self._held.values() if t >= h.until]
        for h in over:
            del self._held[h.incident.id]
        return [(h.incident, h.bbox) for h in over]

    def release_all(self) -> list[tuple[Incident, BBox | None]]:
        out = [(h.incident, h.bbox) for h in self._held.values()]
        self._held.clear()
        return out


def _recent(tr: Track) -> list[Sample]:
    """Its samples over the last HEADING_S it was seen, oldest first."""
    since = tr.last_t - HEADING_S
    return list(takewhile(lambda s: s.t >= since, reversed(tr.history)))[::-1]


def _heading(recent: list[Sample], tr: Track) -> tuple[float, float]:
    span = recent[-1].t - recent[0].t if recent else 0.0
    if span < 0.5 * HEADING_S:
        return tr.vx, tr.vy
    return (recent[-1].cx - recent[0].cx) / span, (recent[-1].cy - recent[0].cy) / span


def _usual_size(recent: list[Sample], tr: Track) -> float:
    """The larger side of its box, median over the last HEADING_S: the last glimpse of someone
    walking behind a car may be a pixel of their head."""
    sides = sorted(max(s.height, s.width) for s in recent)
    return float(sides[len(sides) // 2]) if sides else tr.size()


def _to_segment(x: float, y: float, x0: float, y0: float, dx: float, dy: float) -> float:
    """Distance from (x, y) to the segment from (x0, y0) to (x0 + dx, y0 + dy)."""
    length2 = dx * dx + dy * dy
    u = 0.0 if length2 == 0.0 else min(1.0, max(0.0, ((x - x0) * dx + (y - y0) * dy) / length2))
    return math.hypot(x - (x0 + u * dx), y - (y0 + u * dy))
