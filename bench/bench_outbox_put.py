"""What write-ahead adds to frame → output: one ``Outbox.put`` per event, on the engine thread.

    .venv/bin/python bench/bench_outbox_put.py [--n 500] [--dir /var/tmp]

An alarm is committed with ``synchronous=FULL`` (an fsync), anything else with the default.
Baseline in the same run: an in-memory SQLite insert of the same payload, the least a durable
store could cost on this machine. Run it on the unit's own storage (an SD card) for that figure.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from firmware.events import Event
from firmware.uplink.outbox import Outbox
from firmware.uplink.payload import event_payload


def timed(n: int, put: object) -> tuple[float, float]:
    times = []
    for i in range(n):
        start = time.perf_counter()
        put(i)  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1e3)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.99 * len(times)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--dir", type=Path, default=Path("/var/tmp"))
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(dir=args.dir))
    outbox = Outbox(folder / "outbox.sqlite", unit="bench")
    mem = sqlite3.connect(":memory:")
    mem.execute("CREATE TABLE t (id TEXT, payload TEXT)")
    payload = json.dumps(event_payload(Event("fire", "start", 0.0), unit="bench", seq=1, wall=time.time()))
    print(f"{args.n} puts each, outbox in {folder}")
    print("| case | median ms | p99 ms |\n|---|---:|---:|")
    for kind in ("fire", "person", "motion"):
        med, p99 = timed(args.n, lambda i, k=kind: outbox.put(Event(k, "start", float(i), incident=f"{k}{i}")))
        print(f"| `Outbox.put`, {kind} event | {med:.3f} | {p99:.3f} |")
    med, p99 = timed(args.n, lambda i: mem.execute("INSERT INTO t VALUES (?, ?)", (str(i), payload)))
    print(f"| baseline: in-memory SQLite insert | {med:.3f} | {p99:.3f} |")


if __name__ == "__main__":
    main()
