"""Fire evidence for one track: no single threshold decides.

A small fire at distance reads like warm asphalt (mixed pixels), while a sun-heated roof or a
hot exhaust reads hot but neither grows nor flickers. So the evidence is gathered over the
confirmation window (``fire_confirm_s``, counted from when the object first appeared) and
combines:

* **rise**: how far the hottest pixel is above the background;
* **growth**: the heat mass (Σ excess over the blob) at the end of the window against its start;
* **flicker**: frame-to-frame change of the heat mass, relative to it, beyond sensor noise;
* **persistence**: the object stayed in place for the whole window (cars drive in, fires don't);
* **model**: the classifier's fire probability, when a model is loaded.

A barbecue is hot but steady and small; a hot engine is stationary but cools (shrinks); a person
is neither hot nor growing. A growing car fire has all of rise, growth, flicker and persistence.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from firmware.pipeline.tracker import Track

RISE_MIN_C = 6.0
RISE_FULL_C = 30.0
GROWTH_FULL = 2.0  # heat mass doubling over the window gives full growth evidence
FLICKER_NOISE = 0.02
FLICKER_FULL = 0.10
SCORE_TO_CONFIRM = 0.5


@dataclass(frozen=True, slots=True)
class FireEvidence:
    rise: float
    growth: float
    flicker: float
    persistent: bool
    model: float | None
    score: float

    @property
    def is_fire(self) -> bool:
        return (
            self.persistent
            and self.rise > 0.0
            and (self.growth >= 0.3 or self.flicker >= 0.6)
            and self.score >= SCORE_TO_CONFIRM
        )

    def as_detail(self) -> dict[str, float]:
        d = {"rise": self.rise, "growth": self.growth, "flicker": self.flicker, "score": self.score}
        if self.model is not None:
            d["model"] = self.model
        return {k: round(v, 3) for k, v in d.items()}


def _clip01(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


def fire_evidence(track: Track, t: float, window_s: float, model_fire: float | None) -> FireEvidence | None:
    """The evidence over the last ``window_s`` seconds, or None while the track is younger than that."""
    if t - track.first_t < window_s * 0.95:
        return None
    samples = [s for s in track.history if s.t >= t - window_s]
    if len(samples) < 4:
        return None
    peak = max(s.peak_excess for s in samples)
    rise = _clip01((peak - RISE_MIN_C) / (RISE_FULL_C - RISE_MIN_C)) if peak >= RISE_MIN_C else 0.0
    masses = [max(s.mean_excess * s.area, 1e-3) for s in samples]
    q = max(1, len(masses) // 4)
    start, end = sum(masses[:q]) / q, sum(masses[-q:]) / q
    growth = _clip01(math.log(end / start) / math.log(GROWTH_FULL)) if end > start else 0.0
    changes = sorted(abs(b - a) / max(a, b) for a, b in itertools.pairwise(masses))
    flicker_level = changes[len(changes) // 2] if changes else 0.0
    flicker = _clip01((flicker_level - FLICKER_NOISE) / (FLICKER_FULL - FLICKER_NOISE))
    first, last = samples[0], samples[-1]
    size = max(max(s.height, s.width) for s in samples)
    persistent = math.hypot(last.cx - first.cx, last.cy - first.cy) <= max(1.5, 0.5 * size)
    weights = {"rise": 0.2, "growth": 0.4, "flicker": 0.25}
    parts = {"rise": rise, "growth": growth, "flicker": flicker}
    if model_fire is not None:
        weights["model"] = 0.15
        parts["model"] = model_fire
    score = sum(weights[k] * parts[k] for k in weights) / sum(weights.values())
    return FireEvidence(rise, growth, flicker, persistent, model_fire, score)
