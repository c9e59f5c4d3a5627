"""What the agent tells the operator: live progress and one final report per update.

Contract with the daemon and its MQTT uplink, file-based because the agent runs in its own
process (as root) and outlives restarts of the daemon. All in ``<state_dir>/update/``, which the
daemon's user owns (the agent's own state is elsewhere, in ``[update] agent_dir``):

* ``request.json``: written by the daemon's ``update`` command (``launch.request_via_file``).

* ``<state_dir>/update/status.json``: the latest progress, replaced atomically
  (``{"state", "version", "progress" 0..1, "detail", "at"}``). Publish it when it changes.
* ``<state_dir>/update/reports/<id>.json``: one final report per update (see :class:`UpdateReport`).
  Publish it (QoS 1) and call :func:`acknowledge` after the PUBACK; until then it stays, so a report
  is never lost. A success report exists only after the commit.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

from firmware.update.durable import fsync_dir, read_json, write_json

OUTCOMES = ("success", "rolled_back", "refused", "failed")
# the daemon's update request: {"id", "version", "at"}, consumed by the agent's `serve`
REQUEST_FILE = "request.json"


@dataclass(frozen=True)
class UpdateReport:
    id: str
    outcome: str  # one of OUTCOMES
    version: str  # the release that was asked for
    running: str | None  # the release the unit runs now
    message: str  # one line a technician reads, e.g. "rolled back from 1.3.0 to 1.2.0 because ..."
    reason: str
    log_excerpt: str
    at: float


def reports_dir(update_dir: Path) -> Path:
    return update_dir / "reports"


def save_report(update_dir: Path, report: UpdateReport) -> None:
    write_json(reports_dir(update_dir) / f"{report.id}.json", asdict(report))


def pending_reports(update_dir: Path) -> list[UpdateReport]:
    """Reports not yet acknowledged by the uplink, oldest first."""
    folder = reports_dir(update_dir)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.json")):
        try:
            out.append(UpdateReport(**read_json(path)))
        except (ValueError, TypeError, OSError):
            # a damaged report must not block the others: set it aside for a technician
            path.replace(path.with_suffix(".damaged"))
    return sorted(out, key=lambda r: r.at)


def acknowledge(update_dir: Path, report_id: str) -> None:
    folder = reports_dir(update_dir)
    (folder / f"{report_id}.json").unlink(missing_ok=True)
    fsync_dir(folder)


def write_status(update_dir: Path, state: str, version: str, progress: float, detail: str = "") -> None:
    write_json(
        update_dir / "status.json",
        {"state": state, "version": version, "progress": round(progress, 3), "detail": detail, "at": time.time()},
    )


def read_status(update_dir: Path) -> dict | None:
    return read_json(update_dir / "status.json")
