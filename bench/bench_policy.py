"""Cost of the deterrence policy per frame, and how late the max on-time guard's timer switches off.

    .venv/bin/python bench/bench_policy.py [--ticks 20000] [--activations 40]

1. ``tick(now)`` per frame with outputs on gpiozero mock pins, for 0, 1 and 20 open person
   incidents; baseline in the same run: a bare Python call that diffs two dicts of five outputs
   (the least any output policy does per frame).
2. The guard: the siren is switched on with a 50 ms limit and never ticked again (a stalled
   pipeline); lateness = when the pin actually went low minus on-time + limit. Baseline in the
   same run: a bare ``threading.Timer`` of the same interval, its callback's lateness.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from datetime import UTC, datetime

from gpiozero.pins.mock import MockFactory

from firmware.config import parse_config
from firmware.events import Event
from firmware.policy import build_policy

LIMIT_S = 0.05


def config(max_on: float = 180.0):
    ladder = [{"output": "floodlight"}, {"output": "strobe", "after_s": 5}, {"output": "siren", "after_s": 0}]
    return parse_config(
        {
            "unit": {"id": "bench"},
            "deterrence": {"ladder": ladder, "quiet_hours": [], "max_on_s": {"siren": max_on}},
        }
    )


def noon(t: float) -> datetime:
    return datetime(2026, 6, 1, 12, tzinfo=UTC)


def bench_tick(incidents: int, ticks: int) -> float:
    policy = build_policy(config(), pin_factory=MockFactory(), wall_clock=noon)
    policy.guard.real_timer = False
    for i in range(incidents):
        policy.on_event(Event(type="person", phase="start", t=0.0, zone=f"z{i}", incident=f"p{i}"))
    start = time.perf_counter()
    for k in range(ticks):
        policy.tick(1.0 + k * 0.125)
    elapsed = time.perf_counter() - start
    policy.close()
    return elapsed / ticks * 1e6


def bench_dict_diff(ticks: int) -> float:
    current = dict.fromkeys(["floodlight", "strobe", "siren", "amplifier", "status_led"], "off")
    wanted = {"floodlight": "on", "strobe": "on"}
    start = time.perf_counter()
    for _ in range(ticks):
        [n for n, s in current.items() if wanted.get(n, "off") != s]
    return (time.perf_counter() - start) / ticks * 1e6


def bench_guard(activations: int) -> list[float]:
    late: list[float] = []
    for _ in range(activations):
        factory = MockFactory()
        policy = build_policy(config(LIMIT_S), pin_factory=factory, wall_clock=noon)
        pin = factory.pin(policy.outputs.spec("siren").pin)  # type: ignore[union-attr]
        on_at = time.monotonic()
        policy.on_event(Event(type="person", phase="start", t=on_at, incident="p"))
        while pin.state:
            time.sleep(0.001)
        off_at = time.monotonic()
        late.append((off_at - on_at - LIMIT_S) * 1000)
        policy.close()
    return late


def bench_bare_timer(activations: int) -> list[float]:
    late: list[float] = []
    for _ in range(activations):
        fired = threading.Event()
        start = time.monotonic()
        threading.Timer(LIMIT_S, fired.set).start()
        while not fired.is_set():
            time.sleep(0.001)
        late.append((time.monotonic() - start - LIMIT_S) * 1000)
    return late


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ticks", type=int, default=20000)
    parser.add_argument("--activations", type=int, default=40)
    args = parser.parse_args()
    print("| case | µs per tick |\n|---|---:|")
    for n in (0, 1, 20):
        print(f"| `tick`, {n} open person incidents | {bench_tick(n, args.ticks):.1f} |")
    print(f"| baseline: diff two dicts of five outputs | {bench_dict_diff(args.ticks):.2f} |")
    guard, bare = bench_guard(args.activations), bench_bare_timer(args.activations)
    print("\n| case | median ms late | max ms late |\n|---|---:|---:|")
    print(f"| guard timer, siren pin low after {LIMIT_S * 1000:.0f} ms limit | "
          f"{statistics.median(guard):.2f} | {max(guard):.2f} |")  # fmt: skip
    print(f"| baseline: bare threading.Timer callback | {statistics.median(bare):.2f} | {max(bare):.2f} |")


if __name__ == "__main__":
    main()
