"""The evaluation's matching rule and summary figures, on events and labels written by hand."""

from __future__ import annotations

from firmware.evaluation.matching import match
from firmware.evaluation.metrics import nearest_rank, summarise, table
from firmware.events import Event
from hw.recording import LabelEvent


def start(type_: str, t: float) -> Event:
    return Event(type_, "start", t)  # type: ignore[arg-type]


def test_event_inside_label_window_matches_and_outside_is_a_false_alarm() -> None:
    labels = [LabelEvent("person", 10.0, 20.0), LabelEvent("fire", 50.0, None)]
    events = [
        start("person", 12.5),  # detects the person, 2.5 s late
        start("person", 24.0),  # within the 5 s grace after the label's end: not a false alarm
        start("person", 30.0),  # nobody there: false alarm
        start("vehicle", 15.0),  # wrong type for the person label: false alarm
        start("fire", 53.0),  # open-ended label lasts to the end of the recording
        start("motion", 40.0),  # never scored
    ]
    r = match("rec", events, labels, duration_s=100.0)
    assert [(lb.type, lb.detected, lb.time_to_detect) for lb in r.labels] == [
        ("person", True, 2.5),
        ("fire", True, 3.0),
    ]
    assert r.false_alarms == [("person", 30.0), ("vehicle", 15.0)]
    assert r.unscored_counts() == {"motion": 1}


def test_event_long_before_the_label_does_not_count() -> None:
    r = match("rec", [start("fire", 40.0)], [LabelEvent("fire", 50.0, 60.0)], duration_s=100.0)
    assert not r.labels[0].detected
    assert r.false_alarms == [("fire", 40.0)]


def test_summary_recall_false_alarms_per_hour_and_quantiles() -> None:
    results = [
        match(f"p{i}", [start("person", 10.0 + i)], [LabelEvent("person", 10.0, 30.0)], duration_s=1800.0)
        for i in range(4)
    ]
    results.append(match("missed", [], [LabelEvent("person", 10.0, 30.0)], duration_s=1800.0))
    results.append(match("nuisance", [start("person", 5.0), start("fire", 9.0)], [], duration_s=3600.0))
    s = summarise(results)
    person = s.by_type("person")
    assert (person.labels, person.detected, person.recall) == (5, 4, 0.8)
    assert person.false_alarms == 1 and person.false_alarms_nuisance == 1
    assert abs(person.false_alarms_per_hour - 1 / 3.5) < 1e-9
    assert person.ttd_median_s == 1.5 and person.ttd_p95_s == 3.0
    assert s.by_type("fire").recall is None and s.by_type("fire").false_alarms_nuisance == 1
    assert s.nuisance_hours == 1.0
    assert "person" in table(s) and "80.0%" in table(s)


def test_nearest_rank_returns_a_value_that_occurred() -> None:
    values = [float(v) for v in range(1, 21)]
    assert nearest_rank(values, 0.95) == 19.0
    assert nearest_rank(values, 0.5) == 10.0
    assert nearest_rank([], 0.5) is None


def test_incident_still_open_at_a_later_label_detects_it_at_once() -> None:
    first = Event("person", "start", 12.0, incident="a")
    end = Event("person", "end", 40.0, incident="a")
    labels = [LabelEvent("person", 11.0, 14.0), LabelEvent("person", 18.0, 30.0), LabelEvent("person", 45.0, 50.0)]
    r = match("rec", [first, end], labels, duration_s=60.0)
    assert [(lb.detected, lb.time_to_detect) for lb in r.labels] == [(True, 1.0), (True, 0.0), (False, None)]
    assert r.false_alarms == []


def test_an_ignore_label_is_neither_missed_nor_a_false_alarm_when_reported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A person too small to resolve (an ``ignore`` label): reporting them is no false alarm,
    not reporting them no miss; a report elsewhere is still a false alarm. The flag survives a
    round trip through ``labels.json``."""
    from hw.recording import load_labels, save_labels

    path = tmp_path / "rec.npz"
    save_labels(path, [LabelEvent("person", 10.0, 20.0, ignore=True), LabelEvent("person", 60.0, 70.0)])
    labels = load_labels(path)
    assert labels is not None and [lb.ignore for lb in labels] == [True, False]
    reported = match("rec", [start("person", 15.0), start("person", 40.0), start("person", 61.0)], labels, 100.0)
    assert [(lb.start, lb.detected) for lb in reported.labels] == [(60.0, True)]
    assert reported.false_alarms == [("person", 40.0)]
    quiet = match("rec", [start("person", 61.0)], labels, 100.0)
    assert [(lb.start, lb.detected) for lb in quiet.labels] == [(60.0, True)]
    assert quiet.false_alarms == []
