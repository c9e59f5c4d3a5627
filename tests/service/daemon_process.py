"""Run ``parkvakt run`` as a real subprocess with ``NOTIFY_SOCKET`` on a datagram socket of the test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PARKVAKT = [sys.executable, "-m", "firmware.cli"]


@dataclass
class Notification:
    at: float
    message: str


@dataclass
class DaemonProcess:
    config: Path
    workdir: Path
    source: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    watchdog_usec: int = 1_500_000
    launcher: Callable[[list[str]], list[str]] | None = None
    notifications: list[Notification] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    def start(self) -> DaemonProcess:
        self.sock_path = self.workdir / "notify.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.sock_path))
        self.sock.settimeout(0.2)
        env = {k: v for k, v in os.environ.items() if k not in ("INVOCATION_ID", "JOURNAL_STREAM")}
        env.update(
            NOTIFY_SOCKET=str(self.sock_path),
            WATCHDOG_USEC=str(self.watchdog_usec),
            PARKVAKT_STATE_DIR=str(self.workdir / "state"),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        args = [*PARKVAKT, "run", "--config", str(self.config), "--gpio", "mock"]
        if self.source:
            args += ["--source", self.source]
        if self.launcher is not None:
            args = self.launcher(args)
        self.proc = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self._closed = False
        threading.Thread(target=self._read_notify, daemon=True).start()
        threading.Thread(target=self._read_log, daemon=True).start()
        return self

    def _read_notify(self) -> None:
        while not self._closed:
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            for line in data.decode().splitlines():
                self.notifications.append(Notification(time.monotonic(), line))

    def _read_log(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.log.append(line.rstrip("\n"))

    def messages(self, prefix: str, since: float = 0.0) -> list[Notification]:
        return [n for n in list(self.notifications) if n.message.startswith(prefix) and n.at >= since]

    def wait_for(self, what: Callable[[], object], timeout: float, describe: str) -> object:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = what()
            if value:
                return value
            if self.proc.poll() is not None:
                time.sleep(0.3)  # let the log reader finish
                break
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {describe}; rc={self.proc.poll()}\n" + self.log_text())

    def wait_notify(self, prefix: str, timeout: float = 20.0, since: float = 0.0) -> Notification:
        found = self.wait_for(lambda: self.messages(prefix, since), timeout, f"{prefix!r} on NOTIFY_SOCKET")
        return found[0]  # type: ignore[index]

    def wait_log(self, text: str, timeout: float = 20.0) -> str:
        found = self.wait_for(lambda: [line for line in list(self.log) if text in line], timeout, f"log {text!r}")
        return found[0]  # type: ignore[index]

    def log_text(self) -> str:
        return "\n".join(self.log[-80:])

    def signal(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 10.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._closed = True
        self.sock.close()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self._closed = True
        self.sock.close()
