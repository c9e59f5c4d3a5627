"""Board profiles, outputs and the fail-safe on gpiozero's MockFactory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from hw.board_profile import parse_profile
from hw.gpio import BoardProfileError, Outputs, failsafe, load_profile

REPO = Path(__file__).resolve().parents[2]


def test_bundled_profile_has_the_hat_outputs_and_inputs() -> None:
    profile = load_profile("rpi4-relay-hat")
    assert set(profile.outputs) == {"floodlight", "strobe", "siren", "amplifier", "status_led"}
    assert {s.kind for s in profile.inputs.values()} == {"motion", "tamper", "feedback"}
    assert all(s.safe_state == "off" for s in profile.outputs.values())


def test_every_fault_of_a_profile_is_reported_at_once() -> None:
    data = {
        "name": "x",
        "outputs": {"siren": {"pin": 5}, "strobe": {"pin": 5, "safe_state": "maybe"}, "Horn": {"pin": 6}},
        "inputs": {"pir": {"pin": 99, "kind": "motion"}, "lid": {"pin": 7}},
        "colour": "red",
    }
    with pytest.raises(BoardProfileError) as info:
        parse_profile(data)
    keys = [key for key, _ in info.value.problems]
    assert keys == [
        "colour",
        "outputs.strobe.safe_state",
        "outputs.Horn",
        "inputs.pir.pin",
        "inputs.lid.kind",
        "outputs.strobe.pin",
    ]


def active_low_profile():
    return parse_profile({"name": "low", "outputs": {"siren": {"pin": 13, "active_high": False}}})


def test_active_low_output_idles_high_and_pulls_low_to_sound() -> None:
    factory = MockFactory()
    outputs = Outputs(active_low_profile(), pin_factory=factory)
    pin = factory.pin(13)
    assert pin.state is True  # relay released
    outputs.set("siren", "on")
    assert pin.state is False
    outputs.close()
    assert [s.state for s in pin.states] == [False, True, False, True]
    assert pin.function == "input"  # released to the board's pull resistor
    assert outputs.set("siren", "on") is False  # a closed output bank ignores requests


def test_unhandled_exception_leaves_outputs_safe() -> None:
    factory = MockFactory()
    outputs = Outputs(load_profile("rpi4-relay-hat"), pin_factory=factory)
    with pytest.raises(RuntimeError), failsafe(outputs):
        outputs.set("siren", "on")
        outputs.set("strobe", "blink")
        raise RuntimeError("pipeline crashed")
    assert factory.pin(21).state is False
    assert factory.pin(20).state is False
    assert outputs.states()["strobe"] == "off"
    outputs.close()


CHILD = textwrap.dedent(
    """
    import atexit, json, sys, time
    from gpiozero.pins.mock import MockFactory
    from hw.gpio import Outputs, failsafe, load_profile

    factory = MockFactory()
    outputs = Outputs(load_profile("rpi4-relay-hat"), pin_factory=factory)
    # registered first, so it runs after the fail-safe's own handler: what the pins did, for the test
    atexit.register(lambda: print(json.dumps({n: [s.state for s in factory.pin(p).states]
                                              for n, p in (("siren", 21), ("floodlight", 26))}), flush=True))
    with failsafe(outputs):
        outputs.set("siren", "on")
        outputs.set("floodlight", "on")
        print("ready", flush=True)
        time.sleep(30)
    """
)


def test_sigterm_leaves_outputs_safe_and_exits_like_systemd_expects() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert json.loads(out) == {"siren": [False, True, False], "floodlight": [False, True, False]}
