"""systemd's part in remote updates, played by the emulated rig, and nothing more.

On a unit three systemd units carry an update (``provisioning/cloudinit.py``):

- ``parkvakt.service`` runs ``/opt/parkvakt/current/venv/bin/parkvakt run``; here the rig runs
  ``<install_root>/current/venv/bin/python -m firmware.cli run`` (``EmulatedRig.install_root``), so a
  restart launches whichever release ``current`` points at, from that release's own virtualenv.
  The agent's ``restart_command`` (``systemctl restart parkvakt`` on a unit) is ``hil/systemctl.py``,
  which asks this manager over a socket to stop the daemon and start it again;
- ``parkvakt-update.path`` (``PathExists=<state_dir>/update/request.json``): a watcher thread;
- ``parkvakt-update.service`` (oneshot): ``$(readlink -f current)/venv/bin/python -m firmware.update
  --config … serve``, i.e. the agent of the release running when the request came.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hil.emulated import EmulatedRig

SYSTEMCTL = Path(__file__).resolve().with_name("systemctl.py")


class ServiceManager:
    def __init__(self, rig: EmulatedRig, install_root: Path) -> None:
        self.rig = rig
        self.install_root = install_root
        rig.install_root = install_root
        self.request_file = rig.state_dir / "update" / "request.json"
        self.agent_log = rig.workdir / "agent.log"
        self.agent_runs: list[int] = []  # exit status of each agent run
        self._agent: subprocess.Popen[bytes] | None = None
        self._closing = False
        self._socket_path = rig.workdir / "systemd.sock"
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(self._socket_path))
        self._server.listen(4)
        self._server.settimeout(0.2)
        threading.Thread(target=self._serve_systemctl, name="rig-systemctl", daemon=True).start()
        threading.Thread(target=self._watch_path, name="rig-update-path", daemon=True).start()

    def update_config(self, repository_url: str, health_deadline_s: float) -> dict[str, Any]:
        """The unit's ``[update]`` section on this rig (the daemon and the agent read the same file)."""
        return {
            "repository_url": repository_url,
            "install_root": str(self.install_root),
            "agent_dir": str(self.rig.workdir / "agent"),
            "restart_command": [sys.executable, str(SYSTEMCTL), str(self._socket_path), "restart"],
            "log_command": ["tail", "-n", "40", str(self.rig.log_path)],
            "health_deadline_s": health_deadline_s,
        }

    # --- parkvakt.service -------------------------------------------------------------

    def _serve_systemctl(self) -> None:
        while not self._closing:
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                verb = conn.makefile().readline().strip()
                try:
                    if verb not in ("restart", "stop"):
                        raise ValueError(f"unknown verb {verb!r}")
                    self.rig.stop_unit()
                    if verb == "restart":
                        self.rig.restart_unit()
                    answer = "ok"
                except Exception as exc:
                    answer = f"failed: {exc}"
                with contextlib.suppress(OSError):
                    conn.sendall(answer.encode() + b"\n")

    # --- parkvakt-update.path and parkvakt-update.service -------------------------------

    def _watch_path(self) -> None:
        while not self._closing:
            if self.request_file.exists():
                self._run_agent()
            time.sleep(0.1)

    def _run_agent(self) -> None:
        release = (self.install_root / "current").resolve()
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NOTIFY_SOCKET")}
        env["PARKVAKT_STATE_DIR"] = str(self.rig.state_dir)
        cmd = [str(release / "venv" / "bin" / "python"), "-m", "firmware.update"]
        cmd += ["--config", str(self.rig.workdir / "unit.toml"), "serve"]
        with self.agent_log.open("ab") as log:
            self._agent = subprocess.Popen(
                cmd, env=env, cwd=self.rig.workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.agent_runs.append(self._agent.wait())
        if self.request_file.exists() and not self._closing:
            time.sleep(1.0)  # a failing service is not restarted in a tight loop (StartLimit…)

    def log(self) -> str:
        return self.agent_log.read_text(errors="replace") if self.agent_log.exists() else ""

    def close(self) -> None:
        self._closing = True
        agent = self._agent
        if agent is not None and agent.poll() is None:
            # the agent and what it runs (pip building a virtualenv) are one process group: ours
            with contextlib.suppress(ProcessLookupError):
                os.killpg(agent.pid, signal.SIGKILL)
            agent.wait()
        self._server.close()
