"""The bench rig: a Raspberry Pi unit wired to a rig host, driven by the same tests as CI.

The rig host reads the unit's output lines and drives its PIR and tamper lines with gpiozero on
its own pins (``[wires]`` in the rig config), writes byte-exact module frames into the unit's
UART through a USB-UART (the module emulator with ``--port``), runs the broker and the alarm
centre the unit reports to, and controls the unit's power and config over SSH.
"""

from __future__ import annotations

import shlex
import subprocess
import time
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from gpiozero import DigitalInputDevice, DigitalOutputDevice

from hil.broker import BrokerWatch
from hil.centre import AlarmCentre
from hil.emulated import deep_merge
from hil.feeds import Feed
from hil.rig import OutputLog, Rig
from hw.board_profile import load_profile
from tests.support.mosquitto import MOSQUITTO


class BenchBroker:
    """mosquitto on the bench LAN (the unit connects from another machine), stoppable for outages."""

    def __init__(self, workdir: Path, port: int) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = port
        self.config = workdir / "mosquitto.conf"
        self.config.write_text(
            f"listener {port} 0.0.0.0\nallow_anonymous true\npersistence true\n"
            f"persistence_location {workdir}/\nlog_dest file {workdir}/mosquitto.log\n"
        )
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if MOSQUITTO is None:
            raise RuntimeError("mosquitto is not installed on the rig host (apt install mosquitto)")
        self._proc = subprocess.Popen([MOSQUITTO, "-c", str(self.config)])
        time.sleep(0.5)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(10)
            self._proc = None


class PiRig(Rig):
    def __init__(self, config: dict[str, Any], workdir: Path) -> None:
        self.cfg = config
        self.workdir = workdir
        self.unit_id = config["unit"]["id"]
        self.profile = load_profile(config["board"])
        self.ssh = config["unit"]["ssh"]
        self.outputs = {name: OutputLog(name) for name in config["wires"]["outputs"]}
        self._readers = {
            name: DigitalInputDevice(pin, pull_up=None, active_state=self.profile.outputs[name].active_high)
            for name, pin in config["wires"]["outputs"].items()
        }
        for name, reader in self._readers.items():
            reader.when_activated = lambda n=name: self.outputs[n].record(time.monotonic(), True)
            reader.when_deactivated = lambda n=name: self.outputs[n].record(time.monotonic(), False)
            self.outputs[name].record(time.monotonic(), bool(reader.value))
        self._drivers = {
            name: DigitalOutputDevice(pin, active_high=self.profile.inputs[name].active_when == "high")
            for name, pin in config["wires"]["inputs"].items()
        }
        self.mosquitto = BenchBroker(workdir / "broker", int(config["broker"]["port"]))
        self.mosquitto.start()
        self.broker = BrokerWatch("127.0.0.1", self.mosquitto.port, f"parkvakt/{self.unit_id}")
        self.centre = AlarmCentre(config["centre"]["account"], config["centre"]["key_text"], config["centre"]["port"])
        self.centre.start()

    @classmethod
    def from_file(cls, path: Path, workdir: Path) -> PiRig:
        return cls(tomllib.loads(path.read_text()), workdir)

    def _on_unit(self, command: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ssh", self.ssh, command], capture_output=True, text=True, timeout=60, check=check)

    def default_config(self) -> dict[str, Any]:
        rig = self.cfg["network"]["rig_address"]
        centre = self.cfg["centre"]
        return {
            "unit": {"id": self.unit_id, "state_dir": self.cfg["unit"]["state_dir"]},
            "sensor": {"type": "mlx90640-uart", "port": "/dev/serial0", "rate_hz": 8},
            "mqtt": {"host": rig, "port": int(self.cfg["broker"]["port"]), "tls": False, "insecure": True},
            "alarm_centre": {
                "enabled": True,
                "primary": f"{rig}:{centre['port']}",
                "account": centre["account"],
                "key": centre["key_text"].encode().hex(),
            },
            "deterrence": {"board": self.profile.name, "quiet_hours": []},
        }

    def start_unit(self, feed: Feed | None, *, config: dict[str, Any] | None = None) -> None:
        text = tomli_w.dumps(deep_merge(self.default_config(), config or {}))
        path = shlex.quote(self.cfg["unit"]["config_path"])
        subprocess.run(["ssh", self.ssh, f"sudo tee {path} >/dev/null"], input=text, text=True, check=True, timeout=60)
        self._on_unit(f"sudo systemctl restart {self.cfg['unit']['service']}")
        if feed is not None:
            self.play(feed)

    def stop_unit(self) -> int | None:
        self._on_unit(f"sudo systemctl stop {self.cfg['unit']['service']}")
        return None

    def kill_unit(self) -> None:
        self._on_unit(f"sudo systemctl kill -s KILL {self.cfg['unit']['service']}", check=False)

    def restart_unit(self) -> None:
        self._on_unit(f"sudo systemctl start {self.cfg['unit']['service']}")

    def emulator_target(self) -> list[str]:
        return ["--port", self.cfg["serial"]["port"], "--baud", str(self.cfg["serial"]["baud"])]

    def drive(self, input_name: str, active: bool) -> None:
        self._drivers[input_name].value = active

    def cut_network(self) -> None:
        self.mosquitto.stop()
        self.centre.stop()

    def restore_network(self) -> None:
        self.mosquitto.start()
        self.centre.start()

    def unit_log(self) -> str:
        return self._on_unit(f"journalctl -u {self.cfg['unit']['service']} -n 200 --no-pager", check=False).stdout

    def close(self) -> None:
        self.close_serial()
        self.broker.close()
        self.centre.close()
        self.mosquitto.stop()
        for device in [*self._readers.values(), *self._drivers.values()]:
            device.close()
