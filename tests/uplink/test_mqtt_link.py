"""The MQTT link against a real mosquitto: plain, TLS with a password, mTLS, refusals, order, Last Will."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from firmware.config import ConfigError, parse_config
from firmware.events import Event
from firmware.uplink.mqtt import UplinkService, backoff_delay
from firmware.uplink.outbox import Outbox
from tests.support.mosquitto import Mosquitto
from tests.uplink.helpers import UNIT, next_message, operator, payload_json, running, unit_config, uplink

REPO = Path(__file__).resolve().parents[2]


async def _received_events(op: object, count: int) -> list[dict[str, object]]:
    out = []
    while len(out) < count:
        out.append(payload_json(await next_message(op, f"parkvakt/{UNIT}/event")))  # type: ignore[arg-type]
    return out


@pytest.mark.parametrize("listener", ["plain", "tls", "mtls"])
async def test_events_reach_the_operator_over_each_listener(
    mosquitto: Mosquitto, tmp_path: Path, listener: str
) -> None:
    config = unit_config(mosquitto, tmp_path / "state", listener=listener, discovery=False)
    async with operator(mosquitto) as op:
        await op.subscribe(f"parkvakt/{UNIT}/#", qos=1)
        async with uplink(config) as service:
            sent = [service.outbox.put(Event("person", "start", 1.0, zone="gate", bbox=(0.1, 0.2, 0.05, 0.2)))]
            sent.append(service.outbox.put(Event("person", "end", 9.0, zone="gate")))
            got = await _received_events(op, 2)
            assert [e["id"] for e in got] == [e.id for e in sent]
            assert got[0]["zone"] == "gate" and got[0]["bbox"] == [0.1, 0.2, 0.05, 0.2] and got[0]["unit"] == UNIT
            async with asyncio.timeout(5):
                while service.outbox.depth() > 0:
                    await asyncio.sleep(0.01)
    async with operator(mosquitto) as late:
        await late.subscribe(f"parkvakt/{UNIT}/status", qos=1)
        status = await next_message(late, f"parkvakt/{UNIT}/status")
    assert status.retain and status.payload == b"offline", "a clean shutdown leaves a retained offline"


async def test_tls_with_username_and_password(tmp_path: Path) -> None:
    with Mosquitto(tmp_path / "broker", passwords={"lot7": "s3cret-pw"}) as broker:
        good = unit_config(broker, tmp_path / "a", listener="tls", username="lot7", password="s3cret-pw")
        async with uplink(good) as service:
            assert service.connected
        bad = unit_config(broker, tmp_path / "b", listener="tls", username="lot7", password="wrong")
        outbox = Outbox(tmp_path / "b.db", unit=UNIT)
        outbox.put(Event("fire", "start", 1.0))
        service = UplinkService(bad, outbox)
        async with running(service, wait_connected=False):
            async with asyncio.timeout(10):
                while service.connect_failures < 2:
                    await asyncio.sleep(0.02)
        assert not service.connected and "Not authorized" in (service.last_error or "")
        assert outbox.depth("mqtt") == 1, "nothing leaves the outbox while the broker refuses us"
        outbox.close()


@pytest.mark.parametrize("trouble", ["unknown CA", "no client certificate"])
async def test_refuses_a_broker_it_cannot_trust_and_keeps_the_events(
    mosquitto: Mosquitto, tmp_path: Path, trouble: str
) -> None:
    if trouble == "unknown CA":
        other = Mosquitto(tmp_path / "other")  # a different CA: a broker impersonating ours
        config = unit_config(mosquitto, tmp_path / "s", listener="tls", ca=str(other.pki.ca_cert))
    else:
        config = unit_config(mosquitto, tmp_path / "s", listener="tls", port=mosquitto.mtls_port, connect_timeout_s=1.0)
    outbox = Outbox(tmp_path / "o.db", unit=UNIT)
    outbox.put(Event("fire", "start", 1.0))
    service = UplinkService(config, outbox)
    async with running(service, wait_connected=False):
        async with asyncio.timeout(10):
            while service.connect_failures < 1:
                await asyncio.sleep(0.02)
    assert service.connects == 0 or not service.connected
    assert outbox.depth("mqtt") == 1
    outbox.close()


def test_plain_mqtt_to_a_remote_host_needs_insecure_on_purpose() -> None:
    with pytest.raises(ConfigError, match="refusing plain MQTT"):
        parse_config({"unit": {"id": "u"}, "mqtt": {"host": "broker.example.net", "port": 1883, "tls": False}})
    parse_config({"unit": {"id": "u"}, "mqtt": {"host": "broker.example.net", "tls": False, "insecure": True}})
    parse_config({"unit": {"id": "u"}, "mqtt": {"host": "127.0.0.1", "port": 1883, "tls": False}})
    default = parse_config({"unit": {"id": "u"}}).mqtt
    assert default.tls and default.username is None and default.password is None, "no default credentials"


async def test_fire_goes_first_out_of_a_backlog(mosquitto: Mosquitto, tmp_path: Path) -> None:
    config = unit_config(mosquitto, tmp_path / "state", discovery=False, inflight=5)
    outbox = Outbox(config.unit.state_dir / "outbox.db", unit=UNIT)
    for i in range(200):
        outbox.put(Event("motion", "start", float(i)))
    fire = outbox.put(Event("fire", "start", 500.0))
    async with operator(mosquitto) as op:
        await op.subscribe(f"parkvakt/{UNIT}/event", qos=1)
        async with running(UplinkService(config, outbox)):
            got = await _received_events(op, 201)
    assert got[0]["id"] == fire.id
    assert [e["seq"] for e in got[1:]] == list(range(1, 201)), "the rest in seq order"
    outbox.close()


async def test_telemetry_reports_outbox_and_link(mosquitto: Mosquitto, tmp_path: Path) -> None:
    config = unit_config(mosquitto, tmp_path / "state", discovery=False, telemetry_interval_s=1.0)
    async with operator(mosquitto) as op:
        await op.subscribe(f"parkvakt/{UNIT}/telemetry", qos=1)
        async with uplink(config, telemetry=lambda: {"fps": 8.0, "frames_rejected": 3}):
            first = payload_json(await next_message(op, f"parkvakt/{UNIT}/telemetry"))
            second = payload_json(await next_message(op, f"parkvakt/{UNIT}/telemetry"))
    assert first["fps"] == 8.0 and first["frames_rejected"] == 3 and first["outbox"]["depth"] == 0
    assert {"uptime_s", "cpu_temp_c", "load", "disk_free_bytes"} <= set(first)
    assert second["link"]["rtt_ms"] is not None and second["link"]["connected"] is True
    assert second["commands"]["rejected"] == 0


def test_last_will_says_offline_when_the_unit_dies(mosquitto: Mosquitto, tmp_path: Path) -> None:
    state = tmp_path / "state"
    cfg = tmp_path / "unit.toml"
    cfg.write_text(
        f'[unit]\nid = "{UNIT}"\nstate_dir = "{state}"\n[mqtt]\nhost = "127.0.0.1"\nport = {mosquitto.port}\n'
        "tls = false\ndiscovery = false\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "firmware.uplink.burst", "--config", str(cfg), "--count", "100000"]
        + ["--interval-ms", "20"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )

    async def watch() -> list[bytes]:
        seen: list[bytes] = []
        async with operator(mosquitto) as op:
            await op.subscribe(f"parkvakt/{UNIT}/status", qos=1)
            while not seen or seen[-1] != b"online":
                seen.append(bytes((await next_message(op, f"parkvakt/{UNIT}/status", 20)).payload))  # type: ignore[arg-type]
            assert proc.stdout is not None and proc.stdout.readline()
            proc.send_signal(signal.SIGKILL)
            seen.append(bytes((await next_message(op, f"parkvakt/{UNIT}/status", 20)).payload))  # type: ignore[arg-type]
        return seen

    try:
        seen = asyncio.run(watch())
    finally:
        proc.kill()
        proc.wait()
    assert seen[-2:] == [b"online", b"offline"]


def test_reconnect_delays_are_jittered_exponential_and_capped() -> None:
    rng = random.Random(7)
    for attempt in range(12):
        ceiling = min(30.0, 0.5 * 2**attempt)
        delays = [backoff_delay(attempt, 0.5, 30.0, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > 0.8 * ceiling and min(delays) < 0.2 * ceiling, "full jitter spreads a fleet out"


async def test_stop_leaves_a_retained_offline_and_snapshots_reach_the_operator(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    config = unit_config(mosquitto, tmp_path / "state", discovery=False)
    outbox = Outbox(config.unit.state_dir / "outbox.db", unit=UNIT)
    service = UplinkService(config, outbox)
    assert await service.publish_snapshot(b"\x89PNG...") is False, "offline: not sent, and says so"
    task = asyncio.create_task(service.run())
    async with asyncio.timeout(10):
        while not service.connected:
            await asyncio.sleep(0.01)
    async with operator(mosquitto) as op:
        await op.subscribe(f"parkvakt/{UNIT}/snapshot", qos=1)
        assert await service.publish_snapshot(b"\x89PNG-bytes") is True
        assert (await next_message(op, f"parkvakt/{UNIT}/snapshot")).payload == b"\x89PNG-bytes"
    await service.stop()
    assert task.done() and not service.connected
    async with operator(mosquitto) as late:
        await late.subscribe(f"parkvakt/{UNIT}/status", qos=1)
        status = await next_message(late, f"parkvakt/{UNIT}/status")
    assert status.retain and status.payload == b"offline"
    outbox.close()


async def test_state_shows_open_incidents_for_home_assistant(mosquitto: Mosquitto, tmp_path: Path) -> None:
    config = unit_config(mosquitto, tmp_path / "state", discovery=False)
    async with operator(mosquitto) as op:
        await op.subscribe(f"parkvakt/{UNIT}/state", qos=1)
        async with uplink(config, state=lambda: {"armed": True}) as service:
            start = Event("person", "start", 1.0, incident="inc-1")
            service.outbox.put(start)
            state = payload_json(await next_message(op, f"parkvakt/{UNIT}/state"))
            while not state["active"]["person"]:
                state = payload_json(await next_message(op, f"parkvakt/{UNIT}/state"))
            assert state["armed"] is True and state["active"]["fire"] is False
            service.outbox.put(Event("person", "end", 9.0, incident="inc-1"))
            while state["active"]["person"]:
                state = payload_json(await next_message(op, f"parkvakt/{UNIT}/state"))
            assert state["firmware"] and state["unit"] == UNIT


async def test_one_uplink_survives_a_broker_outage_and_delivers_what_queued(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    """The same running uplink, not a restarted one: a lost connection must not end it."""
    config = unit_config(mosquitto, tmp_path / "state", discovery=False)
    async with uplink(config) as service:
        mosquitto.stop()
        async with asyncio.timeout(10):
            while service.connected:
                await asyncio.sleep(0.01)
        fire = service.outbox.put(Event("fire", "start", 1.0))
        await asyncio.sleep(1.0)  # several refused reconnects
        mosquitto.start()
        async with operator(mosquitto) as op:
            await op.subscribe(f"parkvakt/{UNIT}/event", qos=1)
            async with asyncio.timeout(15):
                while service.outbox.depth("mqtt") > 0:
                    await asyncio.sleep(0.05)
        assert service.connects >= 2
    async with operator(mosquitto, identifier="late", clean_session=True) as late:
        await late.subscribe(f"parkvakt/{UNIT}/status", qos=1)
        assert (await next_message(late, f"parkvakt/{UNIT}/status")).payload == b"offline"
    assert fire.rowid > 0
