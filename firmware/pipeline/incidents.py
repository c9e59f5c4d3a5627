"""Tracks → incidents: one ``start`` event when confirmed, one ``end`` event when over.

Rules, per track:

* **person / vehicle**: the smoothed class probability has been highest for that class for
  ``person_confirm_s`` / ``vehicle_confirm_s``, and the track has moved clear of the spot where
  it appeared (people and cars come into view; a hood warming up or a grill does not walk). A
  person whose look is plain to physics (p ≥ 0.8) and to the model on its own (≥ 0.9) is
  confirmed in 0.4 of that time: someone glimpsed between parked cars, or, without moving clear,
  someone showing beside a parked car they walk round before its blob takes them in again. A
  person may also be someone who came out of a parked car and walked a few steps, who stepped in
  at the frame's edge and waits just inside it, or on it when the model on its own reads them as
  a person, or who stands in full view where they appeared, plainly a person for four times as
  long, or someone far off, near the top of the view, who has walked a quarter of its width
  (physics reads them as the speck a cat makes), or someone the model on its own is sure of
  who has walked as far at a person's height, however broken up by rain their blob and their
  look to physics (see :mod:`~firmware.pipeline.crossing`). A
  person classed so in spells, each shorter than ``person_confirm_s``, is confirmed once the
  spells add up to 1.5 times it (someone far off or half hidden, whose look hovers near the
  line). A person needs p ≥ 0.55, or ≥ 0.75 for a speck of a few pixels (as cats are; not at
  the top edge, too far off for a cat, when the model gives a person ≥ 0.3) and ≥ 0.8
  after long unclassified (a parked car's piece while the background learns it), and is never a
  blob cut by the left or right edge for more than 4 s (a car parked half out of view) unless they
  wait there, as above. Nor is it a track the model on its own reads as a vehicle (≥ 0.4) and
  hardly as a person (< 0.2): the person-sized front of a car coming in, or its engine on
  frozen ground, fools physics alone.
  Where tracks keep coming to nothing (:mod:`~firmware.pipeline.nuisance`: the end of a parked
  row in the rain, far parked cars after a scene change), a person must look plainly like one
  (p ≥ 0.8, with the model ≥ 0.9). A track that was long unclassified and has stood still for
  10 s (a parked car's piece whose look has settled near a person's) must also have the model on
  its own beyond doubt (≥ 0.95), and is no vehicle either (a parked car's outline found again in
  the rain: none came).
  With zones configured, only tracks whose feet are in an armed zone count, and a person must
  have stayed in that zone for its ``loiter_s``.
* **motion**: a track of gray (picamera2) frames, or a thermal track that stays unclassified
  ("other"), that lasted ``motion_confirm_s`` and moved. A motion incident becomes a person or
  vehicle incident when the track is later classified; a person or vehicle incident keeps its
  type for the life of its track (no flip-flopping between the two on an ambiguous blob).
* **fire**: :class:`~firmware.pipeline.fire.FireEvidence` says fire. Fire ignores zones and
  arming (masks still apply) and is kept as its own incident beside a vehicle incident.

Every incident ends at the frame its track is dropped (gone longer than ``track_gap_s``, or
absorbed into the background), or when the pipeline finishes, with one exception: a person
stays one incident while a new track continues them (:meth:`DetectionPipeline._continue_people`:
their blob merged into a car's and came out again, or they were hidden behind it for a moment).
Their incident passes to that track; when their track is dropped before one has, it is held open
until no new track can continue them any more, and only then ends.
"""

from __future__ import annotations

import math

import numpy as np

from firmware.config.detection import DetectionSection
from firmware.events import Event, EventType, uuid7
from firmware.pipeline.blobs import BBox, clear_of_sides, cut_by_top_only, normalised_box, on_edge
from firmware.pipeline.classify import LABELS
from firmware.pipeline.continuation import HeldIncidents
from firmware.pipeline.crossing import crossing_the_lot, walking_across_the_model_sure
from firmware.pipeline.fire import MODEL_OVERRULED_S
from firmware.pipeline.nuisance import NuisanceSpots
from firmware.pipeline.track_state import Incident, TrackState
from firmware.pipeline.tracker import Track
from firmware.pipeline.zones import Zone

PROB_SMOOTH_S = 0.5
MIN_CLASS_PROB = 0.55  # the class must be more likely than all the others together, with a margin
WALKED_OFF_PROB = 0.7
SURE_PERSON_PROB = 0.9  # plainly a person: someone who stepped into view may stay near the edge
# once sure, a person stays so while their probability stays above this and the model on its own
# reads them plainly (PLAIN_MODEL_PROB): someone standing still half in view reads 0.88–0.93 frame
# by frame, and would start the count afresh at every dip
SURE_PERSON_KEEP_PROB = 0.85
# a clear person look to physics and to the model alike confirms in this share of person_confirm_s
# (1 s of the default 2.5 s): someone glimpsed between parked cars is gone again within seconds
PLAIN_PERSON_PROB = 0.8
PLAIN_MODEL_PROB = 0.9
PLAIN_CONFIRM_SHARE = 0.4
# the model's own person probability for someone who waits on the edge they came in at: at the
# top (far off, a car's piece there reads otherwise), and at a side (a car's sliver or a smoke
# plume cut by the side can read as a person, so there only a model beyond doubt counts)
FAR_WAITER_MODEL_PROB = 0.8
SIDE_WAITER_MODEL_PROB = 0.95
SIDE_WAITER_MIN_WIDTH = 1 / 16  # of the frame's width (2 px at 32): a one-column sliver is too little to tell
# someone who has stepped in from a side edge (their centre this far from where they appeared)
# needs only a plain person look for the confirmation time: 14–22 m off, physics reads them at
# 0.8–0.9; the end of a car parked half out of view reads so too, but has not moved
STEPPED_IN_PX = 1.5
# a real object is seen in most frames; chains of noise pixels are not (someone walking in the
# rain may be seen in fewer: crossing.walking_across_the_model_sure)
MIN_SEEN_SHARE = 0.7
# a track that has been unclassified ("other") this long, all told, has shown what it is: only a
# clear person look (people read 0.85–0.95) turns it into one, not a drift over MIN_CLASS_PROB
LONG_UNCLASSED_S = 3.0
PERSON_PROB_AFTER_UNCLASSED = 0.75
# after LONG_UNCLASSED_S, 0.75 is not enough either: a piece of a parked car (its roof or bumper,
# tracked while the background learns the car) settles at 0.75–0.77
PERSON_PROB_AFTER_LONG_UNCLASSED = 0.8
# a track that has been unclassified for LONG_UNCLASSED_S in all and has stood still this long is
# scenery (a parked car's roof, a far parked car in the rain, its look settling near a person's
# or a vehicle's): no vehicle, and a person only when physics reads a plain one and the model on
# its own one beyond doubt (SIDE_WAITER_MODEL_PROB: a parked car's roof on a cold night reads
# 0.91 to it). Someone standing still was classed from the start (90 % of the true person starts
# had been unclassified ≤ 1 s, 95 % had stood still ≤ 10 s)
STILL_SCENERY_S = 10.0
# a blob cut by the left or right edge of the view this long is the sliver of a car parked half
# out of view (or its footprint), whose cut shape passes for a person's; someone walking in or out
# is cut for a second or two
SIDE_CUT_S = 4.0
SPECK_PX = 4  # a blob of at most this many pixels, median over the track's recent history
# a speck cut by the top of the view only is someone 20 m or more off (a cat there is under a
# pixel): it needs no clear person look when the model on its own gives a person this much; a
# speck there that the model reads as something else (0.06 in a nuisance hour) still does
FAR_SPECK_MODEL_PROB = 0.3
# the model on its own reads a vehicle (≥ this) and hardly a person (< VEHICLE_VETO_PERSON_PROB):
# physics was shown a person-sized part of a car (its front coming in at the edge, a warm hood
# far off, an engine on frozen ground), which it cannot tell from someone
VEHICLE_VETO_PROB = 0.4
VEHICLE_VETO_PERSON_PROB = 0.2
# someone who stands where they first appeared (over a parked car's roof, behind a pillar) is a
# person once physics (≥ PERSON_PROB_AFTER_UNCLASSED) and the model (≥ PLAIN_MODEL_PROB) have
# said so for this many person_confirm_s (10 s of the default 2.5 s): a warm car part the model
# also takes for someone reads so for seconds, not for that long with physics agreeing
STANDING_CONFIRMS = 4.0
# someone far off or half hidden whose look hovers near MIN_CLASS_PROB is classed a person in
# spells, each shorter than the confirmation time; spells adding up to this many person_confirm_s
# (3.75 s of the default 2.5 s) confirm too. Every other person test still holds at that moment
PERSON_SPELLS_CONFIRM = 1.5


def _walked(track: Track) -> bool:
    """Its centre has travelled half its size (at least 2 px) from where it appeared.

    A driver steps out beside the parked car, walks round it and back: a small first blob that
    grew and moved a few pixels, never clear of where it started. Heat that stays (a hood, a
    grill) grows in place, and its centre stays put."""
    return track.travelled >= max(2.0, 0.5 * track.size())


def _speck(track: Track) -> bool:
    """Its blob has mostly been a few pixels: a cat on warm ground reads as one as easily as a
    person far off, so only a clear person look counts."""
    areas = sorted(s.area for s in track.history)
    return areas[len(areas) // 2] <= SPECK_PX


def _model_sees_a_vehicle(st: TrackState) -> bool:
    """The model on its own reads a car where physics reads a person (see VEHICLE_VETO_PROB)."""
    if st.model is None:
        return False
    return st.model[LABELS.index("vehicle")] >= VEHICLE_VETO_PROB and st.model_person < VEHICLE_VETO_PERSON_PROB


def _plain_look(st: TrackState, model_prob: float = PLAIN_MODEL_PROB) -> bool:
    """Plainly a person to physics, and to the model on its own (≥ ``model_prob``) when there is one."""
    return st.person >= PLAIN_PERSON_PROB and (st.model is None or st.model_person >= model_prob)


def _still_scenery(track: Track, st: TrackState, t: float) -> bool:
    """Long unclassified, and still for long: what now looks like a person or a vehicle was there
    all along as scenery, not someone or something that came."""
    return st.unclassed_s >= LONG_UNCLASSED_S and track.still_for(t) >= STILL_SCENERY_S


def normalised_bbox(track: Track, shape: tuple[int, int]) -> BBox:
    return normalised_box(track.box, shape)


class IncidentBook:
    def __init__(self, config: DetectionSection, *, zones_configured: bool) -> None:
        self.config = config
        self.zones_configured = zones_configured
        self.states: dict[int, TrackState] = {}
        self.spots: NuisanceSpots | None = None  # set by the pipeline once it knows the frame's shape
        self.held = HeldIncidents()  # person incidents of dropped tracks

    def state(self, track: Track) -> TrackState:
        st = self.states.get(track.id)
        if st is None:
            first = track.first_t
            st = self.states[track.id] = TrackState(label_since=first, zone_since=first, uncut_t=first)
        return st

    def observe(self, track: Track, probs: np.ndarray, t: float) -> TrackState:
        """Fold this frame's class probabilities into the track's smoothed ones."""
        st = self.state(track)
        dt = t - st.last_t if st.last_t is not None else PROB_SMOOTH_S
        if st.last_t is not None:
            if st.label == "other":
                st.unclassed_s += max(dt, 0.0)
            elif st.label == "person":
                st.person_s += max(dt, 0.0)
        a = 1.0 - math.exp(-max(dt, 0.0) / PROB_SMOOTH_S)
        st.probs += a * (probs - st.probs)
        st.last_t = t
        kept = st.sure_person_since is not None and st.model_person >= PLAIN_MODEL_PROB
        if st.person < (SURE_PERSON_KEEP_PROB if kept else SURE_PERSON_PROB):
            st.sure_person_since = None
        elif st.sure_person_since is None:
            st.sure_person_since = t
        if st.person < PLAIN_PERSON_PROB or st.model_person < PLAIN_MODEL_PROB:
            st.plain_person_since = None
        elif st.plain_person_since is None:
            st.plain_person_since = t
        if st.unclassed_s >= LONG_UNCLASSED_S and not st.spot_marked and not st.reported_object:
            st.spot_marked = True  # a piece of the scene, not yet anything: remember where
            if self.spots is not None:
                self.spots.add(track.box, t)
        label = LABELS[int(np.argmax(st.probs))]
        if label != st.label:
            st.label, st.label_since = label, t
        return st

    def decide(
        self,
        track: Track,
        zone: Zone | None,
        t: float,
        shape: tuple[int, int],
        *,
        thermal: bool,
        hold: bool = False,
    ) -> list[Event]:
        """Start or end this track's incidents; ``hold`` defers new object incidents (not fire)
        while the whole scene is changing."""
        st = self.state(track)
        zone_name = zone.name if zone is not None else None
        if zone_name != st.zone:
            st.zone, st.zone_since = zone_name, t
        events: list[Event] = []
        bbox = normalised_bbox(track, shape)
        if clear_of_sides(track.box, shape) or st.label == "vehicle":
            st.uncut_t = t
        if self._fire_confirmed(st, t) and "fire" not in st.incidents:
            events.append(self._start(st, "fire", "fire", t, st.fire.score, None, bbox, st.fire.as_detail()))
        watched = zone is not None and zone.armed if self.zones_configured else True
        if not watched or hold:
            return events
        wanted = self._object_type(track, st, zone, t, thermal, shape)
        current = st.incidents.get("object")
        if current is not None and current.type == "vehicle" and wanted == "person" and self._walked_off(track, st, t):
            events.append(self._end(st.incidents.pop("object"), t, bbox))
            current = None
        if current is not None and current.type == "person" and wanted == "vehicle" and self._came_out_a_car(st):
            events.append(self._end(st.incidents.pop("object"), t, bbox))
            current = None
        if wanted is None or (current is not None and current.type != "motion"):
            return events  # a person or vehicle incident keeps its type until its track is gone
        if current is not None and wanted == "motion":
            return events
        if current is not None:  # motion that turned out to be a person or vehicle
            events.append(self._end(st.incidents.pop("object"), t, bbox))
        conf = float(st.probs[LABELS.index(wanted)]) if wanted != "motion" else 1.0 - float(st.probs.max()) + 0.25
        events.append(self._start(st, "object", wanted, t, conf, zone_name, bbox, {"track": track.id}))
        return events

    def _came_out_a_car(self, st: TrackState) -> bool:
        """The track that took over a person's incident is a car (one driving off where they got
        in), not the person: it has not read as a person on its own for the confirmation time
        since. Someone whose blob merges with a barbecue or a car they stand by can read as a
        vehicle after a minute of reading as a person; they are still that person."""
        since = st.took_over_at_person_s
        return since is not None and st.person_s - since < self.config.person_confirm_s

    @staticmethod
    def _walked_off(track: Track, st: TrackState, t: float) -> bool:
        """A vehicle's track that has become, beyond doubt, someone walking: the driver stepped out
        next to the car and the tracker followed them, not the car (the car gets a new track)."""
        return st.person >= WALKED_OFF_PROB and track.still_for(t) < 1.0

    def _person_without_leaving(
        self, track: Track, st: TrackState, t: float, shape: tuple[int, int], *, out_of_vehicle: bool
    ) -> bool:
        """Someone who never moved clear of where they first appeared: a driver who came out of a
        parked car and walked a few steps, someone showing beside a parked car plainly a person
        (``out_of_vehicle``, :meth:`_plainly_out_of_a_vehicle`), or someone who stepped into view
        at the frame's edge and waits there, plainly a person, just inside it or still on it."""
        if out_of_vehicle or (track.beside_vehicle and _walked(track)):
            return True
        if self._stands_where_they_appeared(track, st, t, shape):
            return True
        return self._waits_on_edge(track, st, t, shape, stepped_off=not on_edge(track.box, shape))

    def _plain_for_long_enough(self, st: TrackState, t: float) -> bool:
        """Plainly a person to physics and to the model on its own for PLAIN_CONFIRM_SHARE of the
        confirmation time."""
        since = st.plain_person_since
        return since is not None and t - since >= PLAIN_CONFIRM_SHARE * self.config.person_confirm_s

    def _plainly_out_of_a_vehicle(self, track: Track, st: TrackState, t: float, shape: tuple[int, int]) -> bool:
        """A piece cut from a parked car's blob, plainly a person for long enough, more than a
        speck and clear of the frame's edges: someone walking round the car shows for a second or
        two, often without moving clear of where they came out, before the car's blob takes them
        in again. Cut by an edge, the piece is as likely the car's own end (a car passing by it
        cuts it off)."""
        return (
            track.beside_vehicle
            and self._plain_for_long_enough(st, t)
            and not on_edge(track.box, shape)
            and not _speck(track)
        )

    def _stands_where_they_appeared(self, track: Track, st: TrackState, t: float, shape: tuple[int, int]) -> bool:
        """Someone who came into view where they stand: over a parked car's roof, from behind a
        pillar. In full view, a clear person to physics and to the model on its own for
        STANDING_CONFIRMS × the confirmation time, never long unclassified and no speck. A car's
        part heating up before it burns can fool the model for that long, not physics (p ≈ 0.55);
        a wet car in the rain can fool both only just (p ≈ 0.7, model 0.88)."""
        return (
            st.label == "person"
            and t - st.label_since >= STANDING_CONFIRMS * self.config.person_confirm_s
            and st.person >= PERSON_PROB_AFTER_UNCLASSED
            and st.model_person >= PLAIN_MODEL_PROB
            and st.unclassed_s < LONG_UNCLASSED_S
            and not on_edge(track.box, shape)
            and not _speck(track)
        )

    def _waits_on_edge(
        self, track: Track, st: TrackState, t: float, shape: tuple[int, int], *, stepped_off: bool = False
    ) -> bool:
        """Came into view at the frame's edge and has been plainly a person for the confirmation
        time. A parked car cut by the edge can look like a person too, but stays on it; so may
        someone waiting there, half in view. They are told apart by the model, which on its own
        reads them as a person (a car's piece does not: 0.8 at the top, where someone far off
        stands cut by it; 0.95 at a side), and at a side by a person's look from the start (never
        long unclassified: a car's sliver or a smoke plume cut by the side is, for a while, first)
        shown over at least two columns (a one-column sliver is too little to tell).
        ``stepped_off``: they have since stepped off the edge, which needs no more. Someone who
        came in at a side and has moved in (STEPPED_IN_PX) counts from a plain person look
        (PLAIN_PERSON_PROB, with the model's PLAIN_MODEL_PROB), not only from a sure one."""
        since = st.sure_person_since
        far = track.first_box[1] == 0 and cut_by_top_only(track.box, shape)
        plain = st.plain_person_since
        if not far and plain is not None and track.travelled >= STEPPED_IN_PX:
            since = plain if since is None else min(since, plain)
        if since is None or t - since < self.config.person_confirm_s or not on_edge(track.first_box, shape):
            return False
        if stepped_off:
            return True
        if far:
            return st.model_person >= FAR_WAITER_MODEL_PROB
        wide_enough = track.box[2] - track.box[0] >= SIDE_WAITER_MIN_WIDTH * shape[1]
        return wide_enough and st.model_person >= SIDE_WAITER_MODEL_PROB and st.unclassed_s < LONG_UNCLASSED_S

    @staticmethod
    def _clear_person(track: Track, st: TrackState, shape: tuple[int, int]) -> bool:
        """Person likely enough to report: p ≥ 0.55, or ≥ 0.75 for a speck and ≥ 0.8 after long
        unclassified. A track long unclassified that drifts just over the line is a ghost or a
        fragment whose look is changing (a cooling footprint, a parked car's edge, a small animal
        on warm ground), not someone who has stepped clear of a blob: they read as a person
        beyond doubt. Not so for a blob cut by the top of the view only: far off, only part of
        someone shows there, and they may stay unclassified until enough of them does (a blob in
        a top corner is as likely the piece of a car half out of view). A speck of a few pixels
        is doubtful too: a cat on warm ground makes one as easily as a far person, except at the
        top of the view, too far off for a cat to make one (see FAR_SPECK_MODEL_PROB)."""
        p = st.person
        far = cut_by_top_only(track.box, shape)
        if st.unclassed_s >= LONG_UNCLASSED_S and not far:
            return p >= PERSON_PROB_AFTER_LONG_UNCLASSED
        if p >= PERSON_PROB_AFTER_UNCLASSED:
            return True
        far_person = far and st.model_person >= FAR_SPECK_MODEL_PROB
        return p >= MIN_CLASS_PROB and (not _speck(track) or far_person)

    def dropping(self, track: Track, t: float) -> None:
        """The track is about to be dropped. If it marked its spot as a piece of the scene and
        was never reported since, mark where it ended too: pieces drift along a parked row."""
        st = self.states.get(track.id)
        if st is not None and st.spot_marked and not st.reported_object and self.spots is not None:
            self.spots.add(track.box, t)

    def _at_a_nuisance_spot(self, track: Track, t: float) -> bool:
        return self.spots is not None and self.spots.busy(track.box, t)

    @staticmethod
    def _fire_confirmed(st: TrackState, t: float) -> bool:
        """Physics says fire and the model does not object, or physics has said so long enough
        to overrule it: a missed fire costs more than a late one."""
        if st.fire is None or not st.fire.physics_says_fire:
            st.fire_since = None
            return False
        if st.fire_since is None:
            st.fire_since = t
        return not st.fire.model_objects or t - st.fire_since >= MODEL_OVERRULED_S

    def _object_type(
        self, track: Track, st: TrackState, zone: Zone | None, t: float, thermal: bool, shape: tuple[int, int]
    ) -> EventType | None:
        cfg = self.config
        held = t - st.label_since
        walker = thermal and walking_across_the_model_sure(track, st, shape)
        if track.seen_share < MIN_SEEN_SHARE and not walker:
            return None
        undisplaced_person = not track.displaced and st.label == "person"
        out_of_vehicle = undisplaced_person and self._plainly_out_of_a_vehicle(track, st, t, shape)
        if not (
            track.displaced
            or (undisplaced_person and self._person_without_leaving(track, st, t, shape, out_of_vehicle=out_of_vehicle))
        ):
            return None
        if not thermal:
            moved = track.travelled >= 1.0
            return "motion" if track.age >= cfg.motion_confirm_s and moved and track.hits >= 3 else None
        sure = float(st.probs.max()) >= MIN_CLASS_PROB
        cut_long = t - st.uncut_t > SIDE_CUT_S and not self._waits_on_edge(track, st, t, shape)
        crossing = walker or crossing_the_lot(track, st, shape)
        person = (
            (crossing or (st.label == "person" and self._clear_person(track, st, shape)))
            and not cut_long
            and not _model_sees_a_vehicle(st)
            and (_plain_look(st) or not self._at_a_nuisance_spot(track, t))
            and (_plain_look(st, SIDE_WAITER_MODEL_PROB) or not _still_scenery(track, st, t))
        )
        plain = self._plain_for_long_enough(st, t) and (track.displaced or _walked(track) or out_of_vehicle)
        in_spells = st.person_s >= PERSON_SPELLS_CONFIRM * cfg.person_confirm_s
        if person and (held >= cfg.person_confirm_s or plain or in_spells or crossing) and track.hits >= 3:
            loiter = zone.loiter_s if zone is not None else 0.0
            if t - st.zone_since >= loiter:
                return "person"
            return None
        if st.label == "vehicle" and sure and held >= cfg.vehicle_confirm_s and track.hits >= 3:
            return None if _still_scenery(track, st, t) else "vehicle"
        moved = track.travelled >= max(2.0, 0.5 * track.size())
        if st.label == "other" and track.age >= cfg.motion_confirm_s and track.hits >= 4 and moved:
            return "motion"
        return None

    def close(
        self, track_id: int, t: float, bbox: BBox | None, *, hold_person_until: float | None = None
    ) -> list[Event]:
        """End the track's incidents; its person incident is held instead while ``t`` is before
        ``hold_person_until``, for a new track of the same person to take over (:meth:`pass_on`)."""
        st = self.states.pop(track_id, None)
        if st is None:
            return []
        person = st.incidents.get("object")
        if person is not None and person.type == "person" and hold_person_until is not None and t < hold_person_until:
            del st.incidents["object"]
            self.held.hold(person, hold_person_until, bbox)
        return [self._end(st.incidents.pop(slot), t, bbox) for slot in list(st.incidents)]

    def pass_on(self, incident_id: str, previous: TrackState, track: Track) -> bool:
        """``track`` continues a person whose incident this is: it takes the incident over from
        their track, coasting unseen, or from :attr:`held` when that was dropped. One person,
        one incident; but should the track turn out to be a car (one driving off where they got
        in), the person incident ends and the car's starts (:meth:`_came_out_a_car`)."""
        st = self.state(track)
        if st.incidents.get("object") is not None:
            return False
        held = self.held.take(incident_id)
        if held is not None:
            st.incidents["object"] = held
        elif (inc := previous.incidents.get("object")) is not None and inc.id == incident_id:
            st.incidents["object"] = previous.incidents.pop("object")
        else:
            return False
        st.took_over_at_person_s = st.person_s
        return True

    def lapse(self, t: float) -> list[Event]:
        """End the held person incidents no new track can take over any more."""
        return [self._end(inc, t, bbox) for inc, bbox in self.held.lapse(t)]

    def close_all(self, t: float) -> list[Event]:
        events: list[Event] = []
        for track_id in list(self.states):
            events.extend(self.close(track_id, t, None))
        events.extend(self._end(inc, t, bbox) for inc, bbox in self.held.release_all())
        return events

    def _start(
        self,
        st: TrackState,
        slot: str,
        type_: EventType,
        t: float,
        confidence: float,
        zone: str | None,
        bbox: BBox,
        detail: dict[str, object],
    ) -> Event:
        inc = Incident(type_, uuid7(), t, zone)
        st.incidents[slot] = inc
        conf = round(min(1.0, max(0.0, confidence)), 3)
        return Event(type_, "start", t, confidence=conf, zone=zone, bbox=bbox, incident=inc.id, detail=detail)

    @staticmethod
    def _end(inc: Incident, t: float, bbox: BBox | None) -> Event:
        return Event(
            inc.type,
            "end",
            t,
            zone=inc.zone,
            bbox=bbox,
            incident=inc.id,
            detail={"duration_s": round(t - inc.start_t, 3)},
        )
