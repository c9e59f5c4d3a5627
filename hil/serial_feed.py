"""The module emulator as a process playing a feed into the unit's UART, and what it reports back."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hil.feeds import Feed


class ModuleFeed:
    """``target`` is ``["--pty", "--link", PATH]`` (emulated rig) or ``["--port", DEV, "--baud", B]`` (bench)."""

    def __init__(self, feed: Feed, target: list[str], workdir: Path, script: list[dict[str, Any]] | None) -> None:
        args = [sys.executable, "-m", "hw.sensors.emulator", *target]
        args += ["--recording", str(feed.path), "--rate", f"{feed.fps:.4f}", "--wait-for-command"]
        if script is not None:
            path = workdir / "serial-script.json"
            path.write_text(json.dumps(script))
            args += ["--script", str(path)]
        self.started_at: float | None = None
        self.steps: list[tuple[str, float]] = []  # (fault script step, rig time it began)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        if "--pty" in target:
            first = self.proc.stdout.readline().strip()
            if not first.startswith("/dev/"):
                raise RuntimeError(f"module emulator did not start: {first!r}")
        threading.Thread(target=self._follow, name="module-feed", daemon=True).start()

    def _follow(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("streaming "):
                self.started_at = float(line.split()[1])
            elif line.startswith("step "):
                _, name, t = line.split()
                self.steps.append((name, float(t)))

    def wait_started(self, timeout: float) -> float | None:
        end = time.monotonic() + timeout
        while self.started_at is None and time.monotonic() < end:
            time.sleep(0.02)
        return self.started_at

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
