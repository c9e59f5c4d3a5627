"""What the incident book knows of one track: its smoothed class probabilities, how long it has
looked like what, and the incidents it has open (see :mod:`~firmware.pipeline.incidents`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from firmware.events import EventType
from firmware.pipeline.classify import LABELS
from firmware.pipeline.fire import FireEvidence


@dataclass(slots=True)
class Incident:
    type: EventType
    id: str
    start_t: float
    zone: str | None


@dataclass(slots=True)
class TrackState:
    probs: np.ndarray = field(default_factory=lambda: np.full(4, 0.25))
    model: np.ndarray | None = None
    model_t: float = -math.inf
    label: str = "other"
    label_since: float = 0.0
    unclassed_s: float = 0.0  # time the smoothed probabilities have said "other", all told
    person_s: float = 0.0  # time they have said "person", all told
    uncut_t: float = 0.0  # last seen clear of the left and right edges, or classed as a vehicle
    last_t: float | None = None
    zone: str | None = None
    zone_since: float = 0.0
    incidents: dict[str, Incident] = field(default_factory=dict)  # "object" and "fire" slots
    fire: FireEvidence | None = None
    fire_since: float | None = None  # physics has said fire continuously since
    # smoothed person probability ≥ incidents.SURE_PERSON_PROB since (kept on while it stays ≥
    # SURE_PERSON_KEEP_PROB and the model reads a plain person: IncidentBook.observe)
    sure_person_since: float | None = None
    plain_person_since: float | None = None  # ≥ incidents.PLAIN_PERSON_PROB, with the model ≥ PLAIN_MODEL_PROB, since
    spot_marked: bool = False  # it has added its spot to the nuisance spots
    # its person_s when it took over a lost person's incident (IncidentBook.pass_on), if it did
    took_over_at_person_s: float | None = None

    def carry_on_from(self, lost: TrackState) -> None:
        """Take over what a lost person's track had learnt of how they look (see
        ``DetectionPipeline._continue_people``), and of what held it back: a new track of the same
        person goes on from it. (A sliver of something cut by the side of the view for a minute,
        reading as a person all along, comes back as a new sliver there: it is still cut.)"""
        self.probs = lost.probs.copy()
        self.model = None if lost.model is None else lost.model.copy()
        self.label, self.label_since = lost.label, lost.label_since
        self.person_s = lost.person_s
        self.unclassed_s = lost.unclassed_s
        self.uncut_t = min(self.uncut_t, lost.uncut_t)

    @property
    def person(self) -> float:
        """The smoothed person probability (physics and model together)."""
        return float(self.probs[LABELS.index("person")])

    @property
    def model_person(self) -> float:
        """The model's own person probability (0 before it has run on the track, or without a model)."""
        return float(self.model[LABELS.index("person")]) if self.model is not None else 0.0

    @property
    def open(self) -> bool:
        return bool(self.incidents)

    @property
    def reported_object(self) -> bool:
        """Reported as a person or a vehicle: such an incident keeps its type for the life of the
        track (a vehicle that walked off ends only to start the person in the same frame)."""
        reported = self.incidents.get("object")
        return reported is not None and reported.type != "motion"

    @property
    def is_vehicle(self) -> bool:
        """Classed as a vehicle now, or reported as one (a small car far off can look person-sized)."""
        reported = self.incidents.get("object")
        return self.label == "vehicle" or (reported is not None and reported.type == "vehicle")
