"""sd_notify messages reach a real datagram socket; logs carry the structured event fields."""

from __future__ import annotations

import logging
import os
import socket
import sys
from pathlib import Path

import pytest

from firmware.events import Event
from firmware.service.logging import event_fields, setup_logging, under_journald
from firmware.service.notify import SystemdNotifier, watchdog_period_s


def test_notifier_sends_to_notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    notifier = SystemdNotifier(os.environ)
    notifier.ready()
    notifier.status("armed, 8.0 fps, outbox 0")
    notifier.watchdog()
    got = [sock.recv(4096).decode() for _ in range(3)]
    sock.close()
    assert got == ["READY=1", "STATUS=armed, 8.0 fps, outbox 0", "WATCHDOG=1"]


def test_notifier_is_silent_without_systemd() -> None:
    notifier = SystemdNotifier({})
    assert not notifier.enabled
    notifier.ready()  # must not raise
    assert notifier.sent_ready


def test_watchdog_period_from_environment() -> None:
    assert watchdog_period_s({"WATCHDOG_USEC": "30000000"}) == 30.0
    assert watchdog_period_s({}) is None
    assert watchdog_period_s({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, pid=2) is None
    assert watchdog_period_s({"WATCHDOG_USEC": "garbage"}) is None


def test_journald_detected_from_journal_stream() -> None:
    st = os.fstat(sys.stderr.fileno())
    assert under_journald({"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}, sys.stderr)
    assert not under_journald({"JOURNAL_STREAM": "1:2"}, sys.stderr)
    assert not under_journald({})


def test_stderr_log_lines_carry_structured_fields(capsys: pytest.CaptureFixture[str]) -> None:
    handler = setup_logging("unit-7", "info", env={})
    try:
        event = Event(type="fire", phase="start", t=1.0, zone="lot", incident="inc-1")
        logging.getLogger("parkvakt.test").warning("fire in lot", extra=event_fields(event))
    finally:
        logging.getLogger().removeHandler(handler)
    err = capsys.readouterr().err
    assert "fire in lot" in err
    assert "unit_id=unit-7" in err
    assert f"event_id={event.id}" in err
    assert "event_type=fire" in err
    assert "zone=lot" in err


def test_a_vanished_notify_socket_is_counted_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone.sock"))
    notifier = SystemdNotifier(os.environ)
    notifier.watchdog()
    notifier.status("still here")
    assert notifier.errors == 2
