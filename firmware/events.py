"""What flows from the pipeline to the policy and the uplinks.

An *incident* is one thing happening (a person loitering, a car burning); it produces one
``start`` event when confirmed and one ``end`` event when over. Every event has its own unique
``id`` (UUIDv7, time-ordered); ``incident`` ties a start to its end. ``t`` is pipeline time:
seconds on the monotonic clock in the daemon, recording seconds in a replay.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

EventType = Literal["fire", "person", "vehicle", "motion", "tamper", "trouble", "selftest"]
Phase = Literal["start", "end", "instant"]
ALARM_TYPES: frozenset[str] = frozenset({"fire", "person", "tamper"})

_last_ms = 0
_counter = 0


def uuid7() -> str:
    """A UUIDv7 string (RFC 9562): 48-bit Unix ms timestamp, monotonic within a process."""
    global _last_ms, _counter
    ms = time.time_ns() // 1_000_000
    if ms <= _last_ms:
        ms = _last_ms
        _counter += 1
    else:
        _counter = int.from_bytes(os.urandom(2), "big") & 0x3FF
    _last_ms = ms
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (_counter & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand_b
    return str(uuid.UUID(int=value))


@dataclass(frozen=True, slots=True)
class Event:
    type: EventType
    phase: Phase
    t: float
    confidence: float = 1.0
    zone: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    incident: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=uuid7)

    @property
    def is_alarm(self) -> bool:
        return self.type in ALARM_TYPES

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["bbox"] = list(self.bbox) if self.bbox is not None else None
        return d


@dataclass(frozen=True, slots=True)
class Action:
    """An output change the policy made: ``state`` is ``on``/``off`` or a pattern name."""

    output: str
    state: str
    t: float
    reason: str = ""
