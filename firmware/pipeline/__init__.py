"""The detection pipeline: thermal (or gray) frames → incident events.

Per frame: validate → background compare (after drift) → tamper check → blobs → tracker →
classification (physics × model) and fire evidence → incident rules, and beside them people in
front of parked cars (:mod:`~firmware.pipeline.in_front`) → background learning everywhere
except under live tracks. ``build_pipeline(config)`` is what the daemon, ``replay``
and ``eval`` run.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from firmware.config.detection import DetectionSection
from firmware.events import Event, EventType, uuid7
from firmware.pipeline.background import Background, median
from firmware.pipeline.blobs import Blob, Box, Settled, box_mask, find_blobs_cut
from firmware.pipeline.classify import LABELS, PersonScale, combine, physics_likelihoods
from firmware.pipeline.continuation import CONTINUE_S, LostPerson
from firmware.pipeline.fire import fire_evidence
from firmware.pipeline.in_front import InFrontOfParkedCars
from firmware.pipeline.incidents import IncidentBook, normalised_bbox
from firmware.pipeline.nuisance import NuisanceSpots
from firmware.pipeline.track_state import TrackState
from firmware.pipeline.tracker import Track, Tracker
from firmware.pipeline.zones import ZoneMap
from hw.frame import ThermalFrame

if TYPE_CHECKING:
    from firmware.config import UnitConfig
    from firmware.pipeline.model import Classifier

log = logging.getLogger(__name__)

MODEL_FIRST_HITS = 3  # run the model once a new track has been seen this many times
MODEL_EVERY_S = 1.0  # then at most this often while it is unconfirmed, or may be catching fire
MODEL_EVERY_CONFIRMED_S = 5.0
ABSORB_STILL_S = 120.0  # a still vehicle or unclassified object becomes scenery
ABSORB_PERSON_S = 1800.0  # a person is never swallowed before half an hour of standing still
MAX_BAD_PIXEL_SHARE = 0.25
HOT_DELTA_C = 15.0
CLUTTER_BLOBS = 10  # this many blobs at once: the scene itself is changing (rain setting in, ...)
CLUTTER_SHARE = 0.2
# but one solid blob (filling half its box or more) of up to 0.3 of the view may be a car coming in
ONE_OBJECT_MAX_SHARE = 0.3
ONE_OBJECT_MIN_FILL = 0.5
CLUTTER_HOLD_S = 15.0  # no new person/vehicle/motion incident until the scene has been calm this long
CLUTTER_TAU_S = 8.0  # and the background catches up this fast meanwhile
KNOWN_AFTER_S = 2.0  # a track this old, seen in this share of frames, is known: not scene change
KNOWN_SEEN_SHARE = 0.9
SETTLED_S = 2.0  # a vehicle still this long has a box that a driver's pixels are cut away from
CLASSIFY_EVERY_S = 0.25  # class evidence changes slowly; the probabilities are smoothed over 0.5 s


@dataclass(slots=True)
class PipelineStats:
    """Counters for telemetry: they only grow."""

    frames: int = 0
    frames_rejected: int = 0
    bad_pixels: int = 0
    model_runs: int = 0
    model_errors: int = 0
    errors_by_reason: dict[str, int] = field(default_factory=dict)

    def reject(self, reason: str) -> None:
        self.frames_rejected += 1
        self.errors_by_reason[reason] = self.errors_by_reason.get(reason, 0) + 1


class DetectionPipeline:
    def __init__(
        self,
        config: DetectionSection,
        classifier: Classifier | None = None,
        *,
        model_problem: str | None = None,
    ) -> None:
        self.config = config
        self.classifier = classifier
        self.model_problem = model_problem
        self.stats = PipelineStats()
        self.zones = ZoneMap(config.zones)
        self.scale = PersonScale(config.person_height_top, config.person_height_bottom)
        self.tracker = Tracker(gap_s=config.track_gap_s)
        self.book = IncidentBook(config, zones_configured=self.zones.has_zones)
        self._backgrounds: dict[str, Background] = {}
        self._kind: str | None = None
        self._shape: tuple[int, int] | None = None
        self._frozen = np.zeros((1, 1), dtype=bool)
        self._tamper_since: float | None = None
        self._calm_from = -math.inf
        self._open: dict[str, tuple[EventType, str, float]] = {}  # tamper / trouble incidents
        self._announced_model = False
        self._lost: list[LostPerson] = []
        self._in_front: InFrontOfParkedCars | None = None  # made for the frame's shape

    # -- the Pipeline protocol -------------------------------------------------------------

    def process(self, frame: ThermalFrame) -> list[Event]:
        t = frame.timestamp
        events: list[Event] = []
        if not self._announced_model:
            self._announced_model = True
            if self.model_problem is not None:
                events.append(self._open_global("model", "trouble", t, {"reason": self.model_problem}))
        self.stats.frames += 1
        pixels = self._validated(frame, events)
        if pixels is None:
            return events
        if frame.kind != self._kind or pixels.shape != self._shape:
            events.extend(self._restart(frame.kind, pixels.shape, t))
        bg = self._background(frame.kind)
        frame = ThermalFrame(pixels, t, frame.seq, frame.ambient, frame.kind) if pixels is not frame.pixels else frame
        zmap = self.zones.for_shape(pixels.shape)
        residual, fg, _ = bg.compare(frame, zmap.watched)
        if not bg.warm:
            bg.learn(t, None)
            return events
        if self._tampered(fg, zmap.watched, pixels, t, events):
            return events
        thermal = frame.kind == "thermal"
        settled = self._settled_boxes(t, pixels.shape)
        blobs = find_blobs_cut(fg, residual, pixels, settled, hot_delta=HOT_DELTA_C)
        if _scene_changing(fg, blobs, self._known_boxes()):
            self._calm_from = t + CLUTTER_HOLD_S
        cluttered = t < self._calm_from
        live, dropped = self.tracker.update(blobs, t)
        for tr in dropped:
            self.book.dropping(tr, t)
            events.extend(self._close_lost(tr, t, pixels.shape))
        self._continue_people(live, t)
        events.extend(self.book.lapse(t))
        self._mark_out_of_vehicles(live)
        if thermal:
            events.extend(self._run_model(live, pixels, bg, t))
        for tr in live:
            if tr.seen_now:
                events.extend(self._judge(tr, t, pixels.shape, thermal, hold=cluttered))
        if thermal:
            events.extend(self._in_front_events(pixels, fg, bg, t, hold=cluttered))
        for tr in self._to_absorb(live, t):
            bg.absorb(pixels, tr.box)
            self.tracker.drop(tr.id)
            events.extend(self.book.close(tr.id, t, normalised_bbox(tr, pixels.shape)))
        bg.learn(t, self._frozen_mask(self._objects(), pixels.shape), tau_s=CLUTTER_TAU_S if cluttered else None)
        return events

    def finish(self, t: float) -> list[Event]:
        events = self.book.close_all(t)
        events.extend(self._end_in_front(t))
        self.tracker.clear()
        self._lost.clear()
        for key in list(self._open):
            events.append(self._close_global(key, t))
        return events

    # -- stages ------------------------------------------------------------------------------

    def _validated(self, frame: ThermalFrame, events: list[Event]) -> np.ndarray | None:
        """The frame's pixels fit to use (bad elements patched), or None for a frame to skip."""
        pixels = frame.pixels
        t = frame.timestamp
        reason = None
        if not isinstance(pixels, np.ndarray) or pixels.ndim != 2 or min(pixels.shape) < 2:
            reason = "bad-shape"
        elif not (math.isfinite(t)):
            reason = "bad-timestamp"
        if reason is None:
            pixels = np.asarray(pixels, dtype=np.float32)
            finite = np.isfinite(pixels)
            if frame.kind == "thermal":
                finite &= (pixels > -60.0) & (pixels < 1200.0)
            bad = pixels.size - int(np.count_nonzero(finite))
            if bad > MAX_BAD_PIXEL_SHARE * pixels.size:
                reason = "too-many-bad-pixels"
            elif bad:
                self.stats.bad_pixels += bad
                bg = self._backgrounds.get(frame.kind)
                fill = bg.mean if bg is not None and bg.mean is not None and bg.mean.shape == pixels.shape else None
                pixels = np.where(finite, pixels, fill if fill is not None else median(pixels[finite]))
                pixels = pixels.astype(np.float32, copy=False)
        if reason is not None:
            self.stats.reject(reason)
            if "sensor" not in self._open:
                log.warning("sensor frame rejected: %s", reason)
                events.append(self._open_global("sensor", "trouble", t, {"reason": reason}))
            return None
        if "sensor" in self._open:
            events.append(self._close_global("sensor", t))
        return pixels

    def _restart(self, kind: str, shape: tuple[int, int], t: float) -> list[Event]:
        """A new sensor or resolution: relearn the scene and end what the old view was tracking."""
        events = self.book.close_all(t) if self._shape is not None else []
        events.extend(self._end_in_front(t))
        self.tracker.clear()
        self._lost.clear()
        self._kind, self._shape = kind, shape
        self._frozen = np.zeros(shape, dtype=bool)
        self.book.spots = NuisanceSpots(shape)
        self._in_front = InFrontOfParkedCars(self.scale, self.zones, shape, settled_s=SETTLED_S)
        self._backgrounds.pop(kind, None)
        return events

    def _background(self, kind: str) -> Background:
        bg = self._backgrounds.get(kind)
        if bg is None:
            c = self.config
            threshold = c.threshold_c if kind == "thermal" else c.threshold_gray
            bg = Background(threshold=threshold, noise_k=c.noise_k, tau_s=c.background_tau_s)
            self._backgrounds[kind] = bg
        return bg

    def _tampered(self, fg: np.ndarray, watched: np.ndarray, pixels: np.ndarray, t: float, events: list[Event]) -> bool:
        """Most watched pixels changed at once: the view is covered or moved. True = skip the frame."""
        share = np.count_nonzero(fg) / max(1, int(np.count_nonzero(watched)))
        bg = self._backgrounds[self._kind or "thermal"]
        if share < self.config.tamper_fraction:
            self._tamper_since = None
            if "tamper" in self._open:
                events.append(self._close_global("tamper", t))
            return False
        if self._tamper_since is None:
            self._tamper_since = t
        held = t - self._tamper_since
        if held >= self.config.tamper_confirm_s and "tamper" not in self._open:
            events.append(self._open_global("tamper", "tamper", t, {"changed_share": round(share, 3)}))
        bg.hold(t)
        if held >= self.config.tamper_relearn_s:
            # the new view has lasted: learn it, so detection works again from here on
            bg.reset(pixels, t)
            self.book.spots = NuisanceSpots(pixels.shape)
            self._tamper_since = None
            events.extend(self.book.close_all(t))
            events.extend(self._end_in_front(t))
            self.tracker.clear()
            self._lost.clear()
            if "tamper" in self._open:
                events.append(self._close_global("tamper", t))
        return True

    def _run_model(self, live: list[Track], pixels: np.ndarray, bg: Background, t: float) -> list[Event]:
        if self.classifier is None or bg.mean is None:
            return []
        due: list[Track] = []
        for tr in live:
            if not tr.seen_now or tr.hits < MODEL_FIRST_HITS:
                continue
            st = self.book.state(tr)
            if t - st.model_t >= _model_every(st):
                due.append(tr)
        if not due:
            return []
        from firmware.pipeline.patch import extract_patches

        boxes = [(x0, y0, x1 - x0, y1 - y0) for x0, y0, x1, y1 in (tr.box for tr in due)]
        try:
            probs = self.classifier.predict(extract_patches(pixels, bg.mean, boxes))
        except Exception as exc:  # a model that fails at run time must not stop detection
            self.stats.model_errors += 1
            log.error("model failed, continuing on rules only: %s", exc)
            self.classifier = None
            if "model" in self._open:
                return []
            return [self._open_global("model", "trouble", t, {"reason": f"model failed at run time: {exc}"})]
        self.stats.model_runs += 1
        for tr, p in zip(due, probs, strict=True):
            st = self.book.state(tr)
            st.model = p if st.model is None else 0.5 * (st.model + p)
            st.model_t = t
        return []

    def _judge(self, tr: Track, t: float, shape: tuple[int, int], thermal: bool, *, hold: bool) -> list[Event]:
        st = self.book.state(tr)
        if st.last_t is None or t - st.last_t >= CLASSIFY_EVERY_S:
            phys = physics_likelihoods(tr, self.scale, shape[0], thermal)
            self.book.observe(tr, combine(phys, st.model if thermal else None), t)
        if thermal:
            model_fire = float(st.model[LABELS.index("fire")]) if st.model is not None else None
            st.fire = fire_evidence(tr, t, self.config.fire_confirm_s, model_fire, still_px=1.5 * shape[1] / 32)
        zone = self.zones.zone_at(tr.cx, tr.box[3] - 0.5)
        return self.book.decide(tr, zone, t, shape, thermal=thermal, hold=hold)

    def _to_absorb(self, live: list[Track], t: float) -> list[Track]:
        out = []
        for tr in live:
            st = self.book.states.get(tr.id)
            if st is not None and "fire" in st.incidents:
                continue
            incident = st.incidents.get("object") if st is not None else None
            limit = ABSORB_PERSON_S if incident is not None and incident.type == "person" else ABSORB_STILL_S
            if tr.still_for(t) >= limit:
                out.append(tr)
        return out

    def _settled_boxes(self, t: float, shape: tuple[int, int]) -> list[Settled]:
        """Parked vehicles: what a driver's pixels are cut away from (see ``find_blobs_cut``).

        Only vehicles: a person or an unclassified blob that grows (sits down, raises an arm)
        must stay whole, and a burning car must stay one blob for the fire evidence."""
        h, w = shape
        out = []
        for tr in self.tracker.tracks.values():
            st = self.book.states.get(tr.id)
            if st is None or not st.is_vehicle or tr.last_t < t - 0.5 or tr.still_for(t) < SETTLED_S:
                continue
            if "fire" in st.incidents or (st.fire is not None and st.fire.may_be_burning):
                continue
            x0, y0, x1, y1 = tr.still_box
            box = (max(0, x0 - 1), max(0, y0 - 1), min(w, x1 + 1), min(h, y1 + 1))
            out.append(Settled(box, tr.anchor, max(self.tracker.still_px, 0.25 * tr.size())))
        return out

    def _in_front_events(
        self, pixels: np.ndarray, fg: np.ndarray, bg: Background, t: float, *, hold: bool
    ) -> list[Event]:
        """People in front of parked cars (:mod:`~firmware.pipeline.in_front`)."""
        if self._in_front is None or bg.mean is None:
            return []
        tracks = list(self.tracker.tracks.values())
        frame = (pixels, fg, bg.mean)
        return self._in_front.step(tracks, self.book.states, frame, t, self.classifier, self.stats, hold=hold)

    def _end_in_front(self, t: float) -> list[Event]:
        return self._in_front.end_all(t) if self._in_front is not None else []

    def _close_lost(self, tr: Track, t: float, shape: tuple[int, int]) -> list[Event]:
        """End a dropped track's incidents, remembering it if it was a person. Their person
        incident is held for as long as a new track may still continue them
        (:meth:`_continue_people`)."""
        st = self.book.states.get(tr.id)
        hold_until = None
        if st is not None and st.label == "person":
            self._lost.append(LostPerson.of(tr, st))
            hold_until = tr.last_t + CONTINUE_S
        return self.book.close(tr.id, t, normalised_bbox(tr, shape), hold_person_until=hold_until)

    def _continue_people(self, live: list[Track], t: float) -> None:
        """A new track where a person was lost a moment ago continues that person's evidence.

        Walking past a car or a fire, a person's blob merges into it and comes out again as a new
        track; without this the confirmation clock restarts at every merge, and someone who keeps
        brushing past things is never reported. Candidates are people lost (or coasting unseen)
        within ``CONTINUE_S``, near where the new track appeared. The new track takes over their
        person incident too (:meth:`IncidentBook.pass_on`)."""
        self._lost = [lost for lost in self._lost if t - lost.t <= CONTINUE_S]
        fresh = [tr for tr in live if tr.hits == 1 and tr.seen_now]
        if not fresh:
            return
        candidates = list(self._lost)
        for tr in live:
            st = self.book.states.get(tr.id)
            if not tr.seen_now and st is not None and st.label == "person" and t - tr.last_t <= CONTINUE_S:
                candidates.append(LostPerson.of(tr, st))
        for tr in fresh:
            near = [(d, c) for c in candidates if (d := c.distance(tr, t)) <= max(3.0, c.size)]
            if not near:
                continue
            _, c = min(near, key=lambda dc: dc[0])
            self.book.state(tr).carry_on_from(c.state)
            if c.incident is not None:
                self.book.pass_on(c.incident, c.state, tr)
            tr.displaced = tr.displaced or c.displaced
            candidates.remove(c)
            self._lost = [lost for lost in self._lost if lost is not c]

    def _mark_out_of_vehicles(self, live: list[Track]) -> None:
        """A new track within a pixel of a tracked vehicle's box came out of it: a driver who steps
        out of a car that has not stood still long enough for their pixels to be cut from it (see
        ``_settled_boxes``) merges with it, and splits off a moment later beside it."""
        fresh = [tr for tr in live if tr.hits == 1 and tr.seen_now]
        if not fresh:
            return
        vehicles = []
        for tr in live:
            st = self.book.states.get(tr.id)
            if tr.hits > 1 and st is not None and st.is_vehicle:
                vehicles.append(tr.box)
        for tr in fresh:
            x0, y0, x1, y1 = tr.box
            tr.beside_vehicle = tr.beside_vehicle or any(
                x0 <= vx1 + 1 and vx0 <= x1 + 1 and y0 <= vy1 + 1 and vy0 <= y1 + 1 for vx0, vy0, vx1, vy1 in vehicles
            )

    def _known_boxes(self) -> list[Box]:
        """Boxes of established objects: classified or reported, tracked for a while in nearly every
        frame. Rain and shimmer make flickering, unclassified blobs, which never qualify."""
        out = []
        for tr in self.tracker.tracks.values():
            st = self.book.states.get(tr.id)
            if st is None or tr.age < KNOWN_AFTER_S or tr.seen_share < KNOWN_SEEN_SHARE:
                continue
            if st.open or st.label != "other":
                out.append(tr.box)
        return out

    def _objects(self) -> list[Track]:
        """Tracks that are something (classified, or with an open incident): their pixels stay
        out of the background. Unclassified blobs are learnt, so noise and ghosts fade away."""
        out = []
        for tr in self.tracker.tracks.values():
            st = self.book.states.get(tr.id)
            if st is not None and (st.open or st.label != "other"):
                out.append(tr)
        return out

    def _frozen_mask(self, tracks: list[Track], shape: tuple[int, int]) -> np.ndarray:
        return box_mask(shape, (tr.box for tr in tracks), grow=1, out=self._frozen)

    # -- tamper and trouble incidents ----------------------------------------------------------

    def _open_global(self, key: str, type_: EventType, t: float, detail: dict[str, object]) -> Event:
        incident = uuid7()
        self._open[key] = (type_, incident, t)
        # ``kind`` is what the uplinks route trouble by (sensor trouble → SIA UT at the centre)
        return Event(type_, "start", t, incident=incident, detail={"source": key, "kind": key, **detail})

    def _close_global(self, key: str, t: float) -> Event:
        type_, incident, start = self._open.pop(key)
        detail = {"source": key, "kind": key, "duration_s": round(t - start, 3)}
        return Event(type_, "end", t, incident=incident, detail=detail)


def _model_every(st: TrackState) -> float:
    """How often the model looks at a track again. Once it is reported, rarely; but a reported
    track that shows fire evidence (a parked car, or the blob of one with someone beside it) is
    looked at every MODEL_EVERY_S, as an unreported one is: a fire waits for the model not to
    object, and a look up to MODEL_EVERY_CONFIRMED_S old, from before the flames, objects."""
    catching_fire = st.fire is not None and st.fire.may_be_burning and "fire" not in st.incidents
    return MODEL_EVERY_CONFIRMED_S if st.open and not catching_fire else MODEL_EVERY_S


def _scene_changing(fg: np.ndarray, blobs: list[Blob], known: list[Box]) -> bool:
    """Many blobs, or much of the view, changed at once: rain setting in, a cloud's shadow. Objects
    the pipeline already tracks are known, not change: a full lot is not clutter. Nor is the one
    solid blob of an object coming in: a car close to the camera fills a fifth of the view alone,
    and holding back for it missed the people walking beside it."""
    changed, new = fg, blobs
    if known:
        mask = box_mask(fg.shape, known)
        changed = fg & ~mask
        new = [b for b in blobs if not mask[b.y0 : b.y1, b.x0 : b.x1].all()]
    if len(new) >= CLUTTER_BLOBS:
        return True
    n_changed = np.count_nonzero(changed)
    biggest = max(new, key=lambda b: b.area, default=None)
    if biggest is not None and _one_object(biggest, fg.size):
        n_changed -= np.count_nonzero(changed[biggest.y0 : biggest.y1, biggest.x0 : biggest.x1])
    return n_changed >= CLUTTER_SHARE * fg.size


def _one_object(blob: Blob, frame_px: int) -> bool:
    """Could be one thing in view: solid (it fills half its box or more), and not so big that only
    the weather makes it (a cloud's shadow, sun on the whole lot)."""
    return blob.area <= ONE_OBJECT_MAX_SHARE * frame_px and blob.area >= ONE_OBJECT_MIN_FILL * blob.width * blob.height


def load_model_for(config: DetectionSection) -> tuple[Classifier | None, str | None]:
    """The classifier config asks for, or (None, why not) when it cannot be used."""
    if not config.use_model:
        return None, None
    try:
        from pathlib import Path

        from firmware.pipeline.model import ModelError, load_classifier
    except ImportError as exc:
        return None, f"classifier code unavailable: {exc}"
    try:
        return load_classifier(Path(config.model) if config.model else None), None
    except ModelError as exc:
        log.error("%s", exc)
        return None, str(exc)
    except Exception as exc:  # anything else about a broken model file: still run on rules
        log.error("model could not be loaded: %s", exc)
        return None, f"model could not be loaded: {exc}"


def build_pipeline(config: UnitConfig) -> DetectionPipeline:
    classifier, problem = load_model_for(config.detection)
    return DetectionPipeline(config.detection, classifier, model_problem=problem)


__all__ = ["DetectionPipeline", "build_pipeline", "load_model_for"]
