"""The daemon's side of remote updates: the signed ``update`` command leaves a request for the
root-only agent, the agent's reports reach the broker, and ``status`` carries the birth record."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiomqtt
import tomli_w

from firmware.update.durable import write_json
from firmware.uplink.commands import sign_command
from tests.support.mosquitto import Mosquitto, mosquitto, requires_mosquitto

pytestmark = requires_mosquitto
__all__ = ["mosquitto"]

UNIT = "upd-1"


def start_daemon(tmp_path: Path, broker: Mosquitto) -> tuple[subprocess.Popen[bytes], Path, bytes]:
    key = secrets.token_hex(32).encode()  # as provisioning writes it: text, so the daemon may strip a newline
    key_path = tmp_path / "command.key"
    key_path.write_bytes(key)
    state = tmp_path / "state"
    config = {
        "unit": {"id": UNIT, "state_dir": str(state)},
        "sensor": {"type": "sim", "scenario": "empty-night", "realtime": True},
        "mqtt": {"host": "127.0.0.1", "port": broker.port, "tls": False, "command_key": str(key_path)},
    }
    path = tmp_path / "unit.toml"
    path.write_text(tomli_w.dumps(config))
    env = {**os.environ, "PARKVAKT_STATE_DIR": str(state)}
    env.pop("NOTIFY_SOCKET", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "firmware.cli", "run", "--config", str(path), "--gpio", "mock", "--no-audio"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc, state, key


async def command(client: aiomqtt.Client, key: bytes, name: str, args: dict) -> dict:
    await client.subscribe(f"parkvakt/{UNIT}/cmd/{name}/result", qos=1)
    payload = sign_command(key, unit=UNIT, name=name, args=args)
    await client.publish(f"parkvakt/{UNIT}/cmd/{name}", payload, qos=1)
    async with asyncio.timeout(20):
        async for message in client.messages:
            if message.topic.matches(f"parkvakt/{UNIT}/cmd/{name}/result"):
                return json.loads(message.payload)
    raise AssertionError("unreachable")


async def test_update_command_birth_record_and_reports(mosquitto: Mosquitto, tmp_path: Path) -> None:
    proc, state, key = start_daemon(tmp_path, mosquitto)
    try:
        async with aiomqtt.Client("127.0.0.1", mosquitto.port) as client:
            await client.subscribe(f"parkvakt/{UNIT}/status", qos=1)
            async with asyncio.timeout(30):
                async for message in client.messages:
                    if message.payload == b"online":
                        break
            status = await command(client, key, "status", {})
            birth = status["result"]
            assert birth["unit"] == UNIT and len(birth["config_sha256"]) == 64 and birth["firmware"]

            answer = await command(client, key, "update", {"version": "1.4.0"})
            assert answer["ok"] is True and answer["result"] == {"started": "1.4.0"}
            request = json.loads((state / "update" / "request.json").read_text())
            assert request["version"] == "1.4.0"

            refused = await command(client, key, "update", {"version": "../../etc"})
            assert refused.get("ok") is False and "version" in json.dumps(refused)

            # what the root-only agent leaves behind reaches the operator
            await client.subscribe(f"parkvakt/{UNIT}/update/#", qos=1)
            write_json(state / "update" / "status.json", {"state": "Download", "version": "1.4.0", "at": time.time()})
            async with asyncio.timeout(15):
                async for message in client.messages:
                    if message.topic.matches(f"parkvakt/{UNIT}/update/status"):
                        assert json.loads(message.payload)["state"] == "Download"
                        break
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
