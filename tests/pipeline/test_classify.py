"""Physics of the person / fire look on hand-built scenes (rules only, no model)."""

from __future__ import annotations

import numpy as np

from tests.pipeline.scenes import frames, person, pipeline, run, starts


def _walker_on(ground_c: float, body_c: float) -> list:
    """Events for someone ``body_c`` warm walking across ground at ``ground_c`` for 12 s."""

    def paint(px: np.ndarray, t: float) -> None:
        person(px, 2.0 + 1.5 * t, foot_row=16, excess=body_c - ground_c)

    return run(pipeline(), frames(12.0, paint, base_c=ground_c))


def test_someone_walking_on_frozen_ground_is_a_person_not_a_hot_object() -> None:
    """On −15 °C ground a clothed body reads 27 °C warmer, more than a hot engine does against
    mild ground, yet no warmer than skin: a person, not something too hot to be one."""
    events = _walker_on(ground_c=-15.0, body_c=12.0)
    assert len(starts(events, "person")) == 1


def test_a_person_sized_blob_hotter_than_skin_is_no_person() -> None:
    """The same blob at 40 °C on the same ground is hotter than anyone reads: a hot part of a car
    or a heater carried across, never a person."""
    events = _walker_on(ground_c=-15.0, body_c=40.0)
    assert starts(events, "person") == []
