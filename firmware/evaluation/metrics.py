"""Summary figures over many matched recordings: recall, false alarms, time-to-detect."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from firmware.evaluation.matching import SCORED_TYPES, RecordingResult


def nearest_rank(values: list[float], q: float) -> float | None:
    """The q-quantile (0..1) by the nearest-rank method: a value that really occurred."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else 0.5 * (ordered[n // 2 - 1] + ordered[n // 2])


@dataclass(frozen=True, slots=True)
class ClassMetrics:
    type: str
    labels: int
    detected: int
    recall: float | None
    false_alarms: int
    false_alarms_per_hour: float
    false_alarms_nuisance: int
    ttd_median_s: float | None
    ttd_p95_s: float | None
    ttd_max_s: float | None


@dataclass(frozen=True, slots=True)
class Summary:
    recordings: int
    hours: float
    nuisance_recordings: int
    nuisance_hours: float
    classes: list[ClassMetrics]
    unscored_per_hour: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def by_type(self, type_: str) -> ClassMetrics:
        return next(c for c in self.classes if c.type == type_)


def summarise(results: list[RecordingResult]) -> Summary:
    hours = sum(r.duration_s for r in results) / 3600.0
    nuisance = [r for r in results if r.nuisance_only]
    nuisance_hours = sum(r.duration_s for r in nuisance) / 3600.0
    classes: list[ClassMetrics] = []
    for type_ in SCORED_TYPES:
        labels = [lb for r in results for lb in r.labels if lb.type == type_]
        detected = [lb for lb in labels if lb.detected]
        ttd = [lb.time_to_detect for lb in detected if lb.time_to_detect is not None]
        fa = sum(1 for r in results for ft, _ in r.false_alarms if ft == type_)
        fa_nuisance = sum(1 for r in nuisance for ft, _ in r.false_alarms if ft == type_)
        classes.append(
            ClassMetrics(
                type=type_,
                labels=len(labels),
                detected=len(detected),
                recall=len(detected) / len(labels) if labels else None,
                false_alarms=fa,
                false_alarms_per_hour=fa / hours if hours else 0.0,
                false_alarms_nuisance=fa_nuisance,
                ttd_median_s=median(ttd),
                ttd_p95_s=nearest_rank(ttd, 0.95),
                ttd_max_s=max(ttd) if ttd else None,
            )
        )
    unscored: dict[str, int] = {}
    for r in results:
        for k, v in r.unscored_counts().items():
            unscored[k] = unscored.get(k, 0) + v
    per_hour = {k: v / hours if hours else 0.0 for k, v in sorted(unscored.items())}
    return Summary(len(results), hours, len(nuisance), nuisance_hours, classes, per_hour)


def _fmt(x: float | None, pattern: str) -> str:
    return "–" if x is None else pattern.format(x)


def table(summary: Summary) -> str:
    lines = [
        f"{summary.recordings} recordings, {summary.hours:.2f} h "
        f"({summary.nuisance_recordings} nuisance-only, {summary.nuisance_hours:.2f} h)",
        f"{'class':<8} {'labels':>6} {'found':>6} {'recall':>7} {'FA':>4} {'FA/h':>6} {'FA nuis.':>8} "
        f"{'TTD med':>8} {'TTD p95':>8} {'TTD max':>8}",
    ]
    for c in summary.classes:
        recall = _fmt(None if c.recall is None else c.recall * 100, "{:.1f}%")
        lines.append(
            f"{c.type:<8} {c.labels:>6} {c.detected:>6} {recall:>7} "
            f"{c.false_alarms:>4} {c.false_alarms_per_hour:>6.2f} {c.false_alarms_nuisance:>8} "
            f"{_fmt(c.ttd_median_s, '{:.2f}s'):>8} {_fmt(c.ttd_p95_s, '{:.2f}s'):>8} {_fmt(c.ttd_max_s, '{:.2f}s'):>8}"
        )
    if summary.unscored_per_hour:
        counted = ", ".join(f"{k} {v:.2f}/h" for k, v in summary.unscored_per_hour.items())
        lines.append(f"unscored incidents: {counted}")
    return "\n".join(lines)
