"""What the unit measures about itself for the ``telemetry`` topic.

The uplink merges three parts each period: this module's system figures (uptime, CPU
temperature and load, disk free), the daemon's own (frame rate, frames rejected: its telemetry
provider) and the uplink's (outbox depth and oldest age, shedding, command counters, link RTT).
Every reading that fails is ``None`` rather than an exception: telemetry must never stop the uplink.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path
from typing import Any

THERMAL_ZONE = Path("/sys/class/thermal/thermal_zone0/temp")


def cpu_temperature_c(zone: Path = THERMAL_ZONE) -> float | None:
    """The SoC temperature from the kernel's thermal zone (millidegrees), None where there is none."""
    try:
        return round(int(zone.read_text().strip()) / 1000.0, 1)
    except (OSError, ValueError):
        return None


def system_telemetry(state_dir: Path, *, started_monotonic: float, zone: Path = THERMAL_ZONE) -> dict[str, Any]:
    out: dict[str, Any] = {
        "uptime_s": round(time.monotonic() - started_monotonic, 1),
        "cpu_temp_c": cpu_temperature_c(zone),
        "load": None,
        "disk_free_bytes": None,
        "disk_free_pct": None,
    }
    with contextlib.suppress(OSError):
        out["load"] = [round(x, 2) for x in os.getloadavg()]
    with contextlib.suppress(OSError):
        usage = shutil.disk_usage(state_dir)
        out["disk_free_bytes"] = usage.free
        out["disk_free_pct"] = round(100.0 * usage.free / usage.total, 1) if usage.total else None
    return out
