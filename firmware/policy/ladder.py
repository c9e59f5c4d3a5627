"""The escalation ladder for people (and vehicles, when configured) in armed zones.

Per incident: the ladder starts at the incident's start event, which the pipeline emits only
once the person has stayed in an armed zone for the zone's ``loiter_s``. Step ``i``
is due at ``ladder_start + after_s``; it only starts while the person is still there, and holds
until ``after_s + duration_s`` or until ``hold_s`` after the person left, whichever is first.

Flapping is absorbed twice: a new start in a zone whose previous incident is still in its hold
time continues that ladder where it was; once a ladder's outputs are released, new incidents in
that zone are suppressed for ``cooldown_s``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from firmware.config.deterrence import VOICE, LadderStep

ANY_ZONE = "*"


@dataclass(slots=True)
class Incident:
    id: str
    kind: str
    zone: str
    start: float
    ladder_start: float
    end: float | None = None
    voiced: set[int] = field(default_factory=set)
    suppressed: str | None = None

    def present_at(self, t: float) -> bool:
        return self.end is None or t < self.end

    def released_at(self, hold_s: float) -> float:
        return math.inf if self.end is None else self.end + hold_s

    @property
    def escalated(self) -> bool:
        """Whether the ladder ran (it was not suppressed and the person was there when it began)."""
        return self.present_at(self.ladder_start) and self.suppressed is None


@dataclass(frozen=True, slots=True)
class StepWant:
    output: str
    state: str
    reason: str
    sound: bool


class Ladder:
    def __init__(self, steps: list[LadderStep], *, hold_s: float, cooldown_s: float) -> None:
        self.steps = steps
        self.hold_s = hold_s
        self.cooldown_s = cooldown_s
        self.incidents: dict[str, Incident] = {}
        self._cooldown_until: dict[str, float] = {}
        self.suppressed_by_cooldown = 0

    def start(self, incident_id: str, kind: str, zone: str | None, t: float) -> Incident:
        if incident_id in self.incidents:  # a repeated start (a resent event) changes nothing
            return self.incidents[incident_id]
        key = zone or ANY_ZONE
        held = [i for i in self.incidents.values() if i.zone == key and i.end is not None and i.escalated]
        held = [i for i in held if t < i.released_at(self.hold_s)]
        incident = Incident(incident_id, kind, key, t, t)
        if held:
            previous = min(held, key=lambda i: i.ladder_start)
            incident.ladder_start = previous.ladder_start
            incident.voiced = set(previous.voiced)
            for old in held:
                del self.incidents[old.id]
        elif t < self._cooldown_until.get(key, -math.inf):
            incident.suppressed = f"cooldown in zone {key} until t={self._cooldown_until[key]:.1f}"
            self.suppressed_by_cooldown += 1
        self.incidents[incident_id] = incident
        return incident

    def end(self, incident_id: str, t: float) -> Incident | None:
        incident = self.incidents.get(incident_id)
        if incident is not None and incident.end is None:
            incident.end = t
        return incident

    def silence(self, reason: str) -> None:
        for incident in self.incidents.values():
            incident.suppressed = incident.suppressed or reason

    def expire(self, now: float) -> None:
        """Forget incidents whose outputs are released; start their zone's cooldown."""
        for incident in list(self.incidents.values()):
            released = incident.released_at(self.hold_s)
            if now >= released:
                if incident.escalated:
                    self._cooldown_until[incident.zone] = released + self.cooldown_s
                del self.incidents[incident.id]

    def _step_window(self, incident: Incident, step: LadderStep) -> tuple[float, float]:
        begin = incident.ladder_start + step.after_s
        end = begin + step.duration_s if step.duration_s is not None else math.inf
        return begin, min(end, incident.released_at(self.hold_s))

    def wants(self, now: float) -> list[StepWant]:
        out: list[StepWant] = []
        for incident in self.incidents.values():
            if incident.suppressed is not None:
                continue
            for i, step in enumerate(self.steps):
                if step.output == VOICE:
                    continue
                begin, end = self._step_window(incident, step)
                if begin <= now < end and incident.present_at(begin):
                    reason = f"{incident.kind} in zone {incident.zone} for {now - incident.start:.0f} s: step {i + 1}"
                    out.append(StepWant(step.output, step.output_state, reason, step.output == "siren"))
        return out

    def voice_due(self, now: float) -> list[tuple[Incident, int]]:
        due: list[tuple[Incident, int]] = []
        for incident in self.incidents.values():
            if incident.suppressed is not None:
                continue
            for i, step in enumerate(self.steps):
                if step.output != VOICE or i in incident.voiced:
                    continue
                begin = incident.ladder_start + step.after_s
                if begin <= now and incident.present_at(begin):
                    due.append((incident, i))
        return due
