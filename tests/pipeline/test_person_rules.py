"""The person rules of the incident book, on one scripted track: its blob and its class
probabilities (and the model's own) at each moment, through the real Tracker and IncidentBook."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from firmware.config.detection import DetectionSection
from firmware.pipeline.blobs import Blob
from firmware.pipeline.incidents import IncidentBook
from firmware.pipeline.nuisance import NuisanceSpots
from firmware.pipeline.tracker import Tracker
from tests.pipeline.scenes import starts


def _person_starts(
    blob_at: Callable[[float], Blob | None],
    probs_at: Callable[[float], list[float]],
    model_at: Callable[[float], list[float]] | None = None,
) -> int:
    """Person incidents the incident rules start for one tracked blob over 30 s at 8 Hz, given
    its blob (None: out of sight), its class probabilities and, if given, the model's own
    probabilities at each moment."""
    return len(_person_start_times(blob_at, probs_at, model_at))


def _person_start_times(
    blob_at: Callable[[float], Blob | None],
    probs_at: Callable[[float], list[float]],
    model_at: Callable[[float], list[float]] | None = None,
    spots: NuisanceSpots | None = None,
    kind: str = "person",
) -> list[float]:
    """When :func:`_person_starts` starts its person incidents (``spots``: the nuisance spots
    remembered so far; ``kind``: another type of incident instead)."""
    book = IncidentBook(DetectionSection(use_model=False), zones_configured=False)
    book.spots = spots
    tracker = Tracker()
    found: list[float] = []
    for i in range(30 * 8):
        t = i / 8
        blob = blob_at(t)
        live, _ = tracker.update([] if blob is None else [blob], t)
        for track in live:
            if not track.seen_now:
                continue
            if model_at is not None:
                book.state(track).model = np.array(model_at(t))
            book.observe(track, np.array(probs_at(t)), t)
            found += [e.t for e in starts(book.decide(track, None, t, (24, 32), thermal=True), kind)]
    return found


def _blob(x: float, y: float, height: int = 5) -> Blob:
    """A blob two pixels wide and ``height`` tall with its top-left corner at (x, y)."""
    x0, y0 = math.floor(x), math.floor(y)
    cx, cy = x + 1, y + height / 2
    return Blob(x0, y0, x0 + 2, y0 + height, 2 * height, cx, cy, 5.0, 6.0, 16.0, cx, cy, 0, 0.0)


def _looks(person_prob: float) -> list[float]:
    rest = (1.0 - person_prob) / 3
    return [person_prob, rest, rest, rest]


def test_a_track_long_unclassified_becomes_a_person_only_on_a_clear_person_look() -> None:
    """A ghost or a car's edge, unclassified for a while, whose look drifts just over the person
    line, or settles just above 0.75 as a parked car's roof does, is not reported; the same drift
    on a track that is person-like from the start is, and so is a long-unclassified track that
    comes to look plainly like someone, or one cut by the top of the view (someone far off, only
    part of whom shows)."""

    def people(unclassed_s: float, person_prob: float, top: int = 10) -> int:
        return _person_starts(
            lambda t: _blob(2.0 + t * 0.5, top),
            lambda t: [0.1, 0.1, 0.0, 0.8] if t < unclassed_s else _looks(person_prob),
        )

    assert people(unclassed_s=10.0, person_prob=0.65) == 0
    assert people(unclassed_s=0.0, person_prob=0.65) == 1
    assert people(unclassed_s=10.0, person_prob=0.9) == 1
    assert people(unclassed_s=10.0, person_prob=0.77) == 0  # a parked car's roof, its look settling
    assert people(unclassed_s=10.0, person_prob=0.65, top=0) == 1


def test_a_blob_cut_by_the_side_of_the_view_for_long_is_no_person() -> None:
    """The sliver of a car parked half out of view is cut by the frame's side into a person's
    shape; it never comes clear of the edge. Someone walking in from the side is cut for a moment,
    and the same look clear of the edge is a person."""

    def people(x_at: Callable[[float], float]) -> int:
        return _person_starts(lambda t: _blob(x_at(t), 2.0 + t * 0.5), lambda t: [0.9, 0.03, 0.0, 0.07])

    assert people(lambda t: 0.0) == 0
    assert people(lambda t: 10.0) == 1
    assert people(lambda t: min(t, 10.0)) == 1


def test_a_speck_of_a_few_pixels_becomes_a_person_only_on_a_clear_person_look() -> None:
    """A cat on warm ground makes a blob of a few pixels that drifts just over the person line; a
    person far off makes one too, but reads plainly as a person. A person-sized blob with the same
    middling look is reported."""

    def people(height: int, person_prob: float) -> int:
        return _person_starts(lambda t: _blob(2.0 + t * 0.5, 15 - height, height), lambda t: _looks(person_prob))

    assert people(height=2, person_prob=0.65) == 0
    assert people(height=2, person_prob=0.9) == 1
    assert people(height=5, person_prob=0.65) == 1


def test_a_speck_walking_along_the_top_of_the_view_is_a_person_unless_the_model_reads_otherwise() -> None:
    """Someone 20 m off drifts along the top edge, only a speck of them in view, with a middling
    person look: reported when the model on its own gives them a fair chance of being a person
    (a cat is under a pixel that far off); not when it reads the speck as something else. (A
    speck that walks a quarter of the view's width is reported whatever the model reads: see
    the test of someone crossing the view; this one goes 6 px in 30 s.)"""

    def people(model_person: float) -> int:
        return _person_starts(
            lambda t: _blob(2.0 + t * 0.2, 0.0, height=2), lambda t: _looks(0.65), lambda t: _looks(model_person)
        )

    assert people(model_person=0.5) == 1
    assert people(model_person=0.06) == 0


def test_someone_far_off_standing_cut_by_the_top_of_the_view_is_a_person_when_the_model_sees_one() -> None:
    """Someone far off comes into view over the top edge and stands there, only their legs in
    view: never clear of where they appeared, and still on the edge. Physics and the model both
    read a person: reported. A parked car's piece there that only physics reads as a person
    (the model does not) is not."""

    def people(model_person: float) -> int:
        return _person_starts(
            lambda t: _blob(14.0, 0.0, height=3), lambda t: _looks(0.93), lambda t: _looks(model_person)
        )

    assert people(model_person=0.95) == 1
    assert people(model_person=0.5) == 0


def test_a_person_glimpsed_for_under_two_seconds_is_reported_when_physics_and_the_model_agree() -> None:
    """Someone crosses a 1.8 s gap between parked cars: shorter than the 2.5 s confirmation, so
    only a look that is plainly a person to physics and to the model alike reports them (after
    1 s of it). The same glimpse that only one of the two reads plainly as a person is not."""

    def people(person_prob: float, model_person: float) -> int:
        return _person_starts(
            lambda t: _blob(2.0 + (t - 5.0) * 2.5, 10) if 5.0 <= t < 6.8 else None,
            lambda t: _looks(person_prob),
            lambda t: _looks(model_person),
        )

    assert people(person_prob=0.95, model_person=0.97) == 1
    assert people(person_prob=0.95, model_person=0.6) == 0
    assert people(person_prob=0.7, model_person=0.97) == 0


def test_someone_showing_beside_a_parked_car_they_walk_round_is_reported_without_moving_clear() -> None:
    """Someone walks round a parked car: for 1.8 s they show as a piece cut from the car's blob,
    shuffling about a pixel, then the car's blob takes them in again. Plain to physics and to the
    model, they are reported. The same blob that was never part of a car's has not moved clear of
    where it appeared (a hood or a grill does not walk), a speck beside the car is as likely a
    cat, and a piece cut by the frame's edge as likely the car's own end: none is reported."""

    def people(*, out_of_a_car: bool, x: float = 14.0, height: int = 5, model_person: float = 0.97) -> int:
        def blob_at(t: float) -> Blob | None:
            if not 5.0 <= t < 6.8:
                return None
            at = max(0.0, x + 0.5 * math.sin(3 * t))
            return dataclasses.replace(_blob(at, 8, height), beside_vehicle=out_of_a_car)

        return _person_starts(blob_at, lambda t: _looks(0.92), lambda t: _looks(model_person))

    assert people(out_of_a_car=True) == 1
    assert people(out_of_a_car=False) == 0
    assert people(out_of_a_car=True, height=2) == 0
    assert people(out_of_a_car=True, x=0.0) == 0
    assert people(out_of_a_car=True, model_person=0.7) == 0


def test_someone_waiting_half_in_view_at_the_side_is_a_person_when_the_model_is_beyond_doubt() -> None:
    """Someone steps in at the side of the view and waits there, half of them out of it. A car
    parked half out of view, or a smoke plume, cut by the same edge can pass for a person to
    physics: only a person look from the start, with the model on its own beyond doubt, reports
    them."""

    def people(unclassed_s: float, model_person: float, person_prob: float = 0.93) -> int:
        return _person_starts(
            lambda t: _blob(0.0, 8.0),
            lambda t: [0.1, 0.1, 0.0, 0.8] if t < unclassed_s else _looks(person_prob),
            lambda t: _looks(model_person),
        )

    assert people(unclassed_s=0.0, model_person=0.97) == 1
    assert people(unclassed_s=0.0, model_person=0.97, person_prob=0.85) == 0  # a parked car's sliver reads so
    assert people(unclassed_s=0.0, model_person=0.8) == 0
    assert people(unclassed_s=10.0, model_person=0.97) == 0


def test_someone_waiting_on_the_edge_whose_look_wobbles_about_sure_is_a_person_while_the_model_is_plain() -> None:
    """Someone stands still half in view, read by physics at 0.87–0.93 frame by frame (the
    loitering person of person-loitering-13005, in the top corner for 9 s). Once sure (0.9), a dip
    under it does not start the count afresh while the model on its own reads them plainly: they
    are reported. A car's part smouldering before it burns reads so to physics too, with the
    model only at 0.82–0.89: every dip starts the count afresh, and it is not reported; nor is a
    look that stays at 0.87, never sure."""

    def wobbling(t: float) -> list[float]:
        return _looks(0.93 if t % 1.0 < 0.5 else 0.86)

    def starts_at(probs_at: Callable[[float], list[float]], model_person: float, x: float, y: float) -> list[float]:
        return _person_start_times(lambda t: _blob(x, y, height=4), probs_at, lambda t: _looks(model_person))

    for x, y in ((30.0, 0.0), (30.0, 6.0), (14.0, 0.0)):  # the top corner, the side, the top
        found = starts_at(wobbling, 0.97, x, y)
        assert len(found) == 1 and found[0] < 5.0, (x, y, found)
    assert starts_at(wobbling, 0.85, 14.0, 0.0) == []
    assert starts_at(lambda t: _looks(0.87), 0.97, 30.0, 0.0) == []


def test_someone_stepping_in_at_the_side_is_a_person_on_a_plain_look() -> None:
    """Someone 14–22 m off steps in at the side of the view, a few columns, and stays on the edge:
    physics reads them at 0.85 (not the 0.9 of a sure look), the model at 0.97. Having moved in,
    they are a person; the same look that never moved is the end of a car parked half out of view
    (see the test above)."""

    def stepping_in(columns_at: Callable[[float], int]) -> Callable[[float], Blob | None]:
        def blob(t: float) -> Blob | None:
            if t >= 5.0:
                return None  # turned back out of view
            w = columns_at(t)
            return Blob(0, 8, w, 13, 5 * w, w / 2, 10.5, 5.0, 6.0, 16.0, w / 2, 10.5, 0, 0.0)

        return blob

    def people(columns_at: Callable[[float], int]) -> list[float]:
        return _person_start_times(stepping_in(columns_at), lambda t: _looks(0.85), lambda t: _looks(0.97))

    found = people(lambda t: 1 + min(3, int(1.5 * t)))  # one column in view, then four
    assert len(found) == 1 and found[0] < 5.0
    assert people(lambda t: 4) == []  # four columns from the start, never moved


def test_someone_standing_where_they_appeared_is_a_person_after_a_long_plain_look() -> None:
    """Someone comes into view standing behind a parked car, only their head and shoulders over
    it, and stays: never clear of where they appeared. A plain person look to physics and to the
    model for 10 s reports them, and not sooner; a car part the model takes for someone but
    physics doubts, or one the model doubts, is not reported however long it stays."""

    def person_at(person_prob: float, model_person: float) -> list[float]:
        return _person_start_times(
            lambda t: _blob(14.0, 8.0, height=3), lambda t: _looks(person_prob), lambda t: _looks(model_person)
        )

    (found,) = person_at(person_prob=0.85, model_person=0.95)
    assert 10.0 <= found <= 11.0
    assert person_at(person_prob=0.6, model_person=0.95) == []
    assert person_at(person_prob=0.85, model_person=0.8) == []


def test_a_car_that_physics_takes_for_a_person_is_not_one_when_the_model_reads_a_vehicle() -> None:
    """The person-sized front of a car rolling in reads as someone walking to physics; the
    model on its own reads a vehicle. Not reported. The same track the model reads as someone,
    or is unsure about, is."""

    def people(model: list[float]) -> int:
        return _person_starts(lambda t: _blob(2.0 + t * 0.5, 10), lambda t: _looks(0.9), lambda t: model)

    assert people([0.1, 0.85, 0.0, 0.05]) == 0
    assert people([0.95, 0.03, 0.0, 0.02]) == 1
    assert people([0.3, 0.6, 0.0, 0.1]) == 1


def test_where_tracks_keep_coming_to_nothing_a_person_must_look_plainly_like_one() -> None:
    """The end of a parked row in the rain makes one unclassified track after another; now and
    then one passes for a person to physics (0.7) with the model unsure (0.5). After three such
    tracks there, such a look is not reported at that spot, and still is elsewhere; someone who
    looks plainly like a person (0.9, model 0.97) is reported at the spot too. The memory fades:
    an hour later the spot is like any other."""

    def starts_at(x: float, person_prob: float, model_person: float, spots: NuisanceSpots) -> int:
        model = [model_person, 0.0, 0.0, 1.0 - model_person]
        walk = _person_start_times(
            lambda t: _blob(x + t * 0.2, 10), lambda t: _looks(person_prob), lambda t: model, spots
        )
        return len(walk)

    def row_end(t: float) -> NuisanceSpots:
        spots = NuisanceSpots((24, 32))
        for k in range(3):
            spots.add((2 + k, 9, 10, 16), t + 60 * k)
        return spots

    assert starts_at(3.0, 0.7, 0.5, NuisanceSpots((24, 32))) == 1
    assert starts_at(3.0, 0.7, 0.5, row_end(0.0)) == 0
    assert starts_at(20.0, 0.7, 0.5, row_end(0.0)) == 1
    assert starts_at(3.0, 0.9, 0.97, row_end(0.0)) == 1
    assert starts_at(3.0, 0.7, 0.5, row_end(-3600.0)) == 1


def test_a_track_long_unclassified_and_never_reported_marks_its_spot() -> None:
    """What the incident book remembers as a nuisance spot: a track that has stayed unclassified
    for seconds without being reported, where it is then and again where it ends when dropped;
    not someone reported as a person."""

    def spot_level(probs: list[float]) -> list[float]:
        book = IncidentBook(DetectionSection(use_model=False), zones_configured=False)
        book.spots = NuisanceSpots((24, 32))
        tracker = Tracker()
        for i in range(6 * 8):
            t = i / 8
            (track,), _ = tracker.update([_blob(10.0, 10)], t)
            book.observe(track, np.array(probs), t)
            book.decide(track, None, t, (24, 32), thermal=True)
        levels = [book.spots.level(track.box, 6.0)]
        book.dropping(track, 6.0)
        return levels + [book.spots.level(track.box, 6.0)]

    marked, dropped = spot_level([0.1, 0.1, 0.0, 0.8])
    assert 0.99 < marked <= 1.0 and 1.99 < dropped <= 2.0  # faded a little since it was marked
    assert spot_level(_looks(0.9)) == [0.0, 0.0]


def test_a_spot_counts_no_more_tracks_than_came_to_nothing_there_whatever_the_clock_does() -> None:
    """A source whose clock steps back (a replayed file, a clock set back) must not make a spot
    look busier than the tracks that came to nothing there."""
    spots = NuisanceSpots((24, 32))
    spots.add((2, 9, 10, 16), 100.0)
    spots.add((2, 9, 10, 16), 50.0)
    assert spots.level((2, 9, 10, 16), 100.0) == 2.0
    assert spots.level((20, 9, 30, 16), 100.0) == 0.0


def test_a_track_long_unclassified_that_stands_still_is_a_person_only_when_the_model_is_beyond_doubt() -> None:
    """A far parked car in the rain: its track drifts about unclassified, settles, and after
    standing still for seconds physics reads it as a person (0.85) with the model unsure (0.75),
    or a parked car's roof the model takes for a person at 0.92. Neither is reported. The same
    look on the same track walking on is, and so is a person beyond doubt (0.9, model 0.97) on
    the still one."""

    def people(person_prob: float, model_person: float, *, stops: bool) -> int:
        return _person_starts(
            lambda t: _blob(2.0 + 0.5 * (min(t, 8.0) if stops else t), 10),
            lambda t: [0.1, 0.1, 0.0, 0.8] if t < 20.0 else _looks(person_prob),
            lambda t: [model_person, 0.0, 0.0, 1.0 - model_person],
        )

    assert people(0.85, 0.75, stops=True) == 0
    assert people(0.85, 0.92, stops=True) == 0
    assert people(0.85, 0.75, stops=False) == 1
    assert people(0.9, 0.97, stops=True) == 1


def test_a_parked_cars_outline_that_settles_into_a_vehicle_look_is_no_arriving_vehicle() -> None:
    """Rain on a parked car makes a track that drifts about unclassified, then stands still and
    reads as a vehicle (it is one, parked): no vehicle came. A car that drives in reading as a
    vehicle all along, and parks, is reported."""

    def vehicles(unclassed_s: float) -> int:
        return len(
            _person_start_times(
                lambda t: _blob(2.0 + 0.5 * min(t, 8.0), 10),
                lambda t: [0.1, 0.1, 0.0, 0.8] if t < unclassed_s else [0.02, 0.9, 0.02, 0.06],
                kind="vehicle",
            )
        )

    assert vehicles(unclassed_s=20.0) == 0
    assert vehicles(unclassed_s=0.0) == 1


def test_someone_whose_look_flickers_is_a_person_once_the_spells_add_up() -> None:
    """Far off or half hidden, someone walking reads as a person for spells of about 1.5 s, each
    shorter than the confirmation time (2.5 s), with a moment of "other" between: reported once
    the spells add up to 1.5 × the confirmation time. Two such spells, then gone, are not."""
    other = [0.1, 0.1, 0.0, 0.8]

    def flickering(t: float) -> list[float]:
        return _looks(0.7) if t % 2.0 < 1.5 else other

    def starts_at(gone_after: float) -> list[float]:
        return _person_start_times(lambda t: _blob(2.0 + t * 0.5, 10) if t < gone_after else None, flickering)

    found = starts_at(30.0)
    assert len(found) == 1 and 4.0 < found[0] < 8.0, found
    assert starts_at(3.9) == []


def test_someone_far_off_walking_across_the_view_is_a_person_though_they_read_as_a_speck() -> None:
    """Someone far off crosses the lot near the top of the view: a 2-pixel speck that physics
    reads at 0.35 a person and the model hardly at all, so no person look ever holds. Their walk
    gives them away: once they have gone a quarter of the view's width (8 px) over 4 s or more,
    they are reported, if their blob stays in the top quarter of the rows (0–5 of 24), and in the
    top fifth (0–3) even one row tall (someone's legs under the top of the view). Not so a speck
    that goes only 6 px and stops, one that reads more like a car or hardly like a person, one a
    single row tall in row 5 (a cat there is under a pixel), or the same walk lower in the view,
    nearer, where a cat crossing the lot makes that speck, nor a speck that walks down into those
    rows or up out of them."""

    def people(
        person_prob: float = 0.35,
        vehicle_prob: float = 0.1,
        *,
        speed: float = 1.5,
        stop_after_px: float = 30.0,
        top: Callable[[float], float] = lambda t: 1.0,
        height: int = 2,
    ) -> list[float]:
        return _person_start_times(
            lambda t: _blob(2.0 + min(t * speed, stop_after_px), top(t), height=height),
            lambda t: [person_prob, vehicle_prob, 0.0, 1.0 - person_prob - vehicle_prob],
            lambda t: _looks(0.05),
        )

    crossed = people()
    assert len(crossed) == 1 and 5.0 <= crossed[0] <= 6.5  # 8 px at 1.5 px/s
    hurried = people(speed=4.0)  # 8 px in 2 s: a walk, not a flicker, only once it has lasted 4 s
    assert len(hurried) == 1 and 4.0 <= hurried[0] <= 4.5
    assert len(people(top=lambda t: 4.0)) == 1  # rows 4–5
    assert len(people(top=lambda t: 3.0, height=1)) == 1
    assert people(stop_after_px=6.0) == []
    assert people(top=lambda t: 5.0, height=1) == []
    assert people(top=lambda t: 5.0) == []  # rows 5–6
    assert people(person_prob=0.3, vehicle_prob=0.32) == []
    assert people(person_prob=0.2, vehicle_prob=0.05) == []
    assert people(top=lambda t: 12.0) == []
    assert people(top=lambda t: min(1.0 + t, 12.0)) == []
    assert people(top=lambda t: max(12.0 - t, 1.0)) == []


def test_someone_the_model_is_sure_of_walking_across_in_the_rain_is_a_person_though_their_blob_breaks_up() -> None:
    """Rain breaks up a walker's blob, seen in every other frame (under the 0.7 of frames asked
    of any track), and cools their look to physics (0.35 a person). The model on its own is sure
    (0.97): once they have walked a quarter of the view's width (8 px) over 3 s or more, at their
    full height (5 rows), they are reported. Not so if the model is less sure (0.9), if they stop
    after 6 px, if they are seen in only one frame of three, if their blob is two rows tall (a cat
    the model also takes for someone), or if physics reads them more like a car."""

    def people(
        model_prob: float = 0.97,
        *,
        speed: float = 2.0,
        stop_after_px: float = 30.0,
        every: int = 2,
        height: int = 5,
        person_prob: float = 0.35,
        vehicle_prob: float = 0.05,
    ) -> list[float]:
        return _person_start_times(
            lambda t: None if round(t * 8) % every else _blob(2.0 + min(speed * t, stop_after_px), 10, height=height),
            lambda t: [person_prob, vehicle_prob, 0.0, 1.0 - person_prob - vehicle_prob],
            lambda t: _looks(model_prob),
        )

    walked = people()
    assert len(walked) == 1 and 4.0 <= walked[0] <= 5.0, walked  # 8 px at 2 px/s
    hurried = people(speed=6.0)  # 8 px in 1.4 s: a walk only once it has lasted 3 s
    assert len(hurried) == 1 and 3.0 <= hurried[0] <= 3.5, hurried
    assert people(0.9) == []
    assert people(stop_after_px=6.0) == []
    assert people(every=3) == []
    assert people(height=2) == []
    assert people(person_prob=0.3, vehicle_prob=0.32) == []


def test_a_nuisance_spot_takes_in_pieces_that_came_to_nothing_a_pixel_apart() -> None:
    """A far parked car in the rain comes apart into one-pixel pieces, each its own track that
    comes to nothing, a pixel or two apart; the piece that then passes for a person jitters about
    among them, on pixels no piece was counted on. Two pieces a row or two under its box make its
    spot busy; a box two pixels clear of them is not."""
    spots = NuisanceSpots((24, 32))
    spots.add((3, 2, 4, 3), 10.0)
    spots.add((1, 3, 2, 4), 10.0)
    assert spots.busy((2, 0, 4, 2), 10.0)
    assert not spots.busy((1, 6, 3, 8), 10.0)
