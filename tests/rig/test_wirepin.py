"""The rig's wire pin: level changes reach the rig, and the rig can drive the unit's inputs."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gpiozero import LED, Button, DigitalInputDevice
from gpiozero.pins.mock import MockFactory

from hw.rig.wirepin import WirePin


@pytest.fixture
def rig_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    monkeypatch.setenv("PARKVAKT_WIRE_DIR", str(tmp_path))
    monkeypatch.setattr(WirePin, "_wire", None)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "rig.sock"))
    sock.settimeout(2)
    yield sock
    sock.close()


def messages(sock: socket.socket) -> list[dict]:
    out = []
    sock.settimeout(0.2)
    try:
        while True:
            out.append(json.loads(sock.recv(4096)))
    except TimeoutError:
        return out


def test_output_levels_reach_the_rig(rig_socket: socket.socket) -> None:
    factory = MockFactory(pin_class="parkvakt-wire")
    led = LED(17, pin_factory=factory)
    led.on()
    led.off()
    led.close()
    seen = [(m["pin"], m.get("function"), m["level"]) for m in messages(rig_socket) if "pin" in m]
    assert ("GPIO17", "output", 1.0) in seen
    levels = [lvl for pin, fn, lvl in seen if pin == "GPIO17" and fn == "output"]
    assert levels[-2:] == [1.0, 0.0]
    assert seen[-1] == ("GPIO17", "input", 0.0)  # closed: the line is released


def test_rig_drives_an_input(rig_socket: socket.socket, tmp_path: Path) -> None:
    factory = MockFactory(pin_class="parkvakt-wire")
    tamper = Button(22, pull_up=True, pin_factory=factory)
    assert not tamper.is_pressed
    drive = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    drive.sendto(json.dumps({"pin": "GPIO22", "level": 0}).encode(), str(tmp_path / "unit.sock"))
    deadline = time.monotonic() + 2
    while not tamper.is_pressed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert tamper.is_pressed
    tamper.close()


def test_input_reads_the_rigs_level_from_power_up(rig_socket: socket.socket, monkeypatch: pytest.MonkeyPatch) -> None:
    """A closed tamper switch holds its pin low although the pin's pull-up says high."""
    monkeypatch.setenv("PARKVAKT_WIRE_LEVELS", '{"GPIO27": 0}')
    factory = MockFactory(pin_class="parkvakt-wire")
    tamper = DigitalInputDevice(27, pull_up=True, pin_factory=factory)
    assert tamper.pin.state == 0
    untouched = DigitalInputDevice(26, pull_up=True, pin_factory=factory)
    assert untouched.pin.state == 1  # no rig level: the pull-up wins
    tamper.close()
    untouched.close()
