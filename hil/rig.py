"""The rig: everything a black-box test may do to a unit and observe of it.

Tests in ``hil/`` talk only to a ``Rig``: frames in on the unit's UART, its input pins driven,
its output pins read, a broker and an alarm centre listening, power (the process) cut and
restored, the network cut. ``EmulatedRig`` (``hil/emulated.py``) runs all of that on this machine
for CI; ``PiRig`` (``hil/pi.py``) does the same against a Raspberry Pi on the bench.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hil.broker import BrokerWatch
from hil.centre import AlarmCentre
from hil.feeds import Feed
from hil.serial_feed import ModuleFeed
from hw.board_profile import BoardProfile


@dataclass
class OutputLog:
    """Level history of one output wire, as the rig saw it, in the rig's monotonic time."""

    name: str
    changes: list[tuple[float, bool]] = field(default_factory=list)

    @property
    def on(self) -> bool:
        return bool(self.changes) and self.changes[-1][1]

    def record(self, t: float, on: bool) -> None:
        if not self.changes or self.changes[-1][1] != on:
            self.changes.append((t, on))

    def first_on(self, after: float = 0.0) -> float | None:
        return next((t for t, on in self.changes if on and t >= after), None)


class Rig(ABC):
    profile: BoardProfile
    unit_id: str
    broker: BrokerWatch
    centre: AlarmCentre
    outputs: dict[str, OutputLog]
    workdir: Path
    _serial: ModuleFeed | None = None

    @abstractmethod
    def start_unit(self, feed: Feed | None, *, config: dict[str, Any] | None = None) -> None:
        """Power the unit up with this config (merged over the rig's defaults), feeding ``feed``."""

    @abstractmethod
    def stop_unit(self) -> int | None:
        """An orderly stop (SIGTERM); the exit code where the rig can see it."""

    @abstractmethod
    def kill_unit(self) -> None:
        """Pull the plug on the process (SIGKILL)."""

    @abstractmethod
    def restart_unit(self) -> None:
        """Start the unit again with the same config and state, the serial feed going on."""

    @abstractmethod
    def emulator_target(self) -> list[str]:
        """Where the module emulator writes: a pty link (emulated) or the rig's USB-UART (bench)."""

    def play(self, feed: Feed, *, script: list[dict[str, Any]] | None = None) -> None:
        """Send ``feed``'s frames byte-exact at its real rate; ``script`` injects serial faults."""
        if self._serial is not None:
            self._serial.stop()
        self._serial = ModuleFeed(feed, self.emulator_target(), self.workdir, script)

    @property
    def frames_started_at(self) -> float | None:
        """Rig time at which the first frame of the current feed went onto the wire."""
        return self._serial.started_at if self._serial is not None else None

    @property
    def serial_steps(self) -> list[tuple[str, float]]:
        return self._serial.steps if self._serial is not None else []

    def wait_frames_started(self, timeout: float = 30.0) -> float:
        started = self._serial.wait_started(timeout) if self._serial is not None else None
        if started is None:
            raise AssertionError(f"the unit never configured its sensor port; its log:\n{self.unit_log()[-3000:]}")
        return started

    def unit_log(self) -> str:
        return ""

    @abstractmethod
    def drive(self, input_name: str, active: bool) -> None:
        """Set a unit input (``pir``, ``tamper``) to its active or idle level."""

    @abstractmethod
    def cut_network(self) -> None: ...

    @abstractmethod
    def restore_network(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    def now(self) -> float:
        return time.monotonic()

    def close_serial(self) -> None:
        if self._serial is not None:
            self._serial.stop()
            self._serial = None

    def wait_output(self, name: str, on: bool = True, timeout: float = 10.0, after: float = 0.0) -> float | None:
        """Rig time at which output ``name`` went ``on`` (after ``after``), or None within ``timeout``."""
        end = time.monotonic() + timeout
        while True:
            log = self.outputs[name]
            hit = next((t for t, state in log.changes if state == on and t >= after), None)
            if hit is not None or time.monotonic() >= end:
                return hit
            time.sleep(0.02)

    def any_output_on(self) -> list[str]:
        return [name for name, log in self.outputs.items() if log.on and name != "status_led"]

    def ever_on(self, since: float = 0.0, *, ignore: tuple[str, ...] = ("status_led",)) -> list[str]:
        return [
            name
            for name, log in self.outputs.items()
            if name not in ignore and any(on and t >= since for t, on in log.changes)
        ]


def wait_for(predicate: Callable[[], object], timeout: float) -> bool:
    """Poll ``predicate`` until it is truthy or ``timeout`` seconds have passed."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False
