"""Logging to journald with structured fields under systemd, to stderr otherwise.

Under systemd the daemon's stderr is a journal stream (``JOURNAL_STREAM`` names its device and
inode) and ``INVOCATION_ID`` is set; then records go straight to journald through
``systemd.journal.JournalHandler`` so fields such as ``UNIT_ID``, ``EVENT_ID``, ``EVENT_TYPE`` and
``ZONE`` are searchable (``journalctl -u parkvakt EVENT_TYPE=fire``). On a bench the same fields
are appended to the stderr line as ``key=value``.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any, TextIO

from firmware.events import Event

# the structured fields this project attaches to log records (journald field names)
FIELDS: tuple[str, ...] = (
    "UNIT_ID",
    "EVENT_ID",
    "EVENT_TYPE",
    "EVENT_PHASE",
    "ZONE",
    "INCIDENT",
    "OUTPUT",
    "STATE",
    "TASK",
    "COMPONENT",
)


def under_journald(env: Mapping[str, str] = os.environ, stream: TextIO | None = None) -> bool:
    """True when stderr is connected to journald (``JOURNAL_STREAM`` matches it) or systemd started us."""
    journal_stream = env.get("JOURNAL_STREAM")
    if journal_stream:
        stream = stream or sys.stderr
        try:
            st = os.fstat(stream.fileno())
            dev, _, ino = journal_stream.partition(":")
            if int(dev) == st.st_dev and int(ino) == st.st_ino:
                return True
        except (OSError, ValueError, AttributeError):
            pass
    return bool(env.get("INVOCATION_ID")) and not env.get("PARKVAKT_LOG_STDERR")


class FieldsFormatter(logging.Formatter):
    """``LEVEL logger: message key=value ...`` with the structured fields a record carries."""

    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = [f"{name.lower()}={getattr(record, name)}" for name in FIELDS if getattr(record, name, None)]
        return f"{base} {' '.join(extras)}" if extras else base


class _UnitIdFilter(logging.Filter):
    def __init__(self, unit_id: str) -> None:
        super().__init__()
        self.unit_id = unit_id

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "UNIT_ID", None):
            record.UNIT_ID = self.unit_id
        return True


def setup_logging(unit_id: str, level: str = "info", *, env: Mapping[str, str] = os.environ) -> logging.Handler:
    """Route the root logger to journald or stderr; returns the handler it installed."""
    handler: logging.Handler
    if under_journald(env):
        from systemd.journal import JournalHandler

        handler = JournalHandler(SYSLOG_IDENTIFIER="parkvakt")
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(FieldsFormatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_UnitIdFilter(unit_id))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_parkvakt", False)]:
        root.removeHandler(old)
    handler._parkvakt = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler


def event_fields(event: Event) -> dict[str, Any]:
    """``extra=`` for a log record about an event."""
    fields: dict[str, Any] = {"EVENT_ID": event.id, "EVENT_TYPE": event.type, "EVENT_PHASE": event.phase}
    if event.zone:
        fields["ZONE"] = event.zone
    if event.incident:
        fields["INCIDENT"] = event.incident
    component = event.detail.get("component") if event.detail else None
    if component:
        fields["COMPONENT"] = component
    return fields
