"""Someone crossing the lot whose look does not give them away: a person told by their walk.

Two cases, each a rule of its own.

Someone far off (:func:`crossing_the_lot`) reads to physics as a speck that a cat also makes,
and to the model hardly at all. What gives them away is their walk: a track in the far band of
the view (its blob's foot in the top FAR_BAND of the rows, where it appeared and now) that has
gone a quarter of the view's width (8 px at 32), over MIN_S, still reading more like a person
than a car or a fire (physics person ≥ PERSON_PROB), is someone crossing the lot.

In the top SPECK_BAND a cat covers under half a pixel (no cat's track was taken for someone there
in ten suites' nuisance hours), and someone there may show only as their legs, one row under the
top of the view. Below it, down to the far band's edge, someone stands about 4 px tall and a cat
is still under a pixel, one row of blob (a nuisance hour's was taken for someone), so there the
blob must be MIN_HEIGHT of the rows tall (two at 24), median over its recent history. Nearer,
cats cross the lot the same way and read to physics as 0.25–0.58 a person (test and held8
nuisance hours).

Someone nearer walking in the rain (:func:`walking_across_the_model_sure`): rain breaks their
blob up (seen in 0.4–0.6 of frames, under the 0.7 asked of any track, see
``incidents.MIN_SEEN_SHARE``) and cools their look to physics (0.05–0.7 a person), while the
model on its own reads them at 0.96–0.99 (rain-4003 at 297 s, rain-10002 at 309 s). A track the
model is that sure of (WALKER_MODEL_PROB), that has walked a quarter of the view's width over
WALKER_MIN_S, at a person's height (WALKER_MIN_HEIGHT of the rows, median over its recent
history: 5–6 rows there, a cat 1–2), seen in WALKER_SEEN_SHARE of frames or more and read by
physics more like a person than a car or a fire, is someone walking.
"""

from __future__ import annotations

from firmware.pipeline.classify import LABELS
from firmware.pipeline.track_state import TrackState
from firmware.pipeline.tracker import Track

FAR_BAND = 0.25
SPECK_BAND = 0.2
MIN_HEIGHT = 1 / 12
SHARE = 0.25
MIN_S = 4.0
PERSON_PROB = 0.25
WALKER_MODEL_PROB = 0.95
WALKER_MIN_S = 3.0
WALKER_MIN_HEIGHT = 1 / 8
WALKER_SEEN_SHARE = 0.4


def _median_height(track: Track) -> int:
    heights = sorted(s.height for s in track.history)
    return heights[len(heights) // 2]


def _reads_as_a_person(st: TrackState) -> bool:
    """No vehicle and nothing that may be burning, and physics reads it more like a person than
    a car or a fire."""
    if st.is_vehicle or (st.fire is not None and st.fire.may_be_burning):
        return False
    vehicle, fire = (float(st.probs[LABELS.index(k)]) for k in ("vehicle", "fire"))
    return st.person > max(vehicle, fire)


def crossing_the_lot(track: Track, st: TrackState, shape: tuple[int, int]) -> bool:
    """Has walked across a good part of the view like someone far off. The cheap tests of where
    the track is and how far it went come first: this runs for every track in every frame."""
    rows, cols = shape
    foot = max(track.first_box[3], track.box[3])
    if foot > FAR_BAND * rows or track.travelled < SHARE * cols or track.age < MIN_S:
        return False
    if st.person < PERSON_PROB or not _reads_as_a_person(st):
        return False
    return foot <= SPECK_BAND * rows or _median_height(track) >= MIN_HEIGHT * rows


def walking_across_the_model_sure(track: Track, st: TrackState, shape: tuple[int, int]) -> bool:
    """Someone the model on its own is sure of, walking a quarter of the view across at a
    person's height, however broken up their blob and their look to physics. Cheap tests first,
    as for :func:`crossing_the_lot`."""
    rows, cols = shape
    if track.travelled < SHARE * cols or track.age < WALKER_MIN_S or track.seen_share < WALKER_SEEN_SHARE:
        return False
    if st.model_person < WALKER_MODEL_PROB or not _reads_as_a_person(st):
        return False
    return _median_height(track) >= WALKER_MIN_HEIGHT * rows
