"""The emulated rig: the real daemon as a process, wired to this machine instead of a bench.

- UART: the module emulator (``hw/sensors/emulator.py``) on a pseudo-terminal, byte-exact frames
  at the feed's real rate;
- GPIO: the daemon runs with ``--gpio mock`` and ``GPIOZERO_MOCK_PIN_CLASS=parkvakt-wire``, so
  every pin level goes to the rig over a datagram socket (``hw/rig/wirepin.py``); when the
  process dies the rig sees the pins released, which the relay HAT's wiring turns into "off";
- network: a real mosquitto (mTLS listener) and pysiaalarm's receiver as the alarm centre;
  "cutting the network" stops both, as a dead 4G link would look from the unit.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import tomli_w

from hil.broker import BrokerWatch
from hil.centre import AlarmCentre
from hil.feeds import Feed
from hil.rig import OutputLog, Rig
from hw.board_profile import load_profile
from tests.support.mosquitto import Mosquitto

ACCOUNT = "4711"
# pysiaalarm takes the AES key as its text; the unit's config takes the same bytes in hex
CENTRE_KEY_TEXT = "parkvakt-hil-k16"


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


class EmulatedRig(Rig):
    def __init__(self, workdir: Path, *, board: str = "rpi4-relay-hat", unit_id: str = "hil-unit-1") -> None:
        self.workdir = workdir
        self.unit_id = unit_id
        self.profile = load_profile(board)
        self.outputs = {name: OutputLog(name) for name in self.profile.outputs}
        self._by_pin = {f"GPIO{spec.pin}": spec for spec in self.profile.outputs.values()}
        self._inputs_by_pin = {f"GPIO{spec.pin}": name for name, spec in self.profile.inputs.items()}
        # what the rig holds each input wire at; the switches are closed and the PIR quiet at power-up
        self._input_active = dict.fromkeys(self.profile.inputs, False)
        self.wire_dir = workdir / "wire"
        self.wire_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir = workdir / "state"
        self.state_dir.mkdir(exist_ok=True)
        self.port_link = workdir / "ttyMLX0"
        self.log_path = workdir / "unit.log"
        self.command_key = workdir / "command.key"
        self.command_key.write_bytes(secrets.token_hex(32).encode())  # text, as provisioning writes it
        self.command_key.chmod(0o600)

        self.mosquitto = Mosquitto(workdir / "broker")
        self.mosquitto.start()
        self.broker = BrokerWatch("127.0.0.1", self.mosquitto.port, f"parkvakt/{unit_id}")
        self.centre = AlarmCentre(ACCOUNT, CENTRE_KEY_TEXT)
        self.centre.start()

        self._unit: subprocess.Popen[bytes] | None = None
        # set: the unit runs from ``<install_root>/current``'s own virtualenv, as parkvakt.service does
        self.install_root: Path | None = None
        self._config: dict[str, Any] = {}
        self._closing = False
        self._wire = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._wire.bind(str(self.wire_dir / "rig.sock"))
        self._wire.settimeout(0.2)
        threading.Thread(target=self._listen_wire, name="rig-wire", daemon=True).start()
        threading.Thread(target=self._watch_power, name="rig-power", daemon=True).start()

    # --- config -----------------------------------------------------------------------

    def default_config(self) -> dict[str, Any]:
        pki = self.mosquitto.pki
        return {
            "unit": {"id": self.unit_id, "state_dir": str(self.state_dir)},
            "sensor": {"type": "mlx90640-uart", "port": str(self.port_link), "rate_hz": 8},
            "mqtt": {
                "host": "127.0.0.1",
                "port": self.mosquitto.mtls_port,
                "ca": str(pki.ca_cert),
                "cert": str(pki.client_cert),
                "key": str(pki.client_key),
                "command_key": str(self.command_key),
                "backoff_initial_s": 0.2,
                "backoff_max_s": 2.0,
                "telemetry_interval_s": 60.0,
            },
            "alarm_centre": {
                "enabled": True,
                "primary": f"127.0.0.1:{self.centre.port}",
                "account": ACCOUNT,
                "key": CENTRE_KEY_TEXT.encode().hex(),
                "ack_timeout_s": 2.0,
                "backoff_s": 0.2,
                "backoff_max_s": 2.0,
            },
            "deterrence": {"board": self.profile.name, "quiet_hours": []},
        }

    # --- the unit's power -------------------------------------------------------------

    def start_unit(self, feed: Feed | None, *, config: dict[str, Any] | None = None) -> None:
        self._config = deep_merge(self.default_config(), config or {})
        (self.workdir / "unit.toml").write_text(tomli_w.dumps(self._config))
        if feed is not None:
            self.play(feed)
        self._spawn_unit()

    def _spawn_unit(self) -> None:
        env = {
            **os.environ,
            "GPIOZERO_MOCK_PIN_CLASS": "parkvakt-wire",
            "PARKVAKT_WIRE_DIR": str(self.wire_dir),
            "PARKVAKT_STATE_DIR": str(self.state_dir),
            "PARKVAKT_WIRE_LEVELS": json.dumps(
                {f"GPIO{self.profile.inputs[n].pin}": int(self._level(n, a)) for n, a in self._input_active.items()}
            ),
        }
        env.pop("NOTIFY_SOCKET", None)
        python, cwd = sys.executable, None
        if self.install_root is not None:
            # not this source tree: the release's own code, found through its virtualenv only
            python, cwd = str(self.install_root / "current" / "venv" / "bin" / "python"), self.workdir
            env.pop("PYTHONPATH", None)
        log = self.log_path.open("ab")
        self._unit = subprocess.Popen(
            [
                python,
                "-m",
                "firmware.cli",
                "run",
                "--config",
                str(self.workdir / "unit.toml"),
                "--gpio",
                "mock",
            ],
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def stop_unit(self) -> int | None:
        if self._unit is None:
            return None
        self._unit.send_signal(signal.SIGTERM)
        try:
            return self._unit.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._unit.kill()
            return self._unit.wait()

    def kill_unit(self) -> None:
        if self._unit is not None:
            self._unit.kill()
            self._unit.wait()

    def restart_unit(self) -> None:
        self._spawn_unit()

    def unit_log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _watch_power(self) -> None:
        """A dead process lets go of its pins: the rig sees every output fall to its wired default."""
        while not self._closing:
            unit = self._unit
            if unit is not None and unit.poll() is not None:
                t = time.monotonic()
                for log in self.outputs.values():
                    log.record(t, False)
            time.sleep(0.02)

    # --- serial -----------------------------------------------------------------------

    def emulator_target(self) -> list[str]:
        return ["--pty", "--link", str(self.port_link)]

    # --- pins -------------------------------------------------------------------------

    def _listen_wire(self) -> None:
        while not self._closing:
            try:
                data = self._wire.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            t = time.monotonic()
            try:
                msg = json.loads(data)
            except ValueError:
                continue
            pin = msg.get("pin", "")
            if pin in self._inputs_by_pin:
                continue
            spec = self._by_pin.get(pin)
            if spec is None:
                continue
            driven = msg.get("function") == "output"
            level_high = float(msg.get("level", 0.0)) > 0.5
            self.outputs[spec.name].record(t, driven and level_high == spec.active_high)

    def _level(self, input_name: str, active: bool) -> bool:
        return (self.profile.inputs[input_name].active_when == "high") == active

    def drive(self, input_name: str, active: bool) -> None:
        spec = self.profile.inputs[input_name]
        self._input_active[input_name] = active
        high = self._level(input_name, active)
        message = json.dumps({"pin": f"GPIO{spec.pin}", "level": int(high)}).encode()
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(message, str(self.wire_dir / "unit.sock"))

    # --- network ----------------------------------------------------------------------

    def cut_network(self) -> None:
        self.mosquitto.stop()
        self.centre.stop()

    def restore_network(self) -> None:
        self.mosquitto.start()
        self.centre.start()

    def close(self) -> None:
        self._closing = True
        if self._unit is not None and self._unit.poll() is None:
            self.stop_unit()
        self.close_serial()
        self.broker.close()
        self.centre.close()
        self.mosquitto.stop()
        self._wire.close()
