"""Person / vehicle / fire / other for one track, from its physics and the model.

Physics gives each class a likelihood from what the track has looked like so far: its size
against the size a person would have at that row (perspective: far rows are small), its
temperature against the background, its speed in person-heights per second and its shape.
The model's probabilities are multiplied in (a product of experts) when a model is loaded; a
floor keeps one confident expert from silencing the other completely. Fire is scored by
:mod:`firmware.pipeline.fire`; here the fire likelihood only keeps a blazing object from being
called a person or a car.
"""

from __future__ import annotations

import math
import statistics

import numpy as np

from firmware.pipeline.tracker import Sample, Track

LABELS: tuple[str, ...] = ("person", "vehicle", "fire", "other")
MODEL_FLOOR = 0.1
MODEL_WEIGHT = 0.35  # the model is one expert among several: its say is tempered
PERSON_ASPECT = 0.4  # width / height of a standing person in the image
COLD_GROUND_C = 20.0
WEAK_CONTRAST_C = 1.5
SKIN_C = 34.0
CLOTHING_SHARE = 0.4  # clothing surface: this share of the way from the ground's temperature to skin
MIN_BODY_CONTRAST_C = 6.0
# log(covered area / a standing person's box area), median over a track: people on the simulator's
# held-out suite measure −1.0…+0.4, cats and birds −2.3…−3.4
SMALLEST_PERSON_LOG_MASS = -1.5
# skin reads at most about 37 °C: a blob far warmer than its ground but no warmer than this can be
# a person on frozen ground (−15 °C ground, a body 27 °C above it); one hotter than it is no one
HOTTER_THAN_SKIN_C = 38.0


def _gauss(x: float, mu: float, sigma: float) -> float:
    return math.exp(-0.5 * ((x - mu) / sigma) ** 2)


class PersonScale:
    """Expected standing-person height in pixels at a given image row (linear in the row)."""

    def __init__(self, top_frac: float, bottom_frac: float) -> None:
        self.top_frac = top_frac
        self.bottom_frac = bottom_frac

    def height_px(self, foot_row: float, frame_height: int) -> float:
        r = min(1.0, max(0.0, foot_row / frame_height))
        return max(1.0, (self.top_frac + (self.bottom_frac - self.top_frac) * r) * frame_height)


def physics_likelihoods(track: Track, scale: PersonScale, frame_height: int, thermal: bool) -> np.ndarray:
    """Unnormalised likelihoods over :data:`LABELS` from the track's recent history."""
    recent = list(track.history)[-16:]
    area = statistics.median(s.area for s in recent)
    height = statistics.median(s.height for s in recent)
    width = statistics.median(s.width for s in recent)
    excess = statistics.median(s.mean_excess for s in recent)
    peak_value = max(s.peak_value for s in recent)
    peak_excess = max(s.peak_excess for s in recent)
    foot = track.box[3]
    exp_h = scale.height_px(foot, frame_height)
    exp_area = max(1.0, exp_h * exp_h * PERSON_ASPECT)
    log_area = math.log(max(area, 0.5) / exp_area)
    log_h = math.log(max(height, 0.5) / exp_h)
    log_w = math.log(max(width, 0.5) / (exp_h * PERSON_ASPECT))
    speed = math.hypot(track.vx, track.vy) / exp_h
    # a blob a few pixels tall is measured to ±1 px, and one cut by the frame's edge shows only
    # part of the object: size evidence is weaker there, so it is allowed to spread more
    slack = 1.0 / exp_h + (0.6 if track.box[1] == 0 else 0.0)

    person = (
        _gauss(log_area, 0.0, 0.8 + slack) * _gauss(log_h, 0.0, 0.6 + slack) * _gauss(max(0.0, log_w), 0.0, 0.7 + slack)
    )
    person *= 1.0 if speed < 2.5 else math.exp(-(speed - 2.5))
    if width > height:  # people stand; cats, foxes and birds are wider than tall
        person *= math.exp(-(width / height - 1.0))
    vehicle = _gauss(log_area, math.log(8.0), 0.8) * _gauss(log_w, math.log(5.0), 0.8)
    other = 0.08 + 0.5 * _gauss(log_area, math.log(0.1), 0.8)
    fire = 0.02
    if thermal:
        person *= _heat_mass_fit(recent, exp_area)
        if peak_value > 45.0 or (peak_excess > 25.0 and peak_value > HOTTER_THAN_SKIN_C):
            person *= 0.1
            fire = 0.5
        if excess < WEAK_CONTRAST_C:  # wet patches, drying puddles, sensor drift: barely there
            person *= 0.2
        # a person is warmer than ground below ~20 °C (night, winter): a cold blob there is a
        # cooling hood's ghost or a wet patch, never a person (on hot asphalt people read colder)
        ground = peak_value - peak_excess
        if peak_excess < 0.0 and ground < COLD_GROUND_C:
            person *= 0.05
    else:
        fire = 0.0
    return np.array([person, vehicle, fire, other], dtype=np.float64)


def _heat_mass_fit(recent: list[Sample], exp_area: float) -> float:
    """How well the blob's heat adds up to a clothed body at this range, 0..1.

    A pixel reads the area-weighted mix of what it sees, so the excess summed over a blob,
    divided by the contrast a clothed body has against that ground, is the area the warm object
    really covers, however blur and threshold spread it. A person at a given row covers a known
    area; a cat or a bird there covers a small fraction of it, even when its blob is person-sized.
    Clothing sits part of the way from the air to the skin (ISO 7730's clothing surface
    temperature: about 26 °C in a 20 °C room), so on warm ground the expected contrast is small
    and gives no evidence either way.
    """
    ratios = []
    for s in recent:
        ground = s.peak_value - s.peak_excess
        contrast = CLOTHING_SHARE * abs(SKIN_C - ground)
        if contrast >= MIN_BODY_CONTRAST_C:
            covered = s.mean_excess * s.area / contrast
            ratios.append(math.log(max(covered, 0.05) / exp_area))
    if len(ratios) < 4:
        return 1.0
    short = SMALLEST_PERSON_LOG_MASS - statistics.median(ratios)
    return 1.0 if short <= 0.0 else math.exp(-0.5 * (short / 0.35) ** 2)


def combine(physics: np.ndarray, model: np.ndarray | None) -> np.ndarray:
    """Probabilities over :data:`LABELS`: physics × model (when present), normalised."""
    p = physics.copy()
    if model is not None:
        p *= (np.asarray(model, dtype=np.float64) + MODEL_FLOOR) ** MODEL_WEIGHT
    total = float(p.sum())
    if total <= 0.0:
        return np.array([0.0, 0.0, 0.0, 1.0])
    return p / total
