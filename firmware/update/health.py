"""The health gate: an update is committed only when the new release shows it does its job.

Contract with the daemon (``firmware/service``) — the daemon writes ``<state_dir>/health.json``
through :class:`HealthWriter` (atomic replace, so a reader never sees half a file)::

    {
      "release": "1.2.0",          # firmware.__version__ of the running daemon
      "pid": 1234,
      "started_at": 1763712000.0,  # time.time() when the daemon started
      "updated_at": 1763712004.5,
      "checks": {                  # one entry per check, written when it first passes or fails
        "frame":     {"ok": true,  "at": 1763712001.0, "detail": "frame 1 from mlx90640"},
        "inference": {"ok": true,  "at": 1763712001.2, "detail": "model person_vehicle v3"},
        "outputs":   {"ok": true,  "at": 1763712002.0, "detail": "self-test: 4 outputs off"},
        "mqtt":      {"ok": false, "at": 1763712004.5, "detail": "TLS handshake failed: ..."}
      }
    }

``frame``: a frame was read and went through the pipeline. ``inference``: the model ran once.
``outputs``: the policy's output self-test passed and every output is in its safe state.
``mqtt``: a message published to the broker came back (round trip). A check with ``ok: false``
fails the update at once; a check missing at the deadline fails it too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from firmware.update.durable import read_json, write_json

REQUIRED_CHECKS: tuple[str, ...] = ("frame", "inference", "outputs", "mqtt")
HEALTH_FILE = "health.json"


class HealthWriter:
    """Used by the daemon: ``HealthWriter(state_dir, __version__).mark("frame", True, "...")``."""

    def __init__(self, state_dir: Path, release: str, clock: Callable[[], float] = time.time):
        self.path = Path(state_dir) / HEALTH_FILE
        self.clock = clock
        self.record: dict = {
            "release": release,
            "pid": os.getpid(),
            "started_at": clock(),
            "updated_at": clock(),
            "checks": {},
        }
        write_json(self.path, self.record)

    def mark(self, check: str, ok: bool, detail: str = "") -> None:
        now = self.clock()
        self.record["checks"][check] = {"ok": ok, "at": now, "detail": detail}
        self.record["updated_at"] = now
        write_json(self.path, self.record)


@dataclass(frozen=True)
class Verdict:
    healthy: bool
    final: bool  # no point waiting longer
    reason: str


def judge(state_dir: Path, release: str, since: float) -> Verdict:
    """What the health file says about ``release`` started at or after ``since``."""
    try:
        record = read_json(Path(state_dir) / HEALTH_FILE)
    except (ValueError, OSError) as exc:
        return Verdict(False, False, f"health report unreadable: {exc}")
    if not isinstance(record, dict) or record.get("release") != release:
        return Verdict(False, False, f"no health report from release {release}")
    if not isinstance(record.get("started_at"), int | float) or record["started_at"] < since:
        return Verdict(False, False, f"no health report from release {release} since its restart")
    checks = record.get("checks") if isinstance(record.get("checks"), dict) else {}
    for name, check in checks.items():
        if isinstance(check, dict) and check.get("ok") is False:
            return Verdict(False, True, f"health check {name} failed: {check.get('detail', '')}".rstrip(": "))
    missing = [name for name in REQUIRED_CHECKS if not (isinstance(checks.get(name), dict) and checks[name].get("ok"))]
    if missing:
        return Verdict(False, False, f"health checks not passed: {', '.join(missing)}")
    return Verdict(True, True, "all health checks passed")


def wait_healthy(
    state_dir: Path,
    release: str,
    since: float,
    timeout_s: float,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    poll_s: float = 0.2,
) -> Verdict:
    """Poll until the release is healthy, a check fails, or ``timeout_s`` passes.

    The deadline runs on the monotonic clock: a Pi without a battery-backed clock may step its
    wall clock by hours when NTP syncs, which must not fail (or extend) a health check.
    """
    deadline = monotonic() + timeout_s
    while True:
        verdict = judge(state_dir, release, since)
        if verdict.final:
            return verdict
        if monotonic() >= deadline:
            return Verdict(False, True, f"{verdict.reason} within {timeout_s:.0f} s")
        sleep(poll_s)


def clear(state_dir: Path) -> None:
    """Forget the last health report, so only one written after the coming restart can count."""
    (Path(state_dir) / HEALTH_FILE).unlink(missing_ok=True)
