"""``python -m firmware.uplink.burst --config unit.toml --count N``: a burst of events through the
real outbox and ``UplinkService``, the way the daemon feeds them.

The process under test for the kill -9 durability test (until the daemon exists it stands in
for it). Each event is printed as ``<id> <seq>`` once ``Outbox.put`` has returned, i.e. once it
is durable. ``--drain`` keeps running after the burst until the broker has acknowledged every
entry, then prints ``drained`` and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from pathlib import Path

from firmware.config import load_config
from firmware.events import Event, EventType
from firmware.uplink.mqtt import SINK, UplinkService
from firmware.uplink.outbox import Outbox, outbox_path

PATTERN: tuple[EventType, ...] = ("person", "motion", "fire", "motion", "tamper", "vehicle")


async def burst(config_path: Path, count: int, interval_s: float, drain: bool) -> int:
    config = load_config(config_path)
    outbox = Outbox(outbox_path(config.unit.resolved_state_dir()), unit=config.unit.id)
    service = UplinkService(config, outbox)
    task = asyncio.create_task(service.run())
    try:
        for i in range(count):
            kind = PATTERN[i % len(PATTERN)]
            entry = outbox.put(Event(type=kind, phase="instant" if kind == "tamper" else "start", t=float(i)))
            sys.stdout.write(f"{entry.id} {entry.seq}\n")
            sys.stdout.flush()
            await asyncio.sleep(interval_s)
        if drain:
            while outbox.depth(SINK) > 0:
                await asyncio.sleep(0.02)
            sys.stdout.write("drained\n")
            sys.stdout.flush()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        outbox.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m firmware.uplink.burst", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--interval-ms", type=float, default=1.0)
    parser.add_argument("--drain", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    return asyncio.run(burst(args.config, args.count, args.interval_ms / 1000.0, args.drain))


if __name__ == "__main__":
    sys.exit(main())
