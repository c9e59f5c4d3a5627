"""Matching incident events to ground-truth labels.

The rule: an event ``start`` of type X (fire, person, vehicle) *matches* a label of type X when
the event's ``t`` lies in the label's interval widened by ``EARLY_S`` before its start and
``GRACE_S`` after its end (a label without an end lasts to the end of the recording). A label is
*detected* when at least one event matches it, or when an incident of its type that started
earlier is still open at the label's start (the unit is already reporting that object, e.g. a
person the simulator's labels split in two while they were half hidden); its time-to-detect is
the ``t`` of the first matching event minus the label's ``start``, 0 for an incident already
open. An event start of a labelled type that matches no
label of its type is a *false alarm*. Several events may match one label (a track split in two
is not a false alarm), and one event may match several overlapping labels (two people walking
together are one blob at 32×24). A label marked ``ignore`` (an object there but too small or
hidden to count) is never scored itself: an event matching it is no false alarm. Motion, tamper
and trouble are not labelled: they are counted, never scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from firmware.events import Event
from hw.recording import LabelEvent

SCORED_TYPES: tuple[str, ...] = ("fire", "person", "vehicle")
EARLY_S = 1.0
GRACE_S = 5.0


@dataclass(frozen=True, slots=True)
class LabelResult:
    type: str
    start: float
    end: float
    detected: bool
    time_to_detect: float | None


@dataclass(slots=True)
class RecordingResult:
    name: str
    duration_s: float
    labels: list[LabelResult] = field(default_factory=list)
    false_alarms: list[tuple[str, float]] = field(default_factory=list)  # (type, t)
    starts: list[tuple[str, float]] = field(default_factory=list)  # every event start (type, t)
    ends: list[tuple[str, float]] = field(default_factory=list)

    @property
    def nuisance_only(self) -> bool:
        return not self.labels

    def unscored_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for type_, _ in self.starts:
            if type_ not in SCORED_TYPES:
                out[type_] = out.get(type_, 0) + 1
        return out


def match(
    name: str,
    events: list[Event],
    labels: list[LabelEvent],
    duration_s: float,
    *,
    early_s: float = EARLY_S,
    grace_s: float = GRACE_S,
) -> RecordingResult:
    result = RecordingResult(name=name, duration_s=duration_s)
    starts = [e for e in events if e.phase == "start"]
    result.starts = [(e.type, e.t) for e in starts]
    result.ends = [(e.type, e.t) for e in events if e.phase == "end"]
    dont_care = [
        (lb.type, lb.start - early_s, (lb.end if lb.end is not None else duration_s) + grace_s)
        for lb in labels
        if lb.ignore
    ]
    labels = [lb for lb in labels if not lb.ignore]
    windows = [(lb, lb.start - early_s, (lb.end if lb.end is not None else duration_s) + grace_s) for lb in labels]
    first_hit: dict[int, float] = {}
    ended = {e.incident: e.t for e in events if e.phase == "end" and e.incident is not None}
    for e in starts:
        until = ended.get(e.incident, duration_s) if e.incident is not None else e.t
        for i, (lb, lo, _) in enumerate(windows):
            if lb.type == e.type and e.t < lo and until >= lb.start:
                first_hit[i] = min(first_hit.get(i, lb.start), lb.start)
    for e in starts:
        if e.type not in SCORED_TYPES:
            continue
        hit = False
        for i, (lb, lo, hi) in enumerate(windows):
            if lb.type == e.type and lo <= e.t <= hi:
                hit = True
                if i not in first_hit or e.t < first_hit[i]:
                    first_hit[i] = e.t
        if not hit and not any(type_ == e.type and lo <= e.t <= hi for type_, lo, hi in dont_care):
            result.false_alarms.append((e.type, e.t))
    for i, (lb, _, _) in enumerate(windows):
        end = lb.end if lb.end is not None else duration_s
        t_hit = first_hit.get(i)
        result.labels.append(
            LabelResult(lb.type, lb.start, end, t_hit is not None, None if t_hit is None else t_hit - lb.start)
        )
    return result
