"""sd_notify(3) through systemd-python: READY, STATUS, WATCHDOG, RELOADING, STOPPING.

Outside systemd (no ``NOTIFY_SOCKET``) every call is a cheap no-op, so the daemon runs the same
on a bench. Tests point ``NOTIFY_SOCKET`` at a datagram socket of their own and read the messages.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from systemd import daemon as sd_daemon

log = logging.getLogger("parkvakt.notify")


def watchdog_period_s(env: Mapping[str, str] = os.environ, pid: int | None = None) -> float | None:
    """The watchdog timeout systemd set (``WatchdogSec=``), or ``None`` when there is none.

    ``WATCHDOG_PID``, when present, must name this process (sd_watchdog_enabled(3)).
    """
    usec = env.get("WATCHDOG_USEC")
    if not usec:
        return None
    wd_pid = env.get("WATCHDOG_PID")
    if wd_pid and int(wd_pid) != (pid if pid is not None else os.getpid()):
        return None
    try:
        value = int(usec)
    except ValueError:
        return None
    return value / 1e6 if value > 0 else None


class SystemdNotifier:
    def __init__(self, env: Mapping[str, str] = os.environ) -> None:
        self.enabled = bool(env.get("NOTIFY_SOCKET"))
        self.watchdog_period_s = watchdog_period_s(env)
        self.last_status = ""
        self.sent_ready = False
        self.errors = 0

    def _send(self, message: str) -> None:
        if not self.enabled:
            return
        try:
            sd_daemon.notify(message)
        except OSError as exc:
            # systemd gone or the socket path wrong: count it, never let it take the daemon down
            self.errors += 1
            if self.errors == 1:
                log.error("sd_notify failed (%s); further failures are only counted", exc)

    def ready(self) -> None:
        self.sent_ready = True
        self._send("READY=1")

    def status(self, line: str) -> None:
        self.last_status = line
        self._send(f"STATUS={line}")

    def watchdog(self) -> None:
        self._send("WATCHDOG=1")

    def reloading(self) -> None:
        self._send("RELOADING=1")

    def stopping(self) -> None:
        self._send("STOPPING=1")
