"""A gpiozero mock pin that behaves like a wire to the test rig.

Registered as the ``parkvakt-wire`` entry point of ``gpiozero_mock_pin_classes``, so a daemon
started with ``--gpio mock`` and ``GPIOZERO_MOCK_PIN_CLASS=parkvakt-wire`` drives these pins
instead of plain mock pins. Every level change of a pin is sent as one JSON datagram to the rig
at ``$PARKVAKT_WIRE_DIR/rig.sock``; the rig drives the unit's inputs (PIR, tamper) by sending
``{"pin": "GPIO22", "level": 1}`` to ``$PARKVAKT_WIRE_DIR/unit.sock``. The levels the rig holds
the inputs at when the unit powers up come in ``$PARKVAKT_WIRE_LEVELS`` (JSON, pin name → 0/1),
so an input reads right from the moment its device exists, as a driven wire would, with no
edge racing the device's construction. Like a real wire it says nothing about intent: the rig
sees levels, and when the process dies it sees the pins released.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import threading
import time
from typing import Any, ClassVar

from gpiozero.pins.mock import MockPWMPin


class _Wire:
    """The process's connection to the rig: one socket out, one listener thread in."""

    def __init__(self, directory: str) -> None:
        self.rig_addr = os.path.join(directory, "rig.sock")
        self.unit_addr = os.path.join(directory, "unit.sock")
        self.out = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.inbox = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.unit_addr)
        self.inbox.bind(self.unit_addr)
        self.pins: dict[str, WirePin] = {}
        self.levels: dict[str, bool] = {
            pin: bool(level) for pin, level in json.loads(os.environ.get("PARKVAKT_WIRE_LEVELS", "{}")).items()
        }
        threading.Thread(target=self._listen, name="rig-wire", daemon=True).start()
        self.send({"hello": os.getpid()})

    def send(self, message: dict[str, Any]) -> None:
        message["t"] = time.monotonic()
        with contextlib.suppress(OSError):  # no rig listening: a wire to nowhere
            self.out.sendto(json.dumps(message).encode(), self.rig_addr)

    def _listen(self) -> None:
        while True:
            data = self.inbox.recv(4096)
            try:
                message = json.loads(data)
                name, level = message["pin"], bool(message["level"])
            except (ValueError, KeyError, TypeError):
                continue
            self.levels[name] = level
            pin = self.pins.get(name)
            if pin is None or pin.function != "input":
                continue
            try:
                pin.drive_high() if level else pin.drive_low()
            except Exception as exc:  # a device's callback failing must not cut the wire
                print(f"rig wire: driving {name} failed: {exc!r}", file=sys.stderr)


class WirePin(MockPWMPin):
    _wire: ClassVar[_Wire | None] = None
    _wire_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, factory: Any, info: Any) -> None:
        super().__init__(factory, info)
        wire = self._wire_link()
        if wire is not None:
            wire.pins[info.name] = self
        self._hold_rig_level()
        self._report()

    @classmethod
    def _wire_link(cls) -> _Wire | None:
        """The rig connection; None without ``PARKVAKT_WIRE_DIR`` (then it is a plain mock pin)."""
        with cls._wire_lock:
            if cls._wire is None:
                directory = os.environ.get("PARKVAKT_WIRE_DIR")
                if not directory:
                    return None
                cls._wire = _Wire(directory)
            return cls._wire

    def _report(self) -> None:
        wire = self._wire_link()
        if wire is not None:
            wire.send({"pin": self.info.name, "function": self._function, "level": float(self._state)})

    def _change_state(self, value: Any) -> bool:
        changed = super()._change_state(value)
        if changed:
            self._report()
        return changed

    def _set_pull(self, value: str) -> None:
        super()._set_pull(value)
        self._hold_rig_level()

    def _hold_rig_level(self) -> None:
        """A driven wire beats a pull resistor: keep the rig's level, quietly, at set-up."""
        wire = self._wire_link()
        level = wire.levels.get(self.info.name) if wire is not None else None
        if level is not None and self._function == "input" and self._state != level:
            self._state = level

    def _set_function(self, value: str) -> None:
        before = self._function
        super()._set_function(value)
        if value != before:
            self._report()
