"""Someone in front of a parked car, reported beside the car's own track.

A car that has just parked stays foreground until it becomes scenery (two minutes still), and so
does anyone who walks in front of it: both differ from the ground, so they make one blob, and the
car's track swallows the person. Each parked car's look (its box's pixels) is therefore learnt
while it stands, and a patch of the box that differs from that look by more than ``CHANGE_C``, is
shaped like a person at that row and moves is someone in front of it, unless it is warmer than the
look and than skin (the car's own heat).

Cutting such a patch out of the car's blob and handing it to the tracker (tried: see
``docs/performance.md``, eighth session) lost people: the pieces came and went as someone showed
more or less of themselves, and their short, doubtful histories were then handed to the person
who walked out of the car's box. Here nothing reaches the tracker: the car's blob and everyone's
tracks are what they were, and the patch is judged on its own (in view for ``CONFIRM_S`` nearly
every frame, and the model, shown it against the car's look, reads a person). So this path can
only add a person report, never take one away.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from firmware.events import Event, uuid7
from firmware.pipeline.blobs import Box, label_runs, normalised_box
from firmware.pipeline.classify import HOTTER_THAN_SKIN_C, LABELS, PersonScale
from firmware.pipeline.track_state import TrackState
from firmware.pipeline.tracker import Track
from firmware.pipeline.zones import ZoneMap

if TYPE_CHECKING:
    from firmware.pipeline import PipelineStats
    from firmware.pipeline.model import Classifier

log = logging.getLogger(__name__)

CHANGE_C = 2.0  # from the car's look: something else is in front of it
MOVED_C = 2.0  # within REFERENCE_EVERY_S..2× that: it came, it did not warm up there
LOOK_TAU_S = 5.0  # the look follows the car (dew, sun, a cooling bonnet) at this pace
LOOK_TAU_CHANGED_S = 20.0  # and, slower, where something is in front of it
LEARN_FIRST_S = 3.0  # the look is learnt this long before anything is judged against it
REFERENCE_EVERY_S = 0.5
CONFIRM_S = 1.5  # someone in front of the car for this long ...
SEEN_SHARE = 0.8  # ... in this share of the frames since they were first seen ...
MODEL_PERSON_PROB = 0.9  # ... whom the model, shown them against the car, reads as a person
MODEL_EVERY_S = 0.5
GONE_S = 1.0  # no patch for this long: they have gone (round the car, or out of its box)
# someone walking in front of a car crosses it: WALKED_PX, or clear of where they were first seen
# (at the view's edge their box is cut, and its centre moves less), within WINDOW_S. A patch that
# stays where it appeared is the car itself changing (an engine stopping, its exhaust cooling),
# which the model can take for someone; nor does it become someone by being taken over by the
# patch of a passer-by, or the other way round: what is not confirmed within WINDOW_S starts afresh
WALKED_PX = 2.0
WINDOW_S = 5.0
# a parked car whose track's box still covers this share of its box has not left: its track may
# have stopped standing still only because someone's pixels joined its blob
COVERED_SHARE = 0.6


@dataclass(slots=True)
class Someone:
    """Someone seen in front of one parked car: since when, how often, where now."""

    since: float
    last_seen: float
    frames: int
    seen: int
    box: Box
    model_person: float | None = None
    model_t: float = -math.inf
    first_box: Box = (0, 0, 0, 0)
    travelled: float = 0.0  # furthest their box's centre has been from where it was first seen
    cleared: bool = False  # their box has been clear of (not overlapping) where they were first seen
    incident: str | None = None  # the person incident reported for them, if any
    start_t: float = 0.0
    zone: str | None = None

    @property
    def seen_share(self) -> float:
        return self.seen / max(1, self.frames)

    def confirmed(self, t: float) -> bool:
        return (
            t - self.since >= CONFIRM_S
            and self.seen_share >= SEEN_SHARE
            and (self.travelled >= WALKED_PX or self.cleared)
            and self.model_person is not None
            and self.model_person >= MODEL_PERSON_PROB
        )


@dataclass(slots=True)
class _Look:
    box: Box
    mean: np.ndarray  # the car's pixels as learnt
    reference: np.ndarray  # its pixels REFERENCE_EVERY_S..2× ago: what moved since
    reference_t: float
    since: float
    t: float
    cut: np.ndarray | None = None  # the patch found the frame before
    someone: Someone | None = None


class InFrontOfParkedCars:
    """The look of every parked car and who is in front of it, by the car's track id."""

    def __init__(self, scale: PersonScale, zones: ZoneMap, shape: tuple[int, int], *, settled_s: float) -> None:
        self.scale = scale
        self.zones = zones
        self.shape = shape
        self.settled_s = settled_s  # a vehicle still this long has parked
        self._looks: dict[int, _Look] = {}

    def step(
        self,
        tracks: list[Track],
        states: Mapping[int, TrackState],
        frame: tuple[np.ndarray, np.ndarray, np.ndarray],
        t: float,
        classifier: Classifier | None,
        stats: PipelineStats,
        *,
        hold: bool,
    ) -> list[Event]:
        """One frame: follow who is in front of each parked car, let the model read them, and start
        and end their person incidents. ``frame`` is the pixels, the foreground mask and the
        scene's background; ``hold`` defers new incidents (the whole scene is changing)."""
        pixels, fg, background = frame
        parked = self._parked(tracks, states, t)
        ended = self.clear() if parked is None else self.update(parked, pixels, fg, t)
        events = [self._end(who, t) for who in ended if who.incident is not None]
        waiting = [(key, who) for key, who in self.people() if who.incident is None]
        if classifier is not None:
            self._read(waiting, classifier, pixels, background, t, stats)
        for key, who in waiting:
            if hold or not who.confirmed(t) or _reported_near(who.box, tracks, states):
                continue
            x0, _, x1, y1 = who.box
            zone = self.zones.zone_at(0.5 * (x0 + x1), y1 - 0.5)
            if self.zones.has_zones and (zone is None or not zone.armed or t - who.since < zone.loiter_s):
                continue
            who.incident, who.start_t, who.zone = uuid7(), t, zone.name if zone is not None else None
            confidence = round(min(1.0, who.model_person or 0.0), 3)
            bbox = normalised_box(who.box, self.shape)
            start = Event("person", "start", t, confidence=confidence, zone=who.zone, bbox=bbox, incident=who.incident)
            start.detail["in_front_of_track"] = key
            events.append(start)
        return events

    def _parked(self, tracks: list[Track], states: Mapping[int, TrackState], t: float) -> list[tuple[int, Box]] | None:
        """Cars that drove in (moved clear of where they appeared, or appeared at the frame's edge)
        and have parked (track id, settled box grown by a pixel), or None while anything may be
        burning (its heat and smoke change every car's look around it). A parked car stays so
        while its track's box covers its box. Not a car that another, moving, touches: a car
        driving past changes its look too."""
        h, w = self.shape
        moving: list[tuple[int, Box]] = []
        parked: list[tuple[int, Box]] = []
        for tr in tracks:
            st = states.get(tr.id)
            if st is None:
                continue
            if "fire" in st.incidents or (st.fire is not None and st.fire.may_be_burning):
                return None
            if not st.is_vehicle or tr.last_t < t - 0.5:
                continue
            look = self._looks.get(tr.id)
            if look is not None and _covers(tr.box, look.box):
                parked.append((tr.id, look.box))  # still there: someone's pixels joined its blob
            elif tr.still_for(t) < self.settled_s:
                moving.append((tr.id, tr.box))
            elif tr.displaced or _on_edge(tr.first_box, self.shape):
                x0, y0, x1, y1 = tr.still_box
                parked.append((tr.id, (max(0, x0 - 1), max(0, y0 - 1), min(w, x1 + 1), min(h, y1 + 1))))
        return [(key, box) for key, box in parked if not any(_touching(box, other) for k, other in moving if k != key)]

    def end_all(self, t: float) -> list[Event]:
        """Forget every car's look and end the incidents of everyone in front of them."""
        return [self._end(who, t) for who in self.clear() if who.incident is not None]

    def update(self, parked: list[tuple[int, Box]], pixels: np.ndarray, fg: np.ndarray, t: float) -> list[Someone]:
        """Learn each of the ``parked`` cars' (track id, box) look from this frame and follow
        whoever is in front of it. Returns those who ended: their car is no longer parked,
        or they have gone."""
        looks: dict[int, _Look] = {}
        for key, box in parked:
            x0, y0, x1, y1 = box
            region = pixels[y0:y1, x0:x1]
            look = self._looks.get(key)
            if look is None or look.box != box:
                looks[key] = _Look(box, region.copy(), region.copy(), t, t, t)
                continue
            looks[key] = look
            diff = region - look.mean
            changed = (np.abs(diff) > CHANGE_C) & fg[y0:y1, x0:x1]
            dt = max(0.0, t - look.t)
            rate = np.where(changed, 1.0 - math.exp(-dt / LOOK_TAU_CHANGED_S), 1.0 - math.exp(-dt / LOOK_TAU_S))
            moved = np.abs(region - look.reference) > MOVED_C
            look.mean += (diff * rate).astype(np.float32)
            look.t = t
            if t - look.reference_t >= REFERENCE_EVERY_S:
                look.reference, look.reference_t = region.copy(), t
            if t - look.since < LEARN_FIRST_S or not changed.any():
                look.cut = None
            else:
                if look.cut is not None:
                    moved |= look.cut  # someone found stays found while they stand there
                look.cut = self._someone(changed, moved, region, diff, y0, pixels.shape[0])
            self._follow(look, t)
        left = [old for key, old in self._looks.items() if looks.get(key) is not old]  # no longer parked, or moved
        ended = [old.someone for old in left if old.someone is not None]
        self._looks = looks
        for look in looks.values():
            if look.someone is not None and t - look.someone.last_seen > GONE_S:
                ended.append(look.someone)
                look.someone = None
        return ended

    def people(self) -> list[tuple[int, Someone]]:
        return [(key, look.someone) for key, look in self._looks.items() if look.someone is not None]

    def clear(self) -> list[Someone]:
        """Forget every look (the scene was relearnt, or something may be burning); returns those
        who ended with them."""
        ended = [look.someone for look in self._looks.values() if look.someone is not None]
        self._looks.clear()
        return ended

    def _read(
        self,
        waiting: list[tuple[int, Someone]],
        classifier: Classifier,
        pixels: np.ndarray,
        background: np.ndarray,
        t: float,
        stats: PipelineStats,
    ) -> None:
        """The model's person probability for each unreported someone due one, read on
        a patch against the car's look (the model sees them, not the car behind them)."""
        from firmware.pipeline.patch import extract_patches

        for key, who in waiting:
            if t - who.model_t < MODEL_EVERY_S:
                continue
            x0, y0, x1, y1 = who.box
            patch = extract_patches(pixels, self._behind(key, background), [(x0, y0, x1 - x0, y1 - y0)])
            try:
                p = float(classifier.predict(patch)[0][LABELS.index("person")])
            except Exception as exc:  # the tracks' own model run reports a failing model as trouble
                stats.model_errors += 1
                log.error("model failed on someone in front of a parked car: %s", exc)
                return
            stats.model_runs += 1
            who.model_person = p if who.model_person is None else 0.5 * (who.model_person + p)
            who.model_t = t

    def _behind(self, key: int, background: np.ndarray) -> np.ndarray:
        """The scene's background with the car's look in its box."""
        look = self._looks[key]
        x0, y0, x1, y1 = look.box
        out = background.copy()
        out[y0:y1, x0:x1] = look.mean
        return out

    def _end(self, who: Someone, t: float) -> Event:
        bbox = normalised_box(who.box, self.shape)
        detail: dict[str, object] = {"duration_s": round(t - who.start_t, 3)}
        return Event("person", "end", t, zone=who.zone, bbox=bbox, incident=who.incident, detail=detail)

    @staticmethod
    def _follow(look: _Look, t: float) -> None:
        who = look.someone
        cut = look.cut
        if cut is None:
            if who is not None:
                who.frames += 1
            return
        ys, xs = np.nonzero(cut)
        x0, y0 = look.box[0], look.box[1]
        box = (x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1)
        if who is None:
            look.someone = Someone(since=t, last_seen=t, frames=1, seen=1, box=box, first_box=box)
            return
        if who.incident is None and t - who.since > WINDOW_S:
            who.since, who.frames, who.seen, who.first_box, who.travelled, who.cleared = t, 0, 0, box, 0.0, False
        who.frames += 1
        who.seen += 1
        who.last_seen = t
        who.box = box
        (fx, fy), (cx, cy) = _centre(who.first_box), _centre(box)
        who.travelled = max(who.travelled, math.hypot(cx - fx, cy - fy))
        who.cleared = who.cleared or not _touching(box, who.first_box, gap=0)

    def _someone(
        self,
        changed: np.ndarray,
        moved: np.ndarray,
        region: np.ndarray,
        diff: np.ndarray,
        top: int,
        frame_h: int,
    ) -> np.ndarray | None:
        """The patches of ``changed`` that are someone: person-shaped for their row, and moving.
        Where a patch is warmer than the car's look, at most skin-warm: a car's own spot heating up
        is not someone (in front of a sun-heated car, someone reads cooler than its look)."""
        rows, starts, ends, roots = label_runs(changed)
        patches: dict[int, list[int]] = {}
        for run, root in enumerate(roots):
            patches.setdefault(root, []).append(run)
        out: np.ndarray | None = None
        for runs in patches.values():
            patch = np.zeros(changed.shape, dtype=bool)
            for i in runs:
                patch[rows[i], starts[i] : ends[i]] = True
            first, last = int(rows[runs[0]]), int(rows[runs[-1]])
            height = last - first + 1
            width = int(max(ends[i] for i in runs)) - int(min(starts[i] for i in runs))
            expected = self.scale.height_px(top + last + 1, frame_h)
            if np.count_nonzero(patch) < 2 or not 0.5 * expected <= height <= 2.0 * expected + 1:
                continue
            warmer = region[patch & (diff > 0.0)]
            if width > max(2.0, expected) or (warmer.size and float(warmer.max()) > HOTTER_THAN_SKIN_C):
                continue
            if (moved & patch).any():
                out = patch if out is None else out | patch
        return out


def _covers(box: Box, look: Box) -> bool:
    """``box`` still covers most of the parked car's box ``look``: the car has not driven off,
    its blob has grown or shrunk where someone stepped out of it or round it."""
    x0, y0, x1, y1 = max(box[0], look[0]), max(box[1], look[1]), min(box[2], look[2]), min(box[3], look[3])
    inside = max(0, x1 - x0) * max(0, y1 - y0)
    return inside >= COVERED_SHARE * (look[2] - look[0]) * (look[3] - look[1])


def _on_edge(box: Box, shape: tuple[int, int]) -> bool:
    """On the frame's edge: a car first seen there drove into view, even if it parked where its
    track first saw it (at the edge, its box overlaps where it stops)."""
    return box[0] == 0 or box[1] == 0 or box[2] == shape[1] or box[3] == shape[0]


def _centre(box: Box) -> tuple[float, float]:
    return 0.5 * (box[0] + box[2]), 0.5 * (box[1] + box[3])


def _touching(a: Box, b: Box, gap: int = 1) -> bool:
    """The boxes (x0, y0, x1, y1, exclusive) overlap, or with ``gap`` 1 share an edge."""
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def _reported_near(box: Box, tracks: list[Track], states: Mapping[int, TrackState]) -> bool:
    """A track over or next to ``box`` is already reported as a person: they are not reported twice."""
    for tr in tracks:
        st = states.get(tr.id)
        reported = st.incidents.get("object") if st is not None else None
        if reported is not None and reported.type == "person" and _touching(tr.box, box):
            return True
    return False
