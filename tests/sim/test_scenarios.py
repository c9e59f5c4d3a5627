"""Scenarios: reproducible by seed, varied across seeds, labels that agree with the ground truth."""

from __future__ import annotations

import numpy as np
import pytest

from hw.recording import LabelEvent
from hw.sim import SCENARIOS, Scenario, UnknownScenario
from hw.sim.labels import GLIMPSE_PX, LABEL_GAP_S, MIN_SEEN_S

REQUIRED = {
    "empty-night",
    "person-loitering",
    "person-walking",
    "car-arrival",
    "car-fire",
    "sun-heated-lot",
    "rain",
    "barbecue",
    "people-and-cars",
    "demo",
}


def test_every_required_scenario_exists_with_a_description() -> None:
    assert set(SCENARIOS) >= REQUIRED
    assert all(spec.description and spec.length_s > 0 for spec in SCENARIOS.values())


def test_unknown_scenario_is_a_clear_error() -> None:
    with pytest.raises(UnknownScenario, match=r"unknown scenario 'nope'.*car-fire"):
        Scenario("nope")


def test_same_seed_gives_identical_frames_and_labels() -> None:
    a = Scenario("person-walking", seed=5).render(20, with_truth=False)
    b = Scenario("person-walking", seed=5).render(20, with_truth=False)
    np.testing.assert_array_equal(a.frames, b.frames)
    assert Scenario("people-and-cars", seed=5).labels() == Scenario("people-and-cars", seed=5).labels()


def test_different_seeds_give_different_scenes() -> None:
    frames = [Scenario("empty-night", seed=s).render(2, with_truth=False).frames for s in (1, 2, 3)]
    medians = {round(float(np.median(f)), 1) for f in frames}
    assert len(medians) == 3
    labels = {tuple((e.type, e.start) for e in Scenario("car-arrival", seed=s).labels()) for s in range(1, 5)}
    assert len(labels) == 4


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_labels_match_per_frame_ground_truth(name: str) -> None:
    sc = Scenario(name, seed=11)
    seconds = min(sc.length_s, 150.0)
    r = sc.render(seconds)
    assert r.truth is not None and len(r.truth) == len(r.frames)
    labels = sc.labels(seconds)
    fps = 8.0
    for kind in ("fire", "person", "vehicle"):
        truth_on = np.array([any(o.cls == kind and o.labelled and o.visible for o in objs) for objs in r.truth])
        glimpsed = np.array(
            [any(o.cls == kind and o.labelled and o.visible_area_px >= GLIMPSE_PX for o in objs) for objs in r.truth]
        )
        label_on = np.zeros(len(r.frames), bool)
        ignore_on = np.zeros(len(r.frames), bool)
        for e in labels:
            if e.type == kind:
                end = len(r.frames) if e.end is None else round(e.end * fps) + 1
                (ignore_on if e.ignore else label_on)[round(e.start * fps) : end] = True
                if not e.ignore:
                    assert truth_on[round(e.start * fps) : end].sum() >= MIN_SEEN_S.get(kind, 0.0) * fps
        assert not (truth_on & ~label_on & ~ignore_on).any(), f"{kind} seen in truth but not labelled"
        assert not (glimpsed & ~truth_on & ~ignore_on & ~label_on).any(), f"{kind} glimpsed but not marked ignore"
        # label frames without a visible object are only the short gaps merged into one interval
        gaps = label_on & ~truth_on
        assert gaps.sum() <= sum(1 for e in labels if e.type == kind) * LABEL_GAP_S * fps * 3


def test_scenarios_contain_what_their_names_promise() -> None:
    def kinds(name: str, seed: int) -> set[str]:
        return {e.type for e in Scenario(name, seed=seed).labels()}

    for seed in (1000, 1001, 1002):
        assert kinds("empty-night", seed) == set()
        assert "person" in kinds("person-loitering", seed)
        assert "person" in kinds("person-walking", seed)
        assert "vehicle" in kinds("car-arrival", seed)
        assert "fire" in kinds("car-fire", seed)
        assert "fire" not in kinds("barbecue", seed)
        assert kinds("demo", seed) >= {"person", "vehicle", "fire"}


def test_demo_tells_its_story_in_order() -> None:
    labels = Scenario("demo", seed=0).labels()
    first = {kind: min(e.start for e in labels if e.type == kind) for kind in ("person", "vehicle", "fire")}
    assert first["person"] < first["vehicle"] < first["fire"] < 180.0


def test_loiterer_stays_long_and_walkers_pass_quickly() -> None:
    loiter = [e for e in Scenario("person-loitering", seed=1003).labels() if e.type == "person"]
    walk = [e for e in Scenario("person-walking", seed=1003).labels() if e.type == "person"]
    span = max((e.end or 300.0) for e in loiter) - min(e.start for e in loiter)
    assert span > 60.0
    assert all((e.end or 120.0) - e.start < 60.0 for e in walk)


@pytest.mark.parametrize("shape", [(24, 32), (60, 80), (120, 160)])
def test_other_resolutions_render_the_same_lot(shape: tuple[int, int]) -> None:
    r = Scenario("car-fire", seed=4, shape=shape).render(1, with_truth=False)
    assert r.frames.shape[1:] == shape and r.frames.dtype == np.float32
    assert Scenario("car-fire", seed=4, shape=shape).labels() == Scenario("car-fire", seed=4).labels()


def test_ground_truth_boxes_hold_what_the_frame_shows() -> None:
    sc = Scenario("car-fire", seed=1004)
    fire_start = next(e.start for e in sc.labels() if e.type == "fire")
    r = sc.render(fire_start + 90.0)
    assert r.truth is not None
    frame, objects = r.frames[-1], r.truth[-1]
    fire = next(o for o in objects if o.cls == "fire")
    row, col = np.unravel_index(np.argmax(frame), frame.shape)
    rows, cols = fire.pixel_slice
    assert rows.start - 1 <= row < rows.stop + 1 and cols.start - 1 <= col < cols.stop + 1
    assert fire.apparent_temp_c > np.median(frame) + 20.0
    assert fire.true_temp_c > fire.apparent_temp_c


def test_people_read_warmer_than_the_night_lot_but_cooler_than_their_clothes() -> None:
    sc = Scenario("person-walking", seed=1005)
    r = sc.render()
    assert r.truth is not None
    seen = [
        (o, f)
        for f, objs in zip(r.frames, r.truth, strict=True)
        for o in objs
        if o.cls == "person" and o.visible_fraction > 0.9
    ]
    assert seen
    for person, frame in seen:
        assert np.median(frame) < person.apparent_temp_c < person.true_temp_c


def test_narrower_field_of_view_magnifies_the_same_scene() -> None:
    wide = Scenario("person-walking", seed=1006)
    narrow = Scenario("person-walking", seed=1006, fov_deg=(40.0, 26.0))
    t = next(e.start for e in wide.labels() if e.type == "person") + 1.0

    def width(sc: Scenario) -> float:
        r = sc.render(t + 5.0)
        assert r.truth is not None
        return max(o.bbox[2] - o.bbox[0] for objs in r.truth for o in objs if o.cls == "person")

    assert width(narrow) > width(wide)


def test_a_person_under_one_pixel_in_view_is_not_counted_but_a_fire_is() -> None:
    """The label rule's resolution floor: less than a pixel's worth of a person cannot be told
    from a cat; a small fire at distance is exactly what must be found."""
    from hw.sim.render import GroundTruthObject

    def obj(cls: str, area: float) -> GroundTruthObject:
        return GroundTruthObject(0, cls, (0, 0, 1, 2), 1.0, area, 20.0, 30.0, 28.0, True)  # type: ignore[arg-type]

    assert not obj("person", 0.8).visible
    assert obj("person", 1.2).visible
    assert obj("fire", 0.3).visible


def test_a_person_showing_for_under_a_second_at_a_time_is_a_glimpse_not_a_label() -> None:
    """A loiterer at the far edge who shows for a few frames at a time (0.1–0.4 s, well apart):
    those moments lie in ``ignore`` intervals, neither misses nor false alarms, and in no label;
    every person label holds at least ``MIN_SEEN_S`` of them in view."""
    sc = Scenario("person-loitering", seed=7001)
    fps, seconds = 8.0, 150
    labels = [e for e in sc.labels(seconds, fps=fps) if e.type == "person"]
    r = sc.render(seconds)
    assert r.truth is not None
    seen = np.array([any(o.cls == "person" and o.labelled and o.visible for o in objs) for objs in r.truth])

    def frames(e: LabelEvent) -> slice:
        return slice(round(e.start * fps), len(seen) if e.end is None else round(e.end * fps) + 1)

    scored = np.zeros_like(seen)
    ignored = np.zeros_like(seen)
    for e in labels:
        (ignored if e.ignore else scored)[frames(e)] = True
        if not e.ignore:
            assert seen[frames(e)].sum() >= MIN_SEEN_S["person"] * fps
    late = np.arange(len(seen)) >= 60 * fps  # after the first minute: only glimpses
    assert 3 <= (seen & late).sum() < 4 * MIN_SEEN_S["person"] * fps
    assert ignored[seen & late].all() and not scored[seen & late].any()


def test_every_person_label_of_a_whole_recording_is_seen_in_its_frames() -> None:
    """The labels are worked out apart from the frames; they must agree over a whole recording.

    In held-out seed 6004 a driver is hidden by their car in the frames from 106 s to 110 s; the
    labels once said otherwise (worked out in blocks of another size than the frames were painted
    in, which changed who hid whom) and the evaluation scored a miss for someone nobody could see.
    """
    sc = Scenario("people-and-cars", seed=6004)
    fps = 8.0
    r = sc.render(fps=fps)
    assert r.truth is not None
    seen = np.array([any(o.cls == "person" and o.labelled and o.visible for o in objs) for objs in r.truth])
    covered = np.zeros(len(seen), bool)
    for e in sc.labels(fps=fps):
        if e.type == "person":
            end = len(seen) if e.end is None else round(e.end * fps) + 1
            covered[round(e.start * fps) : end] = True
            if not e.ignore:
                assert seen[round(e.start * fps) : end].sum() >= MIN_SEEN_S["person"] * fps, e
    assert not (seen & ~covered).any(), "a person in the frames is in no label interval"
