"""The daemon's side of remote updates: the ``update`` command handler and the progress publisher.

Wiring in the daemon/uplink::

    handlers["update"] = update_command_handler(request_via_file(state_dir / "update"))
    tasks.append(follow_update(state_dir / "update", publish))

where ``publish(suffix, payload)`` publishes QoS 1 to ``<prefix>/<unit>/<suffix>`` and returns once
the broker acknowledged it. ``suffix`` is ``update/status`` or ``update/report``. A report is
removed from disk only after ``publish`` returned, so none is lost across restarts or outages.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from firmware.update.durable import write_json
from firmware.update.report import REQUEST_FILE, acknowledge, pending_reports, read_status

log = logging.getLogger(__name__)

VERSION = re.compile(r"^[0-9][0-9A-Za-z.+-]{0,40}$")
Launcher = Callable[[str], None]
Publish = Callable[[str, bytes], Awaitable[None]]


def request_via_file(update_dir: Path) -> Launcher:
    """Production launcher: leave the request for ``parkvakt-update.path`` (the agent runs as root)."""

    def launch(version: str) -> None:
        write_json(update_dir / REQUEST_FILE, {"id": str(uuid.uuid4()), "version": version, "at": time.time()})

    return launch


def start_agent_as_subprocess(config_path: Path, python: str = sys.executable) -> Launcher:
    """Bench and test launcher: a detached child process (outlives the caller's event loop)."""

    def launch(version: str) -> None:
        subprocess.Popen(
            [python, "-m", "firmware.update", "--config", str(config_path), "apply", version],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    return launch


def update_command_handler(launch: Launcher) -> Callable[[dict[str, Any]], Awaitable[Mapping[str, Any]]]:
    """The ``update`` command: ``{"version": "1.3.0"}`` starts the agent and answers at once."""

    async def handle(args: dict[str, Any]) -> Mapping[str, Any]:
        version = args.get("version")
        if not isinstance(version, str) or not VERSION.match(version):
            raise ValueError("args.version must be a release version such as 1.3.0")
        await asyncio.to_thread(launch, version)
        return {"started": version}

    return handle


async def follow_update(update_dir: Path, publish: Publish, poll_s: float = 0.5) -> None:
    """Publish the agent's status when it changes and every pending report; runs until cancelled."""
    last_status: Any = None
    while True:
        try:
            status = read_status(update_dir)
        except (OSError, ValueError) as exc:
            log.warning("update status unreadable: %s", exc)
            status = None
        if status is not None and status != last_status:
            await publish("update/status", json.dumps(status).encode())
            last_status = status
        for report in pending_reports(update_dir):
            await publish("update/report", json.dumps(asdict(report)).encode())
            acknowledge(update_dir, report.id)
        await asyncio.sleep(poll_s)
