"""Helpers for the policy tests: a frame clock shared with gpiozero's MockPin, configs, events."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import gpiozero.pins.mock
import pytest
from gpiozero.pins.mock import MockFactory, MockPin

from firmware.config import UnitConfig, parse_config
from firmware.events import Action, Event
from firmware.policy import DeterrencePolicy, build_policy, fixed_start_wall_clock

PINS = {"floodlight": 26, "strobe": 20, "siren": 21, "amplifier": 16, "status_led": 12}
# 2026-06-01 is a Monday; 12:00 UTC is 14:00 in Stockholm: armed (default), not quiet hours
NOON = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
MIDNIGHT = datetime(2026, 6, 1, 22, 0, tzinfo=UTC)  # 00:00 local, inside the default quiet hours
T0 = 1000.0
LADDER = [
    {"output": "floodlight", "after_s": 0},
    {"output": "voice", "after_s": 10},
    {"output": "strobe", "after_s": 20},
    {"output": "siren", "after_s": 30, "duration_s": 20},
]


class FrameClock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrameClock:
    c = FrameClock(T0)
    monkeypatch.setattr(gpiozero.pins.mock, "monotonic", c)
    return c


def unit_config(deterrence: dict[str, Any] | None = None, loiter_s: float = 10.0, armed: bool = True) -> UnitConfig:
    zone = {"name": "lot", "polygon": [[0, 0], [1, 0], [1, 1]], "loiter_s": loiter_s, "armed": armed}
    det = {"ladder": LADDER, "hold_s": 5, "cooldown_s": 60, **(deterrence or {})}
    return parse_config({"unit": {"id": "t"}, "detection": {"zones": [zone]}, "deterrence": det})


@dataclass
class Rig:
    policy: DeterrencePolicy
    factory: MockFactory
    clock: FrameClock
    actions: list[Action]

    def pin(self, output: str) -> MockPin:
        return self.factory.pin(PINS[output])

    def send(self, event: Event) -> None:
        self.clock.t = event.t
        self.actions.extend(self.policy.on_event(event))

    def run_until(self, end: float, step: float = 0.5, events: Iterable[Event] = ()) -> None:
        """Tick every ``step`` s from now to ``end``, delivering ``events`` at their times."""
        pending = sorted(events, key=lambda e: e.t)
        start = self.clock.t
        k = 1
        while (t := start + k * step) <= end + 1e-9:
            while pending and pending[0].t <= t:
                self.send(pending.pop(0))
            self.clock.t = t
            self.actions.extend(self.policy.tick(t))
            k += 1

    def lines(self) -> list[tuple[str, str, float]]:
        return [(a.output, a.state, round(a.t - T0, 3)) for a in self.actions]


@pytest.fixture
def make_rig(clock: FrameClock) -> Callable[..., Rig]:
    made: list[Rig] = []

    def make(config: UnitConfig | None = None, wall: datetime = NOON, real_timer: bool = False) -> Rig:
        factory = MockFactory()
        clock.t = T0
        policy = build_policy(
            config or unit_config(), pin_factory=factory, wall_clock=fixed_start_wall_clock(wall, origin=T0)
        )
        if not real_timer:
            policy.guard.real_timer = False
        rig = Rig(policy, factory, clock, [])
        made.append(rig)
        return rig

    yield make
    for rig in made:
        rig.policy.close()


def person(phase: str, t: float, incident: str = "p1", zone: str = "lot") -> Event:
    return Event(type="person", phase=phase, t=T0 + t, zone=zone, incident=incident)  # type: ignore[arg-type]


def fire(phase: str, t: float, incident: str = "f1") -> Event:
    return Event(type="fire", phase=phase, t=T0 + t, incident=incident)  # type: ignore[arg-type]


def assert_pin(pin: MockPin, expected: list[tuple[float, bool]]) -> None:
    """Exactly these changes, each ``(seconds since the previous change, level)``."""
    got = [(round(s.timestamp, 3), s.state) for s in pin.states]
    assert len(pin.states) == len(expected), got
    pin.assert_states_and_times(expected)
