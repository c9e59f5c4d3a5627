"""What an event looks like on the wire and how urgent it is: shared by the outbox and the uplinks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from firmware.events import ALARM_TYPES, Event

PRIORITY: dict[str, int] = {
    "fire": 0,
    "tamper": 1,
    "person": 1,
    "trouble": 2,
    "selftest": 3,
    "vehicle": 4,
    "motion": 5,
}
"""Lower goes first; fire before everything queued behind it."""

SHED_ORDER: tuple[str, ...] = ("motion", "vehicle", "selftest", "trouble")
"""Types that may be dropped when the outbox is full, in the order they go (oldest first)."""

NEVER_SHED: frozenset[str] = ALARM_TYPES


def iso_utc(wall: float) -> str:
    """``2026-11-21T07:26:34.123Z``."""
    return dt.datetime.fromtimestamp(wall, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_payload(event: Event, *, unit: str, seq: int, wall: float) -> dict[str, Any]:
    """The event JSON as published on ``<prefix>/<unit>/event`` and read by the DC-09 link."""
    payload: dict[str, Any] = {
        "id": event.id,
        "seq": seq,
        "unit": unit,
        "type": event.type,
        "phase": event.phase,
        "ts": iso_utc(wall),
        "confidence": round(float(event.confidence), 4),
        "zone": event.zone,
        "bbox": list(event.bbox) if event.bbox is not None else None,
        "incident": event.incident,
    }
    if event.detail:
        payload["detail"] = event.detail
    return payload
