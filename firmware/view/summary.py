"""The demo's closing summary: what was seen, what was switched, how fast the alarm came."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from firmware.view.runner import RunRecord
from hw.recording import LabelEvent

LEAD_S = 30.0
"""A start event up to this long before the labelled start still counts (a fire's heat shows
before the flames the label marks)."""


def alarm_latency(record: RunRecord, labels: list[LabelEvent] | None, kind: str) -> tuple[float, float] | None:
    """(ground-truth start, seconds from it to the first ``kind`` start event that belongs to it).

    Negative when the alarm came before the labelled start.
    """
    if not labels:
        return None
    truth = [lab for lab in labels if lab.type == kind]
    if not truth:
        return None
    first = min(truth, key=lambda lab: lab.start)
    end = first.end if first.end is not None else float("inf")
    starts = [
        e.t for e in record.events if e.type == kind and e.phase == "start" and first.start - LEAD_S <= e.t <= end
    ]
    return (float(first.start), min(starts) - float(first.start)) if starts else None


def summarise(
    record: RunRecord, labels: list[LabelEvent] | None, *, stored_events: int, state_dir: Path | None = None
) -> str:
    span = (record.last_t or 0.0) - (record.first_t or 0.0)
    lines = [
        "",
        "── Parkvakt demo summary " + "─" * 40,
        f"frames: {record.frames} ({span:.0f} s of scenario time in {record.wall_s:.1f} s)",
    ]
    starts = Counter(e.type for e in record.events if e.phase in ("start", "instant"))
    lines.append("incidents: " + (", ".join(f"{k} ×{v}" for k, v in sorted(starts.items())) or "none"))
    for kind in ("fire", "person"):
        lat = alarm_latency(record, labels, kind)
        if lat is not None:
            truth, delay = lat
            alarm = "FIRE ALARM" if kind == "fire" else "person reported (after the zone's loiter time)"
            when = f"{delay:.1f} s after" if delay >= 0 else f"{-delay:.1f} s before"
            lines.append(f"{alarm}: {when} it became visible (labelled t={truth:.1f} s, event t={truth + delay:.1f} s)")
        elif any(lab.type == kind for lab in labels or []):
            lines.append(f"{kind}: in the scene but NOT reported")
    lines.append("outputs switched:")
    if not record.actions:
        lines.append("  none")
    for a in record.actions:
        lines.append(f"  {a.t:7.1f} s  {a.output:<10} {a.state:<6} {a.reason}")
    on = {a.output for a in record.actions if a.state != "off"}
    last = {}
    for a in record.actions:
        last[a.output] = a.state
    still_on = sorted(k for k, v in last.items() if v != "off")
    lines.append(
        f"outputs used: {', '.join(sorted(on)) or 'none'}; still on at the end: {', '.join(still_on) or 'none'}"
    )
    where = f" ({state_dir / 'outbox.sqlite'})" if state_dir else ""
    lines.append(f"events stored in the outbox for the uplinks: {stored_events}{where}")
    return "\n".join(lines)
