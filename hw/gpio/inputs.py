"""The unit's inputs: PIR and relay feedback (``DigitalInputDevice``), enclosure tamper switch
(``Button``), built on the injected pin factory.

The PIR is edge-triggered rather than a gpiozero ``MotionSensor``: a PIR module's output is a clean
level held for seconds, and ``MotionSensor``'s averaging queue samples it from a thread of its own,
a steady cost on a unit that runs for years for no gain.

Each change is reported as an ``InputChange`` to the callback given; ``firmware.policy`` turns
those into events. ``triggered`` always means the profile's ``active_when`` level is present
(motion seen, lid open, load powered), whatever the pull resistor.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gpiozero import Button, DigitalInputDevice, InputDevice

from hw.board_profile import BoardProfile, InputKind, InputSpec

if TYPE_CHECKING:
    from gpiozero import Factory

BOUNCE_S = 0.05


@dataclass(frozen=True, slots=True)
class InputChange:
    name: str
    kind: InputKind
    triggered: bool
    t: float


def _inverted(spec: InputSpec) -> bool:
    """gpiozero calls a pulled-up pin active when low and a pulled-down one active when high."""
    return (spec.pull == "up" and spec.active_when == "high") or (spec.pull == "down" and spec.active_when == "low")


def _gpiozero_pull(spec: InputSpec) -> dict[str, object]:
    if spec.pull == "none":
        return {"pull_up": None, "active_state": spec.active_when == "high"}
    return {"pull_up": spec.pull == "up"}


class Inputs:
    def __init__(
        self,
        profile: BoardProfile,
        *,
        pin_factory: Factory,
        on_change: Callable[[InputChange], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.profile = profile
        self._on_change = on_change
        self._clock = clock
        self._devices: dict[str, InputDevice] = {}
        try:
            for spec in profile.inputs.values():
                self._devices[spec.name] = self._build(spec, pin_factory)
        except BaseException:
            self.close()
            raise

    def _build(self, spec: InputSpec, pin_factory: Factory) -> InputDevice:
        pull = _gpiozero_pull(spec)
        device: InputDevice
        if spec.kind == "motion":
            device = DigitalInputDevice(spec.pin, bounce_time=BOUNCE_S, pin_factory=pin_factory, **pull)
        elif spec.kind == "tamper":
            device = Button(spec.pin, bounce_time=BOUNCE_S, pin_factory=pin_factory, **pull)
        else:
            device = DigitalInputDevice(spec.pin, pin_factory=pin_factory, **pull)
        inverted = _inverted(spec)
        device.when_activated = lambda: self._report(spec, not inverted)
        device.when_deactivated = lambda: self._report(spec, inverted)
        return device

    def _report(self, spec: InputSpec, triggered: bool) -> None:
        if self._on_change is not None:
            self._on_change(InputChange(spec.name, spec.kind, triggered, self._clock()))

    def triggered(self, name: str) -> bool:
        spec = self.profile.inputs[name]
        return bool(self._devices[name].is_active) != _inverted(spec)

    def names(self, kind: InputKind | None = None) -> list[str]:
        return [n for n, s in self.profile.inputs.items() if kind is None or s.kind == kind]

    def close(self) -> None:
        for device in self._devices.values():
            try:
                device.close()
            except Exception:  # release every pin even if one fails
                continue
