"""Soak benchmark: the real daemon on the simulator at 8 Hz with a real mosquitto, for minutes.

    .venv/bin/python bench/soak.py --minutes 10

Measures, after a warm-up, over the soak window:

* CPU % of one core of the daemon process (utime + stime from /proc over wall time);
* RSS at the start and the end of the window (and its growth);
* frame → output switch latency (frame arrival in the reader thread → the policy's pin write
  returned), from the daemon's ``PARKVAKT_LATENCY_TRACE`` file;
* frame → broker latency (frame arrival → a subscriber on the same broker receives the event).

Two ways to feed it the simulator's ``demo`` story (a person, a car, a car fire; repeated):

* ``--via uart`` (default): the module emulator renders the frames in its own process and writes
  them, byte-exact, to a pseudo-terminal read by the daemon's real MLX90640 UART driver: the
  daemon process holds exactly what it holds on a unit;
* ``--via sim``: ``--source sim:demo`` renders inside the daemon (adds the simulator's memory).

Baseline from the same run: a process that only reads the same simulator source at 8 Hz, so
the simulator's share can be told apart from the daemon's own. Not a test; figures go to
docs/performance.md ("Daemon soak").
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import paho.mqtt.client as paho  # noqa: E402

from tests.service.daemon_process import DaemonProcess  # noqa: E402
from tests.support.mosquitto import Mosquitto  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
BASELINE = """
import sys
from hw.frame import EndOfStream
from hw.sim.source import SimSource
while True:
    src = SimSource("demo", seed=1, realtime=True)
    try:
        while True:
            src.read(1.0)
    except EndOfStream:
        pass
"""

EMULATOR = """
import itertools, sys
from pathlib import Path
from hw.sensors.emulator import ModuleEmulator, scenario_frames

def forever():
    for _ in itertools.count():
        yield from scenario_frames("demo", 1)

emu = ModuleEmulator(forever(), rate_hz=8.0, link=Path(sys.argv[1]))
print(emu.open_pty(), flush=True)
emu.wait_for_command()
emu.run([])
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds per thread, keyed ``name/tid`` (the daemon names its sensor and engine threads)."""
    out: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            comm = (task / "comm").read_text().strip()
            out[f"{comm}/{task.name}"] = cpu_seconds_of(task / "stat")
        except OSError:
            continue
    return out


def cpu_seconds_of(stat: Path) -> float:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS")


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100.0 * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=30.0, help="seconds after READY before measuring")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--via", choices=["uart", "sim"], default="uart")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="parkvakt-soak-"))
    trace = work / "latency.jsonl"
    received: dict[str, float] = {}
    with Mosquitto(work / "broker") as broker:
        config = work / "unit.toml"
        config.write_text(
            '[unit]\nid = "soak-1"\n'
            f'[mqtt]\nhost = "127.0.0.1"\nport = {broker.port}\ntls = false\ntelemetry_interval_s = 60\n'
            '[sensor]\ntype = "sim"\nscenario = "demo"\nseed = 1\nrealtime = true\nrate_hz = 8\n'
        )
        sub = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="soak-subscriber")

        def on_message(client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
            received.setdefault(json.loads(msg.payload)["id"], time.time())

        sub.on_message = on_message
        sub.on_connect = lambda c, u, f, rc, p: c.subscribe("parkvakt/soak-1/event", qos=1)
        sub.connect("127.0.0.1", broker.port)
        sub.loop_start()
        emulator = None
        source = None
        if args.via == "uart":
            link = work / "ttyMLX0"
            emulator = subprocess.Popen(
                [sys.executable, "-c", EMULATOR, str(link)], cwd=REPO, stdout=subprocess.PIPE, text=True
            )
            assert emulator.stdout is not None
            emulator.stdout.readline()
            source = f"uart:{link}"
        env = {"PARKVAKT_LATENCY_TRACE": str(trace)}
        # WATCHDOG_USEC as the shipped unit file's WatchdogSec=30: the daemon pets once a second
        daemon = DaemonProcess(config, work, source=source, extra_env=env, watchdog_usec=30_000_000).start()
        baseline = subprocess.Popen([sys.executable, "-c", BASELINE], cwd=REPO)
        try:
            daemon.wait_notify("READY=1", timeout=60)
            time.sleep(args.warmup)
            pid = daemon.proc.pid
            t0, cpu0, rss0, base0 = time.monotonic(), cpu_seconds(pid), rss_mb(pid), cpu_seconds(baseline.pid)
            threads0 = thread_cpu(pid)
            rss_samples = [rss0]
            end = t0 + args.minutes * 60.0
            while time.monotonic() < end:
                time.sleep(min(10.0, max(0.0, end - time.monotonic())))
                rss_samples.append(rss_mb(pid))
                if daemon.proc.poll() is not None:
                    raise RuntimeError("the daemon died during the soak:\n" + daemon.log_text())
            t1, cpu1, rss1, base1 = time.monotonic(), cpu_seconds(pid), rss_mb(pid), cpu_seconds(baseline.pid)
            threads1 = thread_cpu(pid)
            baseline_rss = rss_mb(baseline.pid)
            pets = len(daemon.messages("WATCHDOG=1"))
            status = daemon.messages("STATUS=")[-1].message
        finally:
            baseline.send_signal(signal.SIGTERM)
            baseline.wait(10)
            rc = daemon.stop()
            if emulator is not None:
                emulator.kill()
                emulator.wait(5)
            time.sleep(1.0)
            sub.loop_stop()
            sub.disconnect()

    switch, broker_lat, missing = [], [], 0
    for line in trace.read_text().splitlines():
        rec = json.loads(line)
        if rec["kind"] == "action":
            switch.append(rec["frame_to_switch_s"] * 1000.0)
        elif rec["kind"] == "event":
            if rec["id"] in received:
                broker_lat.append((received[rec["id"]] - rec["frame_wall"]) * 1000.0)
            else:
                missing += 1
    wall = t1 - t0
    figures = {
        "via": args.via,
        "window_s": round(wall, 1),
        "daemon_cpu_pct_one_core": round(100.0 * (cpu1 - cpu0) / wall, 2),
        "baseline_sim_only_cpu_pct_one_core": round(100.0 * (base1 - base0) / wall, 2),
        "daemon_cpu_pct_by_thread": {
            name: round(100.0 * (threads1[name] - threads0.get(name, 0.0)) / wall, 2)
            for name in sorted(threads1)
            if threads1[name] - threads0.get(name, 0.0) > 0
        },
        "rss_start_mb": round(rss0, 1),
        "rss_end_mb": round(rss1, 1),
        "rss_growth_mb": round(rss1 - rss0, 2),
        "rss_max_mb": round(max(rss_samples), 1),
        "baseline_sim_only_rss_mb": round(baseline_rss, 1),
        "frame_to_switch_ms": {
            "n": len(switch),
            "p50": percentile(switch, 50),
            "p99": percentile(switch, 99),
            "max": max(switch, default=None),
        },
        "frame_to_broker_ms": {
            "n": len(broker_lat),
            "p50": percentile(broker_lat, 50),
            "p99": percentile(broker_lat, 99),
            "max": max(broker_lat, default=None),
            "not_received": missing,
        },
        "watchdog_pets": pets,
        "last_status": status,
        "exit_code": rc,
    }
    text = json.dumps(figures, indent=2, default=lambda v: round(v, 3))
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
