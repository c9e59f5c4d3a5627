"""The unit's switched outputs (floodlight, strobe, siren, amplifier, status LED) over gpiozero.

One ``DigitalOutputDevice`` per profile output, built on the pin factory passed in (never the
global ``Device.pin_factory``), started in its safe state. Every method is thread-safe: the
max on-time guard switches outputs off from its own timer thread.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from gpiozero import DigitalOutputDevice, PWMOutputDevice

from hw.board_profile import BoardProfile, OutputSpec

if TYPE_CHECKING:
    from gpiozero import Factory

OutputState = str  # "on", "off", "blink", or "dim:LEVEL" (0 < LEVEL < 1) on a pwm output
PWM_HZ = 200
BLINK_ON_S = 0.5
BLINK_OFF_S = 0.5
LOCK_WAIT_S = 0.5


def dim_level(state: str) -> float:
    level = float(state.removeprefix("dim:"))
    if not 0.0 < level <= 1.0:
        raise ValueError(f"dim level must be in (0, 1], got {level}")
    return level


class UnknownOutput(KeyError):
    pass


class Outputs:
    def __init__(self, profile: BoardProfile, *, pin_factory: Factory) -> None:
        self.profile = profile
        self._lock = threading.RLock()
        self._devices: dict[str, DigitalOutputDevice | PWMOutputDevice] = {}
        self._states: dict[str, OutputState] = {}
        self._closed = False
        try:
            for spec in profile.outputs.values():
                initial = spec.safe_state == "on"
                if spec.pwm:
                    self._devices[spec.name] = PWMOutputDevice(
                        spec.pin,
                        active_high=spec.active_high,
                        initial_value=float(initial),
                        frequency=PWM_HZ,
                        pin_factory=pin_factory,
                    )
                else:
                    self._devices[spec.name] = DigitalOutputDevice(
                        spec.pin, active_high=spec.active_high, initial_value=initial, pin_factory=pin_factory
                    )
                self._states[spec.name] = spec.safe_state
        except BaseException:
            self.close()
            raise

    @property
    def names(self) -> list[str]:
        return list(self.profile.outputs)

    def spec(self, name: str) -> OutputSpec:
        try:
            return self.profile.outputs[name]
        except KeyError:
            raise UnknownOutput(f"board profile {self.profile.name!r} has no output {name!r}") from None

    def has(self, name: str) -> bool:
        return name in self._devices

    def set(self, name: str, state: OutputState) -> bool:
        """Drive ``name``; returns whether anything changed. Ignored after ``close``."""
        self.spec(name)
        with self._lock:
            if self._closed or self._states[name] == state:
                return False
            device = self._devices[name]
            if state == "blink":
                device.blink(on_time=BLINK_ON_S, off_time=BLINK_OFF_S, background=True)
            elif state == "on":
                device.on()
            elif state.startswith("dim:") and isinstance(device, PWMOutputDevice):
                device.value = dim_level(state)
            elif state.startswith("dim:"):
                device.on()  # a plain output cannot dim: full on is the nearest it can do
            else:
                device.off()
            self._states[name] = state
            return True

    def force_safe(self, name: str) -> None:
        """One output to its safe state, waiting at most ``LOCK_WAIT_S`` for the lock (the guard's path)."""
        spec = self.spec(name)
        locked = self._lock.acquire(timeout=LOCK_WAIT_S)
        try:
            device = self._devices[name]
            device.on() if spec.safe_state == "on" else device.off()
            self._states[name] = spec.safe_state
        finally:
            if locked:
                self._lock.release()

    def state(self, name: str) -> OutputState:
        self.spec(name)
        with self._lock:
            return self._states[name]

    def states(self) -> dict[str, OutputState]:
        with self._lock:
            return dict(self._states)

    def safe(self) -> None:
        """Every output to its profile's safe state; never raises, so it is usable in any cleanup.

        It waits at most ``LOCK_WAIT_S`` for the lock: a thread that hung while holding it must not
        keep a siren on, and writing a pin level twice is harmless.
        """
        locked = self._lock.acquire(timeout=LOCK_WAIT_S)
        try:
            for name, device in self._devices.items():
                try:
                    if self.profile.outputs[name].safe_state == "on":
                        device.on()
                    else:
                        device.off()
                    self._states[name] = self.profile.outputs[name].safe_state
                except Exception:  # one broken pin must not keep the others on
                    continue
        finally:
            if locked:
                self._lock.release()

    def close(self) -> None:
        """Safe state first, then release the pins (idempotent)."""
        with self._lock:
            self.safe()
            self._closed = True
            for device in self._devices.values():
                try:
                    device.close()
                except Exception:
                    continue
