"""Someone lost for a moment, behind a parked car or merged into its blob, and the new track
that continues them: one person, one incident (``DetectionPipeline._continue_people``,
``IncidentBook.pass_on``)."""

from __future__ import annotations

import numpy as np
import pytest

from firmware.config.detection import DetectionSection
from firmware.events import Event
from firmware.pipeline.continuation import CONTINUE_S
from firmware.pipeline.incidents import IncidentBook
from firmware.pipeline.tracker import Tracker
from tests.pipeline.scenes import Painter, box_blob, frames, person, pipeline, run, starts


def test_someone_gone_longer_than_a_new_track_may_continue_them_is_two_incidents() -> None:
    def paint(px: np.ndarray, t: float) -> None:
        if 5 <= t < 12 or 18 <= t < 25:
            person(px, 2 + (t % 13) * 1.5, 20)

    events = run(pipeline(track_gap_s=2.0), frames(30, paint))
    assert [e.phase for e in events if e.type == "person"] == ["start", "end", "start", "end"]


def _walker(hidden: tuple[float, float], *, leaves: float = 22.0, speed: float = 1.5) -> Painter:
    """Someone walking right along row 18 from t = 4 s, out of sight in ``hidden``, gone at ``leaves``."""

    def paint(px: np.ndarray, t: float) -> None:
        if 4.0 <= t < leaves and not hidden[0] <= t < hidden[1]:
            person(px, 1.0 + (t - 4.0) * speed, 18, height=5, excess=8.0)

    return paint


def _person_events(paint: Painter, seconds: float) -> list[Event]:
    return [e for e in run(pipeline(track_gap_s=2.0), frames(seconds, paint)) if e.type == "person"]


@pytest.mark.parametrize("hidden_s", [2.5, 3.5])
def test_someone_hidden_behind_a_parked_car_for_a_moment_is_one_incident(hidden_s: float) -> None:
    """Hidden 2.5 s, longer than a track may coast, or 3.5 s, longer than the 3 s a new track
    was once given to continue them: the new track where they come out, where they were heading,
    continues them, incident and all. The operator gets one person, not a second start for the
    same one after a second confirmation."""
    people = _person_events(_walker((12.0, 12.0 + hidden_s)), 26)
    assert [e.phase for e in people] == ["start", "end"]
    assert people[1].t >= 22.0  # over once they have left, not when they went behind the car


def test_someone_who_comes_out_while_their_track_still_coasts_is_one_incident() -> None:
    """Their last glimpse going behind a pillar does not show where they were going, so their
    track coasts where they are not and a new track starts where they come out: it takes their
    incident over from the coasting one."""
    people = _person_events(_walker((9.0, 10.5), leaves=14.0, speed=2.0), 18)
    assert [e.phase for e in people] == ["start", "end"]


def test_a_person_gone_for_good_is_over_once_no_new_track_could_continue_them() -> None:
    """Their incident is held only as long as a new track may still take it over (CONTINUE_S
    after they were last seen), and the unit's outputs with it; a recording or a run that stops
    meanwhile still ends it."""
    people = _person_events(_walker((99.0, 99.0), leaves=12.0), 26)
    assert [e.phase for e in people] == ["start", "end"]
    assert 12.0 + 2.0 <= people[1].t <= 12.0 + CONTINUE_S + 0.25
    stopped = _person_events(_walker((99.0, 99.0), leaves=12.0), 13.5)
    assert [e.phase for e in stopped] == ["start", "end"]


def test_a_track_that_took_over_a_person_and_turns_out_to_be_a_car_reports_the_car() -> None:
    """Someone gets into a parked car, which drives off where they vanished: the new track takes
    over their person incident, then reads as a car. The person incident ends and the car's
    starts. A new track that goes on reading as a person keeps the incident, and says nothing; so
    does one that reads as a person for a few seconds on its own, then as a car (someone whose
    blob merges with the barbecue or the car they stand by): they are still that person."""
    person_probs, car_probs = np.array([0.85, 0.1, 0.0, 0.05]), np.array([0.05, 0.9, 0.0, 0.05])

    def run_book(car: bool, car_after_s: float = 0.0) -> list[tuple[str, str]]:
        book = IncidentBook(DetectionSection(use_model=False), zones_configured=False)
        tracker, seen = Tracker(), []
        for i in range(8 * 8):
            t = i / 8
            x = 2 + round(t)
            (walker,), _ = tracker.update([box_blob(x, 10, x + 2, 15)], t)
            book.observe(walker, person_probs, t)
            seen += [(e.type, e.phase) for e in book.decide(walker, None, t, (24, 32), thermal=True)]
        lost = book.states[walker.id]
        incident = lost.incidents["object"].id
        seen += [(e.type, e.phase) for e in book.close(walker.id, 8.0, None, hold_person_until=10.0)]
        tracker = Tracker()
        for i in range(round((car_after_s + 8) * 8)):
            t = 9.0 + i / 8
            x = 10 + round(i / 8)
            (new,), _ = tracker.update([box_blob(x, 9, x + (6 if car else 2), 15)], t)
            if i == 0:
                assert book.pass_on(incident, lost, new)
            book.observe(new, car_probs if car and t - 9.0 >= car_after_s else person_probs, t)
            seen += [(e.type, e.phase) for e in book.decide(new, None, t, (24, 32), thermal=True)]
        return seen

    assert run_book(car=True) == [("person", "start"), ("person", "end"), ("vehicle", "start")]
    assert run_book(car=False) == [("person", "start")]
    assert run_book(car=True, car_after_s=5.0) == [("person", "start")]


def test_a_new_track_that_continues_a_sliver_cut_by_the_side_is_cut_too() -> None:
    """A sliver cut by the side of the view (a car parked half out of it, smoke) reads as a
    person for a minute and is never reported, being cut that long (SIDE_CUT_S). When it is lost
    and comes back as a new track, the new track carries on how long it has been cut with its
    look, and is not reported either; someone who was clear of the side is."""
    probs = np.array([0.85, 0.1, 0.0, 0.05])

    def run_book(x: int) -> list[tuple[str, str]]:
        book = IncidentBook(DetectionSection(use_model=False), zones_configured=False)
        tracker, seen = Tracker(), []
        for i in range(60 * 8):
            t = i / 8
            y = 2 + (i // 16) % 3
            (old,), _ = tracker.update([box_blob(x, y, x + 1, y + 6)], t)
            book.observe(old, probs, t)
            seen += [(e.type, e.phase) for e in book.decide(old, None, t, (24, 32), thermal=True)]
        lost, tracker = book.states[old.id], Tracker()
        seen += [(e.type, e.phase) for e in book.close(old.id, 60.0, None)]
        for i in range(3 * 8):
            t = 61.0 + i / 8
            (new,), _ = tracker.update([box_blob(x, 8 + i // 2, x + 1, 14 + i // 2)], t)
            if i == 0:
                book.state(new).carry_on_from(lost)
            book.observe(new, probs, t)
            seen += [(e.type, e.phase) for e in book.decide(new, None, t, (24, 32), thermal=True)]
        return seen

    assert run_book(31) == []
    assert run_book(20) == [("person", "start")]


def test_a_person_seen_in_short_glimpses_between_cars_is_reported() -> None:
    """Someone walks along a row of parked cars, visible 2.5 s at a time between them and hidden
    2.5 s behind each (longer than a track may coast): each glimpse is shorter than a 3 s
    confirmation, but every new track where they were heading carries their evidence on."""

    def paint(px: np.ndarray, t: float) -> None:
        if 5.0 <= t < 17.5 and (t - 5.0) % 5.0 < 2.5:
            person(px, 2.0 + (t - 5.0) * 1.5, 18, height=5, excess=8.0)

    people = starts(run(pipeline(person_confirm_s=3.0), frames(20, paint)), "person")
    assert len(people) == 1 and 10.0 <= people[0].t <= 17.5
