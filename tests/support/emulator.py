"""Start the MLX90640 module emulator (``python -m hw.sensors.emulator``) as a real process on a pty."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def module_emulator(
    tmp_path: Path,
    *,
    script: list[dict[str, Any]] | None = None,
    rate: float = 40.0,
    source: tuple[str, ...] = ("--pattern",),
) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """Yield ``(port_link, process)``; the link keeps pointing at the module across unplugs."""
    link = tmp_path / "ttyMLX0"
    args = [sys.executable, "-m", "hw.sensors.emulator", "--pty", "--link", str(link), "--rate", str(rate), *source]
    args += ["--command-log", str(tmp_path / "commands.log"), "--wait-for-command"]
    if script is not None:
        script_path = tmp_path / "script.json"
        script_path.write_text(json.dumps(script))
        args += ["--script", str(script_path)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        assert first.startswith("/dev/"), f"emulator did not start: {first!r}"
        yield link, proc
    finally:
        proc.kill()
        proc.wait(timeout=5)
