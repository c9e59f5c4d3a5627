"""``[privacy]``: what may leave the unit and how long anything recorded stays on it.

The defaults are the promises in docs/privacy.md; a site has to change them on purpose.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from firmware.config.base import Section

MAX_RETENTION_HOURS = 72.0


class PrivacySection(Section):
    # a false-colour thermal snapshot may be sent with an alarm (never without one)
    snapshots: bool = False
    # visible-light (picamera2) images may be sent at all; needs `snapshots` too
    visible_light: bool = False
    # anything recorded locally (recordings, snapshots) is deleted after this many hours
    retention_hours: float = Field(default=MAX_RETENTION_HOURS, gt=0.0, le=MAX_RETENTION_HOURS)
    # who fetched what (snapshots, recordings, logs): one JSON line per access under state_dir
    access_log: bool = True
    access_log_file: Path = Path("access.log")
