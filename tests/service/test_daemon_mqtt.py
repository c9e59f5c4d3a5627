"""The daemon with the real MQTT uplink against a real mosquitto: online/offline, a signed remote
command routed to the policy, the outbox flushed on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import paho.mqtt.client as paho

from firmware.uplink.commands import sign_command
from tests.service.daemon_process import DaemonProcess
from tests.support.emulator import module_emulator
from tests.support.mosquitto import Mosquitto, requires_mosquitto

pytestmark = requires_mosquitto


class Subscriber:
    def __init__(self, port: int, topic: str) -> None:
        self.messages: list[tuple[float, str, bytes, bool]] = []
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"test-{os.getpid()}")
        self.client.on_message = lambda c, u, m: self.messages.append((time.monotonic(), m.topic, m.payload, m.retain))
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def on(self, topic: str) -> list[bytes]:
        return [payload for _, t, payload, _ in list(self.messages) if t == topic]

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def test_online_command_state_and_offline_on_sigterm(tmp_path: Path, write_config) -> None:
    key = os.urandom(32).hex().encode()
    key_file = tmp_path / "command.key"
    key_file.write_bytes(key)
    with Mosquitto(tmp_path / "broker") as broker, module_emulator(tmp_path, rate=8.0) as (port, _emu):
        mqtt = (
            f'host = "127.0.0.1"\nport = {broker.port}\ntls = false\ncommand_key = "{key_file}"\n'
            "telemetry_interval_s = 1\nbackoff_initial_s = 0.2\nbackoff_max_s = 1\n"
        )
        config = write_config(mqtt=mqtt)
        root = "parkvakt/svc-test"
        sub = Subscriber(broker.port, f"{root}/#")
        faults = {"PARKVAKT_TEST_FAULTS": "i-know-this-breaks-the-unit:crash-task=retention"}
        daemon = DaemonProcess(config, tmp_path, source=f"uart:{port}", extra_env=faults).start()
        try:
            daemon.wait_notify("READY=1", timeout=30)
            daemon.wait_for(lambda: b"online" in sub.on(f"{root}/status"), 15, "status online")
            daemon.wait_for(lambda: sub.on(f"{root}/telemetry"), 15, "telemetry")
            events = daemon.wait_for(lambda: [json.loads(p) for p in sub.on(f"{root}/event")], 15, "an event")
            assert any(e["type"] == "trouble" and "task retention died" in json.dumps(e) for e in events), events
            telemetry = json.loads(sub.on(f"{root}/telemetry")[-1])
            assert "fps" in json.dumps(telemetry)
            sub.publish(f"{root}/cmd/trigger", sign_command(key, unit="svc-test", name="trigger", args={}))
            daemon.wait_for(lambda: sub.on(f"{root}/cmd/trigger/result"), 15, "trigger result")
            result = json.loads(sub.on(f"{root}/cmd/trigger/result")[-1])
            assert "siren=on" in json.dumps(result), result
            daemon.wait_for(
                lambda: [p for p in sub.on(f"{root}/state") if json.loads(p).get("outputs", {}).get("siren") == "on"],
                15,
                "state with the siren on",
            )
            forged = json.loads(sign_command(b"x" * 32, unit="svc-test", name="silence"))
            sub.publish(f"{root}/cmd/silence", json.dumps(forged).encode())
            daemon.wait_log("output siren on", timeout=5)
            health_file = tmp_path / "state" / "health.json"

            def healthy() -> bool:
                checks = json.loads(health_file.read_text())["checks"]
                return all(checks.get(name, {}).get("ok") for name in ("frame", "outputs", "mqtt"))

            daemon.wait_for(healthy, 10, "the update agent's health checks frame, outputs, mqtt")
            daemon.signal(signal.SIGTERM)
            rc = daemon.proc.wait(10)
            daemon.wait_for(lambda: sub.on(f"{root}/status")[-1:] == [b"offline"], 10, "offline published")
        finally:
            daemon.kill()
            sub.close()
    assert rc == 0, daemon.log_text()
    assert not any("output siren off (silenced" in line for line in daemon.log), "a forged silence was obeyed"
    assert any("outputs in their safe state" in line for line in daemon.log)
