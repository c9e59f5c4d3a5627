"""Privacy duties: retention deletes old local files, the access log records who got what, and a
snapshot is built only when the site allows it."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from firmware.config import parse_config
from firmware.events import Event
from firmware.service.privacy import AccessLog, alarm_snapshot_png, sweep_retention
from hw.frame import ThermalFrame


def test_retention_deletes_only_files_older_than_the_limit(tmp_path: Path) -> None:
    now = time.time()
    old = tmp_path / "recordings" / "old.npz"
    fresh = tmp_path / "snapshots" / "fresh.png"
    outbox = tmp_path / "outbox.sqlite"  # not a retained folder: never touched
    for path in (old, fresh, outbox):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    os.utime(old, (now - 73 * 3600, now - 73 * 3600))
    os.utime(outbox, (now - 1000 * 3600, now - 1000 * 3600))
    removed = sweep_retention(tmp_path, 72.0, now=now)
    assert removed == [old]
    assert not old.exists() and fresh.exists() and outbox.exists()


def test_retention_cannot_be_configured_above_72_hours() -> None:
    from firmware.config import ConfigError

    try:
        parse_config({"unit": {"id": "u"}, "privacy": {"retention_hours": 100}})
    except ConfigError as exc:
        assert exc.problems[0][0] == "privacy.retention_hours"
    else:
        raise AssertionError("retention_hours = 100 was accepted")


def test_access_log_lines(tmp_path: Path) -> None:
    log = AccessLog(tmp_path / "access.log")
    log.record("mqtt-operator", "snapshot", event_id="e1", bytes=1234)
    log.record("technician", "recording", path="recordings/a.npz")
    lines = [json.loads(line) for line in (tmp_path / "access.log").read_text().splitlines()]
    assert [(entry["who"], entry["what"]) for entry in lines] == [
        ("mqtt-operator", "snapshot"),
        ("technician", "recording"),
    ]
    assert lines[0]["event_id"] == "e1" and lines[0]["ts"].endswith("Z")


def test_snapshots_are_off_by_default_and_only_for_alarms() -> None:
    frame = ThermalFrame(np.full((24, 32), 10.0, dtype=np.float32), 1.0, 1)
    fire = Event(type="fire", phase="start", t=1.0, bbox=(0.1, 0.1, 0.2, 0.2))
    default = parse_config({"unit": {"id": "u"}}).privacy
    assert alarm_snapshot_png(default, frame, fire, []) is None
    allowed = parse_config({"unit": {"id": "u"}, "privacy": {"snapshots": True}}).privacy
    png = alarm_snapshot_png(allowed, frame, fire, [])
    assert png is not None and png.startswith(b"\x89PNG")
    vehicle = Event(type="vehicle", phase="start", t=1.0)
    assert alarm_snapshot_png(allowed, frame, vehicle, []) is None
    gray = ThermalFrame(np.full((120, 160), 100.0, dtype=np.float32), 1.0, 1, kind="gray")
    assert alarm_snapshot_png(allowed, gray, fire, []) is None, "visible light needs its own switch"
