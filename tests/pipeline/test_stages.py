"""Behaviour of the pipeline's stages on hand-built scenes: what a user of the unit would notice."""

from __future__ import annotations

import math

import numpy as np

from firmware.config.detection import DetectionSection
from firmware.pipeline import DetectionPipeline, load_model_for
from firmware.pipeline.blobs import Blob, find_blobs, label_runs
from firmware.pipeline.continuation import CONTINUE_S
from firmware.pipeline.incidents import IncidentBook
from firmware.pipeline.tracker import Tracker
from firmware.pipeline.zones import rasterise
from tests.pipeline.scenes import box_blob, config, frames, person, pipeline, run, starts


def test_blobs_are_8_connected_components_with_their_statistics() -> None:
    fg = np.zeros((6, 8), dtype=bool)
    fg[1, 1:3] = True
    fg[2, 3] = True  # touches the run above diagonally: same object
    fg[4:6, 6:8] = True  # a separate object
    residual = np.where(fg, 5.0, 0.0).astype(np.float32)
    residual[4, 6] = 20.0
    blobs = sorted(find_blobs(fg, residual, residual + 10.0, hot_delta=15.0), key=lambda b: b.x0)
    assert [(b.box, b.area) for b in blobs] == [((1, 1, 4, 3), 3), ((6, 4, 8, 6), 4)]
    assert blobs[1].peak_excess == 20.0 and blobs[1].peak_value == 30.0 and blobs[1].hot_area == 1
    _, _, _, roots = label_runs(np.zeros((3, 3), dtype=bool))
    assert roots == []


def test_polygon_rasterises_by_pixel_centres() -> None:
    mask = rasterise([(0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0)], (4, 8))
    assert mask[:, :4].all() and not mask[:, 4:].any()


def test_empty_scene_with_slow_drift_gives_no_incident() -> None:
    """A scene cooling 6 °C in ten minutes (sunset) is followed, not reported."""
    events = run(pipeline(), frames(600, lambda px, t: None, drift_c_per_s=-0.01, fps=4))
    assert starts(events) == []


def test_person_who_stands_still_for_minutes_is_not_swallowed() -> None:
    """Someone walks in and stands still for five minutes while the scene drifts: one incident,
    open the whole time, ending only after they have left."""

    def paint(px: np.ndarray, t: float) -> None:
        if 10 <= t < 330:
            x = 2 + min(t - 10, 10) * 1.2  # walks 12 px, then stands still
            person(px, x, 18)

    events = run(pipeline(), frames(360, paint, drift_c_per_s=-0.005, fps=4))
    people = [e for e in events if e.type == "person"]
    assert [e.phase for e in people] == ["start", "end"]
    assert 10 < people[0].t <= 14  # person_confirm_s after walking clear of the entry spot
    assert 330 <= people[1].t <= 330 + CONTINUE_S + 0.5  # as long as a new track may still continue them
    assert people[0].incident == people[1].incident


def test_tracker_keeps_identity_through_a_short_gap() -> None:
    """A person walking behind a pillar for one second stays the same incident."""

    def paint(px: np.ndarray, t: float) -> None:
        if 5 <= t < 25 and not 12 <= t < 13:
            person(px, 2 + (t - 5) * 1.0, 20)

    events = run(pipeline(), frames(30, paint))
    people = [e for e in events if e.type == "person"]
    assert [e.phase for e in people] == ["start", "end"]
    assert people[0].bbox is not None and people[1].bbox is not None
    assert people[1].bbox[0] > people[0].bbox[0]  # it moved right, as the person did


def test_a_speck_whose_track_lands_on_a_larger_object_beside_it_has_not_moved() -> None:
    """In rain, specks come and go all over the view. When a speck's track is next matched to a
    parked car's outline that shows up a few pixels away (or an object's track to a speck beside
    it), nothing walked there: the track has not moved clear of where it appeared, so the still
    outline is not taken for someone who walked in. Someone who does walk is."""
    tracker = Tracker()
    tracker.update([box_blob(23, 12, 24, 14)], 0.0)
    tracker.update([box_blob(23, 12, 24, 14)], 0.125)
    for i in range(2, 30):
        (track,), _ = tracker.update([box_blob(15, 9, 20, 18)], i / 8)
    assert not track.displaced and track.travelled < 1.0
    (track,), _ = tracker.update([box_blob(21, 6, 22, 8)], 30 / 8)  # and back to a speck beside it
    assert not track.displaced

    walker = Tracker()
    for i in range(40):
        x = 2 + i // 4
        (track,), _ = walker.update([box_blob(x, 9, x + 2, 14)], i / 8)
    assert track.displaced and track.travelled >= 9.0


def test_mask_pixels_are_never_processed() -> None:
    """A warm object inside a mask (a vent, a neighbour's window) makes no incident; the same
    object outside the mask does."""

    def paint(px: np.ndarray, t: float) -> None:
        if 5 <= t < 25:
            person(px, 4 + (t - 5) * 0.3, 20)

    mask = {"name": "vent", "kind": "mask", "polygon": [[0.0, 0.5], [0.5, 0.5], [0.5, 1.0], [0.0, 1.0]]}
    masked = run(pipeline(zones=[mask]), frames(30, paint))
    unmasked = run(pipeline(), frames(30, paint))
    assert starts(masked) == []
    assert [e.type for e in starts(unmasked)] == ["person"]


def test_person_in_zone_alarms_only_after_loiter_time() -> None:
    lot = {"name": "lot", "polygon": [[0.0, 0.5], [1.0, 0.5], [1.0, 1.0], [0.0, 1.0]], "loiter_s": 10}

    def paint(px: np.ndarray, t: float) -> None:
        if 5 <= t < 40:
            person(px, 2 + min(t - 5, 5) * 2, 20)  # walks in, then stays

    events = run(pipeline(zones=[lot]), frames(45, paint))
    (start,) = starts(events, "person")
    assert start.zone == "lot"
    assert 15 <= start.t <= 17


def test_person_outside_every_zone_is_not_reported() -> None:
    lot = {"name": "lot", "polygon": [[0.0, 0.0], [1.0, 0.0], [1.0, 0.3], [0.0, 0.3]]}

    def paint(px: np.ndarray, t: float) -> None:
        if 5 <= t < 20:
            person(px, 2 + (t - 5) * 1.5, 20)

    assert starts(run(pipeline(zones=[lot]), frames(25, paint))) == []


def test_covering_the_sensor_is_tamper_and_uncovering_ends_it() -> None:
    def paint(px: np.ndarray, t: float) -> None:
        if 10 <= t < 20:
            px[:] = 30.0 + np.random.default_rng(int(t * 8)).normal(0, 0.1, px.shape)

    events = run(pipeline(), frames(30, paint))
    tamper = [e for e in events if e.type == "tamper"]
    assert [e.phase for e in tamper] == ["start", "end"]
    assert 12 <= tamper[0].t <= 12.5
    assert 20 <= tamper[1].t <= 21
    assert starts(events, "person") == starts(events, "vehicle") == []


def test_garbage_frames_are_counted_and_reported_as_sensor_trouble() -> None:
    def paint(px: np.ndarray, t: float) -> None:
        if 5 <= t < 6:
            px[:] = np.nan
        elif 8 <= t < 9:
            px[:12] = 5000.0  # half the frame out of any physical range

    p = pipeline()
    events = run(p, frames(12, paint))
    trouble = [(e.phase, e.detail.get("reason")) for e in events if e.type == "trouble"]
    assert trouble == [
        ("start", "too-many-bad-pixels"),
        ("end", None),
        ("start", "too-many-bad-pixels"),
        ("end", None),
    ]
    assert p.stats.frames_rejected == 16
    assert starts(events, "person") == []


def test_a_few_dead_pixels_are_patched_not_reported() -> None:
    def paint(px: np.ndarray, t: float) -> None:
        px[3, 4] = np.nan
        px[10, 20] = np.inf

    p = pipeline()
    events = run(p, frames(10, paint))
    assert starts(events) == []
    assert p.stats.bad_pixels == 2 * 80


def test_gray_frames_give_motion_only() -> None:
    def paint(px: np.ndarray, t: float) -> None:
        if 3 <= t < 10:
            x = int(10 + (t - 3) * 8)
            px[40:70, x : x + 12] += 80.0

    from hw.frame import ThermalFrame

    src = (
        ThermalFrame(f.pixels, f.timestamp, f.seq, kind="gray")
        for f in frames(12, paint, shape=(120, 160), base_c=100.0, noise_c=2.0)
    )
    events = run(pipeline(), src)
    assert [(e.type, e.phase) for e in events] == [("motion", "start"), ("motion", "end")]


def test_a_new_sensor_resolution_ends_what_the_old_view_tracked_and_starts_afresh() -> None:
    def paint(px: np.ndarray, t: float) -> None:
        h, w = px.shape
        person(px, 2 + (t % 20) * 1.2 * w / 32, h - 4, height=max(5, h // 5), width=max(2, w // 16))

    p = pipeline()
    first = run_no_finish(p, frames(12, paint))
    later = [
        type(f)(f.pixels, f.timestamp + 12.0, f.seq, f.ambient, f.kind)
        for f in frames(12, paint, shape=(60, 80), seed=1)
    ]
    second = run(p, iter(later))
    still_open = {e.incident for e in first if e.phase == "start"} - {e.incident for e in first if e.phase == "end"}
    assert any(e.type == "person" for e in first)
    ended_at_switch = {e.incident for e in second if e.phase == "end" and e.t == 12.0}
    assert still_open and still_open <= ended_at_switch
    assert any(e.type == "person" and e.phase == "start" and e.t > 12.0 for e in second)


def run_no_finish(p, source):  # type: ignore[no-untyped-def]
    out = []
    for frame in source:
        out.extend(p.process(frame))
    return out


def test_driver_stepping_out_along_a_parked_car_is_a_person_of_their_own() -> None:
    """A car parks; its driver walks along its side, touching its pixels all the way. The car's
    settled outline cuts the driver's pixels away from it, so the driver is reported as a person."""

    def paint(px: np.ndarray, t: float) -> None:
        left = max(8.0, 30.0 - 4.0 * t)  # drives in from the right and stops at column 8
        px[14:19, round(left) : round(left) + 12] += 6.0
        if 12.0 <= t < 24.0:
            person(px, 8 + (t - 12.0) * 1.0, 13, height=5, excess=8.0)  # feet on the car's top row

    events = run(pipeline(), frames(30, paint))
    people = starts(events, "person")
    assert len(people) == 1
    assert 12.0 < people[0].t <= 20.0
    _, y, _, h = people[0].bbox or (0, 0, 0, 0)
    assert y + h <= 14 / 24 + 1e-6  # the driver's box, not the car's


def test_a_driver_beside_a_car_with_a_hot_exhaust_is_a_person_of_their_own() -> None:
    """A car parks with its exhaust 40 °C above the ground, as hot as flames at this range but
    neither growing nor flickering, and the model sure it is no fire. Half a minute later its
    driver walks along its side: the hot spot alone does not keep the car whole (as a car that
    may be burning is kept), so the driver is cut away from it and reported as a person."""

    def paint(px: np.ndarray, t: float) -> None:
        left = round(max(8.0, 30.0 - 4.0 * t))  # drives in from the right and stops at column 8
        px[14:19, left : left + 12] += 6.0
        px[17:19, left + 10 : left + 12] += 40.0  # the exhaust
        if 32.0 <= t < 44.0:
            person(px, 8 + (t - 32.0) * 1.0, 13, height=5, excess=8.0)  # feet on the car's top row

    cfg = config(use_model=True)
    classifier, problem = load_model_for(cfg.detection)
    assert problem is None
    people = starts(run(DetectionPipeline(cfg.detection, classifier), frames(50, paint)), "person")
    assert len(people) == 1
    assert 32.0 < people[0].t <= 40.0
    _, y, _, h = people[0].bbox or (0, 0, 0, 0)
    assert y + h <= 14 / 24 + 1e-6  # the driver's box, not the car's


def test_a_driver_who_steps_out_and_walks_a_few_steps_and_back_is_a_person() -> None:
    """A car parks; its driver steps out above it, walks three pixels along it and back, never
    clear of the spot where they appeared (a person three pixels wide). Someone who came out of a
    parked car and walked is reported; heat that grows in place beside the car is not."""

    def paint(walks: bool):  # type: ignore[no-untyped-def]
        def draw(px: np.ndarray, t: float) -> None:
            left = max(22.0, 40.0 - 4.0 * t)  # drives in from the right and stops at column 22
            px[12:19, round(left) : round(left) + 10] += 12.0
            if walks and 14.0 <= t < 26.0:
                step = 3.0 - abs(3.0 - (t - 14.0) * 0.75) if t < 22.0 else 0.0  # out 3 px and back
                person(px, 28.0 - step, 11, height=5, width=3, excess=8.0)
            elif not walks and t >= 14.0:
                px[8:12, 27:30] += min(8.0, (t - 14.0) * 2.0)  # warms up where it is

        return draw

    people = starts(run(pipeline(), frames(30, paint(walks=True))), "person")
    assert len(people) == 1 and 14.0 < people[0].t <= 22.0
    assert starts(run(pipeline(), frames(30, paint(walks=False))), "person") == []


def test_a_driver_who_gets_out_as_the_car_stops_and_walks_a_few_steps_is_a_person() -> None:
    """A car parks; its driver gets out at once, beside the roofline, before the car has stood
    still long enough for its outline to cut anyone away from it. They walk three pixels along
    the car and back, never clear of where they appeared (a person three pixels wide): someone
    who came out of a car. The same car with nobody getting out gives no person."""

    def paint(driver: bool):  # type: ignore[no-untyped-def]
        def draw(px: np.ndarray, t: float) -> None:
            left = round(max(14.0, 40.0 - 4.0 * t))  # drives in from the right, stops at column 14 at 6.5 s
            px[12:19, left : left + 11] += 12.0  # body
            px[9:12, left + 2 : left + 7] += 9.0  # cabin
            if driver and 7.0 <= t < 19.0:
                step = 3.0 - abs(3.0 - (t - 7.0) * 0.75) if t < 15.0 else 0.0  # out 3 px and back
                person(px, 22.0 + step, 10, height=5, width=3, excess=8.0)

        return draw

    people = starts(run(pipeline(), frames(25, paint(driver=True))), "person")
    assert len(people) == 1 and 7.0 < people[0].t <= 15.0
    assert starts(run(pipeline(), frames(25, paint(driver=False))), "person") == []


def test_someone_who_steps_into_view_and_waits_by_the_edge_is_a_person() -> None:
    """A person steps in from the right edge, two pixels, and waits there for twenty seconds:
    never clear of where they appeared, but plainly a person who came into view. The same person
    half out of view the whole time (as a parked car cut by the frame's edge) is not reported."""

    def paint(steps_in: bool):  # type: ignore[no-untyped-def]
        def draw(px: np.ndarray, t: float) -> None:
            if 5.0 <= t < 25.0:
                x = 31.0 - min(2.0, (t - 5.0) * 2.0) if steps_in else 31.0
                person(px, x, 12, height=5, width=2, excess=8.0)

        return draw

    from firmware.pipeline import build_pipeline

    def with_model() -> DetectionPipeline:  # physics alone is never quite that sure
        return build_pipeline(config(use_model=True))

    people = starts(run(with_model(), frames(30, paint(steps_in=True))), "person")
    assert len(people) == 1 and 5.0 < people[0].t <= 10.0
    assert starts(run(with_model(), frames(30, paint(steps_in=False))), "person") == []


def test_a_fox_whose_blob_passes_for_a_person_but_holds_a_fraction_of_the_heat_is_no_person() -> None:
    """Blurred and thresholded, a fox at a few metres makes a blob of a far person's size; the
    heat it holds does not add up to a clothed body's area at that range, a person's does."""

    def walker(height: int, excess: float):  # type: ignore[no-untyped-def]
        def paint(px: np.ndarray, t: float) -> None:
            if 5.0 <= t < 25.0:
                person(px, 3 + (t - 5.0) * 1.2, 18, height=height, width=2, excess=excess)

        return paint

    assert len(starts(run(pipeline(), frames(30, walker(5, 12.0), base_c=5.0)), "person")) == 1
    assert starts(run(pipeline(), frames(30, walker(3, 3.0), base_c=5.0)), "person") == []


def test_a_full_lot_of_parked_cars_does_not_hold_back_a_person() -> None:
    """Three cars park (together a quarter of the view, tracked as vehicles); a person then walks
    across. Parked cars the pipeline already tracks are not a changing scene: the person is reported."""

    def paint(px: np.ndarray, t: float) -> None:
        for k, row in enumerate((2, 8, 14)):
            left = max(1.0 + 10 * k, 40.0 - 5.0 * (t - 2 * k))
            if left < 32:
                px[row : row + 5, round(left) : round(left) + 11] += 6.0
        if 25.0 <= t < 40.0:
            person(px, 30 - (t - 25.0) * 1.5, 23, height=4, excess=8.0)

    events = run(pipeline(), frames(45, paint))
    people = starts(events, "person")
    assert len(people) == 1 and 25.0 < people[0].t <= 32.0


def test_a_car_coming_in_close_does_not_hold_back_the_person_walking_past_it() -> None:
    """A car drives in near the camera (one solid blob, a quarter of the view) while someone walks
    along the top of the view for 10 s. The car is one object, not the scene changing (rain, a
    cloud's shadow), so the person is reported while they are in view."""

    def paint(px: np.ndarray, t: float) -> None:
        if t >= 2.0:
            left = max(12.0, 32.0 - 12.0 * (t - 2.0))
            px[12:22, round(left) : round(left) + 18] += 7.0
        if 3.0 <= t < 13.0:
            person(px, 1.0 + (t - 3.0) * 1.5, 7, height=4, excess=8.0)

    people = starts(run(pipeline(), frames(20, paint)), "person")
    assert len(people) == 1 and 3.0 < people[0].t <= 8.0


def test_a_wide_change_of_many_blobs_still_holds_back_new_incidents() -> None:
    """Rain sets in: a dozen small blobs all over the view at once. Nothing is reported while
    the scene settles, though some of them wander like people would."""

    def paint(px: np.ndarray, t: float) -> None:
        if t >= 2.0:
            for k in range(12):
                x = (3 + 8 * (k % 4) + 0.8 * (t - 2.0) * (1 if k % 2 else -1)) % 31
                px[2 + 7 * (k // 4) : 6 + 7 * (k // 4), round(x) : round(x) + 2] += 6.0

    events = run(pipeline(), frames(12, paint))
    assert not starts(events, "person") and not starts(events, "vehicle")


def test_a_person_walking_away_from_a_warm_thing_beside_them_is_not_held_by_it() -> None:
    """Someone steps away from a warm thing on the ground (a bag, a motorbike) that touched them
    for a moment: the fragment rule must not keep the two in one ever-wider box."""

    def paint(px: np.ndarray, t: float) -> None:
        if t >= 2.0:
            px[4:6, 1:3] += 6.0
        if 6.0 <= t < 26.0:
            person(px, 2.0 + (t - 6.0) * 1.2, 7, height=4, excess=8.0)

    people = starts(run(pipeline(), frames(30, paint)), "person")
    assert len(people) == 1 and 6.0 < people[0].t <= 11.0
    assert people[0].bbox is not None and people[0].bbox[2] <= 3 / 32  # the person's width, not the span


def test_a_vehicle_track_that_walks_off_as_a_person_becomes_a_person_incident() -> None:
    """The tracker may follow a driver rather than their small, far car as they step out: once
    that track is plainly someone walking, the vehicle incident ends and a person one starts; a
    parked car whose look merely drifts towards 'person' keeps its vehicle incident."""

    def run_book(walks: bool) -> list[tuple[str, str]]:
        book = IncidentBook(DetectionSection(use_model=False), zones_configured=False)
        tracker = Tracker()
        seen: list[tuple[str, str]] = []
        for i in range(30 * 8):
            t = i / 8
            x = 2.0 + min(t, 5.0) * 2.0 + (max(0.0, t - 15.0) * 1.0 if walks else 0.0)
            blob = Blob(math.floor(x), 10, math.floor(x) + 4, 14, 12, x + 2, 12.0, 5.0, 6.0, 16.0, x + 2, 12.0, 0, 1.0)
            (track,), _ = tracker.update([blob], t)
            person = t >= 15.0
            book.observe(track, np.array([0.85, 0.1, 0.0, 0.05] if person else [0.05, 0.9, 0.0, 0.05]), t)
            seen += [(e.type, e.phase) for e in book.decide(track, None, t, (24, 32), thermal=True)]
        return seen

    assert run_book(walks=True) == [("vehicle", "start"), ("vehicle", "end"), ("person", "start")]
    assert run_book(walks=False) == [("vehicle", "start")]


def test_a_parked_cars_track_does_not_jump_onto_a_speck_beside_it() -> None:
    """In the rain a parked car's outline may vanish for a frame while a speck shows a few
    pixels off. The car's track, still for long, does not follow the speck (it would carry the
    car's look there and walk it off as if the car had moved): the speck is a track of its own.
    A track that has only just stopped still takes the speck over, as in the test above."""

    def after_speck(still_frames: int) -> tuple[int, int]:
        tracker = Tracker()
        for i in range(still_frames):
            (car,), _ = tracker.update([box_blob(0, 9, 14, 16)], i / 8)
        live, _ = tracker.update([box_blob(3, 3, 4, 5)], still_frames / 8)
        return len(live), car.box[2]

    assert after_speck(still_frames=12 * 8) == (2, 14)
    assert after_speck(still_frames=3 * 8) == (1, 4)
