"""The daemon's uplink tasks: MQTT (firmware.uplink.mqtt) and the alarm centre (firmware.uplink.dc09).

Each runs as a supervised task over the shared outbox; the daemon only starts, stops and
restarts them and hands MQTT the state, telemetry and command handlers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from firmware.service.supervisor import Supervisor

if TYPE_CHECKING:
    from firmware.service.daemon import Daemon

log = logging.getLogger("parkvakt.uplinks")


class UplinkRunner:
    def __init__(self, daemon: Daemon, supervisor: Supervisor) -> None:
        self.daemon = daemon
        self.supervisor = supervisor
        self.mqtt: Any = None
        self.dc09: Any = None
        self._names: list[str] = []

    def start(self) -> None:
        config = self.daemon.config
        if config.mqtt.enabled:
            self._start_mqtt()
        if getattr(config.alarm_centre, "enabled", False):
            self._start_dc09()
        if config.mqtt.enabled and config.update.enabled:
            self._start_update_progress()

    def _start_mqtt(self) -> None:
        async def run_mqtt() -> None:
            d.faults.maybe_crash("mqtt")
            if self.mqtt is None:  # built inside the task: a bad TLS file is a restartable trouble
                self.mqtt = self._build_mqtt()
            await self.mqtt.run()

        d = self.daemon
        self.supervisor.start("mqtt", run_mqtt)
        self._names.append("mqtt")

    def _build_mqtt(self) -> Any:
        from firmware.service.commands import command_handlers
        from firmware.uplink.mqtt import UplinkService

        d = self.daemon
        return UplinkService(
            d.config,
            d.outbox,
            state=d.state_snapshot,
            telemetry=d.telemetry_snapshot,
            handlers=command_handlers(d),
        )

    def _start_update_progress(self) -> None:
        """The update agent's status and final reports, to ``<root>/update/status`` and ``/report``."""

        async def run_follow() -> None:
            from firmware.update.launch import follow_update

            while self.mqtt is None:
                await asyncio.sleep(0.5)
            await follow_update(self.daemon.state_dir / "update", self.mqtt.publish)

        self.supervisor.start("update-progress", run_follow)
        self._names.append("update-progress")

    def _start_dc09(self) -> None:
        async def run_dc09() -> None:
            d.faults.maybe_crash("dc09")
            if self.dc09 is None:
                self.dc09 = self._build_dc09()
            await self.dc09.run()

        d = self.daemon
        self.supervisor.start("dc09", run_dc09)
        self._names.append("dc09")

    def _build_dc09(self) -> Any:
        from firmware.uplink.dc09.sequence import SequenceCounter
        from firmware.uplink.dc09.transmitter import Dc09Transmitter, LinkSettings

        d = self.daemon
        return Dc09Transmitter(
            d.outbox,
            LinkSettings.from_config(d.config.alarm_centre),
            sequence=SequenceCounter(d.state_dir / "dc09-sequence.json"),
            on_trouble=d.record_event,
        )

    def running(self) -> bool:
        """True when every configured uplink task is up (vacuously true with none configured)."""
        return all(self.supervisor.tasks[n].running for n in self._names if n in self.supervisor.tasks)

    def summary(self) -> str:
        parts = []
        if "mqtt" in self._names:
            connected = getattr(self.mqtt, "connected", None)
            parts.append("mqtt " + ("up" if connected else "down" if connected is False else "starting"))
        if "dc09" in self._names:
            link = "starting" if self.dc09 is None else "backup" if getattr(self.dc09, "active", 0) else "primary"
            parts.append(f"dc09 {link}")
        return " · ".join(parts) if parts else "no uplink"

    async def stop(self, deadline: float) -> None:
        """Flush the outbox while there is time, then let MQTT publish ``offline`` and close."""
        d = self.daemon
        if self.mqtt is not None and getattr(self.mqtt, "connected", False):
            while d.outbox.depth("mqtt") and time.monotonic() < deadline - 1.0:
                await asyncio.sleep(0.05)
        for link in (self.mqtt, self.dc09):
            stop = getattr(link, "stop", None)
            if stop is None:
                continue
            try:
                await asyncio.wait_for(stop(), timeout=max(0.1, deadline - time.monotonic()))
            except Exception as exc:
                log.warning("uplink did not stop cleanly: %s", exc)

    async def restart(self) -> None:
        for name in self._names:
            record = self.supervisor.tasks.get(name)
            if record and record.task:
                record.task.cancel()
        await self.stop(deadline=time.monotonic() + 2.0)
        self._names.clear()
        self.mqtt = self.dc09 = None
        self.start()
