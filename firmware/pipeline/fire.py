"""Fire evidence for one track: no single threshold decides.

A small fire at distance reads like warm asphalt (mixed pixels), while a sun-heated roof or a
hot exhaust reads hot but neither grows nor flickers. So the evidence is gathered over the
confirmation window (``fire_confirm_s``, counted from when the object first appeared) and
combines:

* **rise**: how far the hottest pixel is above the background;
* **growth**: the heat mass at the end of the window against its start. Heat mass counts only
  what is more than 5 °C above the background, so people and car bodies merging into a blob do
  not make it grow;
* **flicker**: how much the hottest pixel jumps from frame to frame beyond a smooth trend (the
  second difference, in °C): flames flicker at 1–10 Hz, a smouldering hood or a cooling engine
  changes smoothly;
* **persistence**: the object stayed still for the whole window, and its hottest point stayed
  put (a blob of people and cars has its hottest point wander; fires don't drive); one that
  drove in must have stood still for ``PARKED_S`` first (it arrives with a hot, pulsing exhaust
  and a hood that then cools: no growth), so a car that parks and later catches fire is found;
* **model**: the classifier's fire probability, when a model is loaded.

A barbecue is hot but steady and small; a hot engine is stationary but cools (shrinks); a person
is neither hot nor growing. A growing car fire has all of rise, growth, flicker and persistence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from firmware.pipeline.tracker import Sample, Track

RISE_MIN_C = 6.0
RISE_FULL_C = 30.0
GROWTH_FULL = 2.0  # heat mass doubling over the window gives full growth evidence
FIRE_GROWTH = 0.3  # growth evidence a fire shows: its heat mass up by a quarter (2^0.3) over the window
FLICKER_NOISE_C = 0.5
FLICKER_FULL_C = 4.0
FLICKER_QUANTILE = 0.75  # flames need to fill only the last quarter of the window
LONG_LOOK_S = 10.0
PARKED_S = 20.0  # a car that drove in counts as parked, and may burn, after standing this long
MIN_GROWTH_MASS = 10.0  # °C·px: growth from next to nothing is noise, not a fire
SCORE_TO_CONFIRM = 0.5
MAY_BURN_SCORE = 0.2  # a parked car with more fire evidence than this is kept whole (not cut)
MODEL_VETO = 0.05
MODEL_OVERRULED_S = 12.0  # 3× the default confirmation time


@dataclass(frozen=True, slots=True)
class FireEvidence:
    rise: float
    growth: float
    flicker: float
    persistent: bool
    model: float | None
    score: float

    @property
    def physics_says_fire(self) -> bool:
        return (
            self.persistent
            and self.rise >= 0.3
            and self.growth >= FIRE_GROWTH
            and self.flicker >= 0.15
            and self.score >= SCORE_TO_CONFIRM
        )

    @property
    def may_be_burning(self) -> bool:
        """Some fire evidence, and flicker or flame heat among it: a driver stepping out of a
        parked car makes its blob grow, but neither makes its hottest point jump nor heats it
        ``RISE_FULL_C`` above the ground. Flame heat that neither flickers nor grows like a fire,
        on a car the model is sure is not burning, is a hot exhaust (a car that has just parked
        shows one for minutes) and does not count on its own."""
        flame_heat = self.rise >= 1.0 and (not self.model_objects or self.growth >= FIRE_GROWTH)
        return self.score > MAY_BURN_SCORE and (self.flicker > 0.0 or flame_heat)

    @property
    def model_objects(self) -> bool:
        """The model, when loaded, is sure this is no fire (a car with people around it, an
        idling exhaust): the physics alone must then hold for ``MODEL_OVERRULED_S``."""
        return self.model is not None and self.model < MODEL_VETO

    def as_detail(self) -> dict[str, float]:
        d = {"rise": self.rise, "growth": self.growth, "flicker": self.flicker, "score": self.score}
        if self.model is not None:
            d["model"] = self.model
        return {k: round(v, 3) for k, v in d.items()}


def _growth(start: float, end: float) -> float:
    if end <= start or end - start < MIN_GROWTH_MASS:
        return 0.0
    return _clip01(math.log(end / start) / math.log(GROWTH_FULL))


def _peak_stays(samples: list[Sample], radius: float) -> bool:
    """At least 80 % of the window's hottest points lie within ``radius`` px of their median."""
    xs = sorted(s.peak_x for s in samples)
    ys = sorted(s.peak_y for s in samples)
    mx, my = xs[len(xs) // 2], ys[len(ys) // 2]
    near = sum(1 for s in samples if math.hypot(s.peak_x - mx, s.peak_y - my) <= radius)
    return near >= 0.8 * len(samples)


def _clip01(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


def fire_evidence(
    track: Track, t: float, window_s: float, model_fire: float | None, *, still_px: float = 1.5
) -> FireEvidence | None:
    """The evidence over the last ``window_s`` seconds, or None while the track is younger than that."""
    if t - track.first_t < window_s * 0.95 or track.history[-1].peak_excess < RISE_MIN_C:
        return None
    if track.still_for(t) < window_s * 0.95 or (track.displaced and track.still_for(t) < PARKED_S):
        return None  # it moves or just arrived: not a fire, and not worth the arithmetic below
    samples = [s for s in track.history if s.t >= t - window_s]
    if len(samples) < 4:
        return None
    peak = max(s.peak_excess for s in samples)
    rise = _clip01((peak - RISE_MIN_C) / (RISE_FULL_C - RISE_MIN_C)) if peak >= RISE_MIN_C else 0.0
    masses = [max(s.warm_mass, 0.5) for s in samples]
    q = max(1, len(masses) // 3)  # thirds: long enough to average out an idling exhaust's pulses
    start, end = sum(masses[:q]) / q, sum(masses[-q:]) / q
    growth = _growth(start, end)
    # a fire that starts slowly (hot hood first, flames at the frame's edge) shows its growth over
    # a longer look back than the confirmation window
    before = [max(s.warm_mass, 0.5) for s in track.history if t - LONG_LOOK_S - 2.0 <= s.t <= t - LONG_LOOK_S]
    settled = t - track.first_t >= LONG_LOOK_S + window_s  # not the first frames of a new object
    if before and settled and track.still_for(t) >= LONG_LOOK_S:
        growth = max(growth, _growth(sum(before) / len(before), end))
    peaks = [s.peak_excess for s in samples]
    jumps = sorted(abs(b - 0.5 * (a + c)) for a, b, c in zip(peaks, peaks[1:], peaks[2:], strict=False))
    level = jumps[min(len(jumps) - 1, int(FLICKER_QUANTILE * len(jumps)))] if jumps else 0.0
    flicker = _clip01((level - FLICKER_NOISE_C) / (FLICKER_FULL_C - FLICKER_NOISE_C))
    # standing still long enough (and parked long enough, if it drove in) was checked above
    persistent = math.hypot(track.vx, track.vy) < 0.5 and _peak_stays(samples, still_px)
    weights = {"rise": 0.2, "growth": 0.4, "flicker": 0.2}
    parts = {"rise": rise, "growth": growth, "flicker": flicker}
    if model_fire is not None:
        weights["model"] = 0.2
        parts["model"] = model_fire
    score = sum(weights[k] * parts[k] for k in weights) / sum(weights.values())
    return FireEvidence(rise, growth, flicker, persistent, model_fire, score)
