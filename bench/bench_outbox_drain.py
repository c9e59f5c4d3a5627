"""How fast the MQTT uplink empties a backlog once the broker is back.

    .venv/bin/python bench/bench_outbox_drain.py [--events 10000] [--repeat 3] [--listener plain|mtls]

End to end: ``--events`` events in the real SQLite outbox (a mix of motion, vehicle, person,
fire and tamper, as a unit cut off for a while would hold), the real ``UplinkService`` retrying
a broker that is down, then a real mosquitto started. Measured from the broker's start: the
reconnect wait (the jittered backoff, default config), then the drain until the outbox is empty,
i.e. every event PUBACKed and acknowledged in SQLite.

Baseline in the same run: a bare aiomqtt client publishing the same number of messages of the
same size with QoS 1 and the same in-flight window, with no outbox (nothing read from or
written to disk).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiomqtt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from firmware.config import parse_config
from firmware.events import Event, EventType
from firmware.uplink.mqtt import SINK, UplinkService
from firmware.uplink.outbox import Outbox
from tests.support.mosquitto import Mosquitto

MIX: tuple[EventType, ...] = ("motion", "motion", "vehicle", "person", "motion", "fire", "tamper", "motion")


def _fill(outbox: Outbox, n: int) -> int:
    size = 0
    for i in range(n):
        kind = MIX[i % len(MIX)]
        entry = outbox.put(Event(kind, "start", float(i), 0.93, "north", (0.4, 0.5, 0.05, 0.2)))
        size = max(size, len(json.dumps(entry.payload, separators=(",", ":"))))
    return size


def _mqtt_section(broker: Mosquitto, listener: str) -> dict[str, object]:
    if listener == "plain":
        return {"host": "127.0.0.1", "port": broker.port, "tls": False}
    return {
        "host": "127.0.0.1",
        "port": broker.mtls_port,
        "ca": str(broker.pki.ca_cert),
        "cert": str(broker.pki.client_cert),
        "key": str(broker.pki.client_key),
    }


async def drain_once(workdir: Path, n: int, listener: str, inflight: int) -> tuple[float, float, int]:
    """(seconds from broker start to reconnect, seconds from reconnect to empty outbox, payload bytes)."""
    broker = Mosquitto(workdir / "broker")
    config = parse_config(
        {
            "unit": {"id": "bench", "state_dir": str(workdir / "state")},
            "mqtt": {**_mqtt_section(broker, listener), "discovery": False, "inflight": inflight},
        }
    )
    outbox = Outbox(workdir / "outbox.db", unit="bench")
    size = _fill(outbox, n)
    service = UplinkService(config, outbox)
    task = asyncio.create_task(service.run())
    try:
        await asyncio.sleep(2.0)  # the unit retries a broker that is away
        assert service.connects == 0 and outbox.depth(SINK) == n
        broker.start()
        back = time.perf_counter()
        while service.connects == 0:
            await asyncio.sleep(0.001)
        connected = time.perf_counter()
        while outbox.depth(SINK) > 0:
            await asyncio.sleep(0.02)  # polling harder would steal the CPU the drain needs
        drained = time.perf_counter()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        outbox.close()
        broker.stop()
    return connected - back, drained - connected, size


async def baseline_once(workdir: Path, n: int, size: int, window: int, listener: str) -> float:
    broker = Mosquitto(workdir / "broker-baseline")
    broker.start()
    payload = b"x" * size
    tls = None
    port = broker.port
    if listener == "mtls":
        tls = ssl.create_default_context(cafile=str(broker.pki.ca_cert))
        tls.load_cert_chain(str(broker.pki.client_cert), str(broker.pki.client_key))
        port = broker.mtls_port
    try:
        async with aiomqtt.Client("127.0.0.1", port, tls_context=tls, max_inflight_messages=window) as client:
            client.pending_calls_threshold = window + 50
            slots = asyncio.Semaphore(window)

            async def one() -> None:
                async with slots:
                    await client.publish("bench/event", payload, qos=1)

            began = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(n)))
            return time.perf_counter() - began
    finally:
        broker.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--listener", choices=["plain", "mtls"], default="plain")
    parser.add_argument("--inflight", type=int, default=parse_config({"unit": {"id": "x"}}).mqtt.inflight)
    args = parser.parse_args()
    window = args.inflight
    waits, drains, bases = [], [], []
    for r in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="parkvakt-bench-") as tmp:
            wait, drain, size = await drain_once(Path(tmp), args.events, args.listener, window)
            base = await baseline_once(Path(tmp), args.events, size, window, args.listener)
        waits.append(wait)
        drains.append(drain)
        bases.append(base)
        print(f"run {r + 1}: reconnect wait {wait:.2f} s, drain {drain:.2f} s, baseline {base:.2f} s", flush=True)
    n = args.events
    med_wait, med_drain, med_base = (statistics.median(x) for x in (waits, drains, bases))
    print(f"\n{n} events, {args.listener}, in-flight window {window}, median of {args.repeat}:")
    print(f"  reconnect wait after the broker came back: {med_wait:.2f} s (max {max(waits):.2f} s)")
    print(f"  drain (outbox → PUBACK → ack):            {med_drain:.2f} s = {n / med_drain:,.0f} events/s")
    total = statistics.median(w + d for w, d in zip(waits, drains, strict=True))
    print(f"  broker back → outbox empty:               {total:.2f} s")
    print(f"  baseline, bare aiomqtt QoS 1, no outbox:   {med_base:.2f} s = {n / med_base:,.0f} messages/s")


if __name__ == "__main__":
    asyncio.run(main())
