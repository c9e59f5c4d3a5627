"""The daemon's privacy duties (docs/privacy.md): alarm snapshots only when allowed, an access log
of everything that left the unit as an image, and deletion of local recordings past retention.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from firmware.config.privacy import PrivacySection
from firmware.events import Event
from hw.frame import ThermalFrame

log = logging.getLogger("parkvakt.privacy")

RETAINED_DIRS: tuple[str, ...] = ("recordings", "snapshots")
"""Folders under the state directory whose files are deleted after ``retention_hours``."""


class AccessLog:
    """One JSON line per access: when, who (the requesting party), what, and why."""

    def __init__(self, path: Path, enabled: bool = True) -> None:
        self.path = path
        self.enabled = enabled
        self.errors = 0

    def record(self, who: str, what: str, **detail: Any) -> None:
        if not self.enabled:
            return
        line = {"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "who": who, "what": what, **detail}
        try:
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(line, default=str) + "\n")
        except OSError as exc:
            self.errors += 1
            log.error("access log %s not writable: %s", self.path, exc)


def sweep_retention(state_dir: Path, retention_hours: float, now: float | None = None) -> list[Path]:
    """Delete files in the retained folders older than ``retention_hours``; returns what went."""
    now = time.time() if now is None else now
    limit = now - retention_hours * 3600.0
    removed: list[Path] = []
    for name in RETAINED_DIRS:
        folder = state_dir / name
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            try:
                if path.is_file() and path.stat().st_mtime < limit:
                    path.unlink()
                    removed.append(path)
            except OSError as exc:
                log.error("could not delete %s past retention: %s", path, exc)
    if removed:
        log.info("deleted %d file(s) older than %.0f h", len(removed), retention_hours)
    return removed


def alarm_snapshot_png(
    privacy: PrivacySection, frame: ThermalFrame, event: Event, mask_polygons: Iterable[list[tuple[float, float]]]
) -> bytes | None:
    """The snapshot for an alarm start, or None when a privacy rule says no (logged once per alarm)."""
    if not privacy.snapshots or not event.is_alarm or event.phase != "start":
        return None
    from firmware.uplink.snapshot import SnapshotRefused, alarm_snapshot

    try:
        return alarm_snapshot(
            frame,
            snapshots_enabled=privacy.snapshots,
            visible_light_enabled=privacy.visible_light,
            alarm_active=True,
            boxes=[event.bbox] if event.bbox else [],
            masks=list(mask_polygons),
        )
    except SnapshotRefused as exc:
        log.info("no snapshot for %s: %s", event.type, exc)
        return None
