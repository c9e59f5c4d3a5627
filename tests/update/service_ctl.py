"""The test unit's ``systemctl restart parkvakt``: stop the running service, start ``current``'s.

Run as ``python service_ctl.py restart|stop INSTALL_ROOT STATE_DIR``. The service is the release's
own code (the ``pvsvc`` test package) running from the release's virtualenv, as on a unit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _alive(pid: int) -> bool:
    """Running and not a zombie (an orphan may wait a while for its reaper)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def stop(state_dir: Path) -> None:
    pidfile = state_dir / "service.pid"
    try:
        pid = int(pidfile.read_text())
    except (OSError, ValueError):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        for _ in range(250):
            if not _alive(pid):
                break
            time.sleep(0.02)
    pidfile.unlink(missing_ok=True)


def start(install_root: Path, state_dir: Path) -> int:
    python = install_root / "current" / "venv" / "bin" / "python"
    with (state_dir / "service.log").open("ab") as log:
        proc = subprocess.Popen(
            [str(python), "-m", "pvsvc", str(state_dir)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    (state_dir / "service.pid").write_text(str(proc.pid))
    return proc.pid


def main() -> None:
    action, install_root, state_dir = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    stop(state_dir)
    if action == "restart":
        start(install_root, state_dir)


if __name__ == "__main__":
    main()
