"""How fast the DC-09 link clears a backlog, and what a message costs in CPU.

    .venv/bin/python bench/bench_dc09.py [--events 400] [--repeat 3]

A unit that was cut off from the centre for a while must empty its outbox quickly once the
link is back. End to end here: events in the real outbox, the real transmitter, pysiaalarm's
receiver on localhost, each event acked in the outbox after the receiver's ACK. Baseline in
the same run: the bare cost of the same number of request/answer round trips of the same size
over one asyncio TCP connection, with no DC-09, no crypto, no outbox.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from pysiaalarm import SIAAccount
from pysiaalarm.aio import SIAClient

from firmware.events import Event
from firmware.uplink.dc09 import frame
from firmware.uplink.dc09.transmitter import Dc09Transmitter, LinkSettings
from firmware.uplink.outbox import Outbox

ACCOUNT = "1234AB"
TEXT_KEY = "K3y4Parkvakt0256ReceiverCentre!!"
WIRE = 118  # bytes of an AES-256 SIA-DCS alarm


def per_message_us(key: bytes | None, n: int = 5000) -> tuple[float, float]:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    msg = frame.Message("SIA-DCS", 17, ACCOUNT, data=f"#{ACCOUNT}|Nri1/BA012", timestamp=now, encrypted=key is not None)
    t0 = time.perf_counter()
    for _ in range(n):
        wire = frame.build(msg, key)
    t1 = time.perf_counter()
    for _ in range(n):
        frame.parse(wire, key)
    t2 = time.perf_counter()
    return (t1 - t0) / n * 1e6, (t2 - t1) / n * 1e6


async def end_to_end(n: int, text_key: str | None) -> float:
    async def ignore(_event: object) -> None:
        return None

    client = SIAClient("127.0.0.1", 0, [SIAAccount(ACCOUNT, text_key)], ignore)
    await client.async_start()
    port = client.server.sockets[0].getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        outbox = Outbox(Path(tmp) / "outbox.db", unit="bench")
        for i in range(n):
            outbox.put(Event("person", "start", float(i), zone="lot", incident=str(i)), sinks=("dc09",))
        settings = LinkSettings(
            receivers=(("127.0.0.1", port),), account=ACCOUNT, key=text_key.encode() if text_key else None
        )
        tx = Dc09Transmitter(outbox, settings)
        task = asyncio.create_task(tx.run())
        t0 = time.perf_counter()
        while outbox.depth("dc09"):
            await asyncio.sleep(0.001)
        elapsed = time.perf_counter() - t0
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        outbox.close()
    await client.async_stop()
    assert client.counts.valid_events == n, client.counts
    return n / elapsed


async def baseline(n: int) -> float:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                await reader.readuntil(b"\r")
                writer.write(b"\n" + b"A" * 80 + b"\r")
                await writer.drain()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
    request = b"\n" + b"M" * WIRE + b"\r"
    t0 = time.perf_counter()
    for _ in range(n):
        writer.write(request)
        await writer.drain()
        await reader.readuntil(b"\r")
    elapsed = time.perf_counter() - t0
    writer.close()
    await writer.wait_closed()
    await asyncio.sleep(0.05)  # let the server side see EOF and finish
    server.close()
    await server.wait_closed()
    return n / elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    for name, key in (("clear", None), ("AES-256", TEXT_KEY.encode())):
        build_us, parse_us = per_message_us(key)
        print(f"frame.build {name}: {build_us:.1f} us   frame.parse {name}: {parse_us:.1f} us")

    results: dict[str, list[float]] = {"clear": [], "AES-256": [], "baseline": []}
    for _ in range(args.repeat):
        results["clear"].append(asyncio.run(end_to_end(args.events, None)))
        results["AES-256"].append(asyncio.run(end_to_end(args.events, TEXT_KEY)))
        results["baseline"].append(asyncio.run(baseline(args.events)))
    for name, rates in results.items():
        print(f"{name:>9}: {statistics.median(rates):8.0f} messages/s (median of {args.repeat}, {args.events} each)")


if __name__ == "__main__":
    main()
