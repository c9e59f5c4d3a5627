"""The daemon's systemd duties: READY, the watchdog verdict each round, STATUS, and the state and
telemetry the uplink publishes. A mixin of ``Daemon`` (daemon.py), split out to keep each file
readable; it uses the daemon's ``liveness``, ``notifier``, ``outbox``, ``uplinks`` and ``reader``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from firmware.events import uuid7

if TYPE_CHECKING:
    from firmware.service.daemon import Daemon

log = logging.getLogger("parkvakt.daemon")

SENSOR_CHECK_S = 0.5
SENSOR_FAULT_S = 0.5
"""The driver must report its sensor disconnected this long before it is a ``trouble``."""


class SystemdDuties:
    def _maybe_ready(self: Daemon) -> None:
        if self.notifier.sent_ready:
            return
        frame_ok = self.liveness.frames_done > 0 or self._sensor_trouble is not None
        if frame_ok and self.uplinks.running():
            self.notifier.status(self.status_line())
            self.notifier.ready()
            log.info("ready")

    async def _watchdog_task(self: Daemon) -> None:
        self.faults.maybe_crash("watchdog")
        period = self.notifier.watchdog_period_s
        interval = min(1.0, period / 3) if period else 1.0
        last = time.monotonic()
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            lag = now - last - interval
            last = now
            verdict = self.liveness.verdict(now)
            if verdict.healthy != self.verdict.healthy or verdict.sensor_dead != self.verdict.sensor_dead:
                (log.info if verdict.healthy else log.critical)("liveness: %s", verdict.reason)
            self.verdict = verdict
            self._maybe_ready()
            self._health_checks()
            if lag > self.service.loop_lag_s:
                log.warning("event loop lagged %.2f s; watchdog not petted this round", lag)
                continue
            if verdict.healthy:
                self.notifier.watchdog()

    def _health_checks(self: Daemon) -> None:
        """The update agent's health gate (firmware/update/health.py): mark each check once it holds."""
        if self._health is None:
            return
        done = self._health.record.get("checks", {})
        pipeline = self.engine.pipeline if self.engine else None
        stats = getattr(pipeline, "stats", None)
        classifier = getattr(pipeline, "classifier", None)
        if "inference" not in done and getattr(stats, "model_runs", 0):
            self._health_mark("inference", True, f"model ran {stats.model_runs} time(s)")
        elif "inference" not in done and getattr(classifier, "self_tested", False):
            self._health_mark("inference", True, f"model {classifier.version} passed its self-test at start")
        elif "inference" not in done and getattr(pipeline, "model_problem", None):
            self._health_mark("inference", False, str(pipeline.model_problem))
        policy = self.engine.policy if self.engine else None
        if "outputs" not in done and self.liveness.frames_done and hasattr(policy, "states"):
            # outputs are driven and readable through the board profile, and safe (off) after start
            states = policy.states()
            on = sorted(name for name, state in states.items() if state != "off")
            self._health_mark("outputs", True, f"{len(states)} outputs driven" + (f", on: {on}" if on else ", all off"))
        mqtt = self.uplinks.mqtt
        if "mqtt" not in done and mqtt is not None and getattr(mqtt, "rtt_ms", None) is not None:
            self._health_mark("mqtt", True, f"telemetry acknowledged by the broker in {mqtt.rtt_ms} ms")

    async def _sensor_task(self: Daemon) -> None:
        """Sensor trouble upstream, fast: the driver's own disconnected flag (it notices a silent,
        unplugged or noisy line within two frame periods) held for ``SENSOR_FAULT_S``, or no frame
        at all for ``[service] sensor_dead_s``; the end once frames flow again."""
        self.faults.maybe_crash("sensor")
        disconnected_since: float | None = None
        while True:
            await asyncio.sleep(SENSOR_CHECK_S)
            now = time.monotonic()
            source = self.reader.source
            try:
                health = source.health() if source is not None else None
            except Exception:
                health = None
            if health is None or not health.connected:
                disconnected_since = disconnected_since if disconnected_since is not None else now
            else:
                disconnected_since = None
            no_frames = self.liveness.sensor_dead(now)
            faulty = no_frames or (disconnected_since is not None and now - disconnected_since >= SENSOR_FAULT_S)
            last_read = self.liveness.last_frame_read
            flowing = last_read is not None and now - last_read < 1.0 and not faulty
            if faulty and self._sensor_trouble is None:
                self._sensor_trouble = uuid7()
                detail = (health.last_error if health else None) or self.reader.last_error
                what = f"no frame for {self.liveness.sensor_dead_s:.0f} s" if no_frames else "sensor not delivering"
                self.trouble(
                    "sensor", what + (f" ({detail})" if detail else ""), phase="start", incident=self._sensor_trouble
                )
                self._maybe_ready()
            elif flowing and self._sensor_trouble is not None:
                self.trouble("sensor", "frames flowing again", phase="end", incident=self._sensor_trouble)
                self._sensor_trouble = None

    def status_line(self: Daemon) -> str:
        armed = self.armed()
        armed_text = "armed" if armed is True else "disarmed" if armed is False else "no policy"
        sensor = "sensor DEAD" if self._sensor_trouble else "sensor ok"
        on = sorted(k for k, v in self.outputs.items() if v not in ("off", "safe"))
        parts = [
            armed_text,
            f"{self._fps:.1f} fps",
            sensor,
            f"outbox {self.outbox.depth()}",
            self.uplinks.summary(),
            "outputs " + (",".join(on) if on else "off"),
        ]
        if not self.verdict.healthy:
            parts.append(self.verdict.reason)
        return " · ".join(p for p in parts if p)

    async def _status_task(self: Daemon) -> None:
        self.faults.maybe_crash("status")
        last_frames, last_t = self.liveness.frames_done, time.monotonic()
        while True:
            await asyncio.sleep(self.service.status_interval_s)
            now, frames = time.monotonic(), self.liveness.frames_done
            self._fps = (frames - last_frames) / max(1e-6, now - last_t)
            last_frames, last_t = frames, now
            self.notifier.status(self.status_line())

    def state_snapshot(self: Daemon) -> dict[str, Any]:
        """The retained ``state`` the uplink publishes."""
        return {
            "armed": self.armed(),
            "outputs": dict(self.outputs),
            "sensor": "dead" if self._sensor_trouble else "ok",
        }

    def telemetry_snapshot(self: Daemon) -> dict[str, Any]:
        source = self.reader.source if hasattr(self, "reader") else None
        health = source.health() if source is not None else None
        return {
            "fps": round(self._fps, 2),
            "frames": self.liveness.frames_done,
            "frames_dropped": self.frames_dropped,
            "sensor_frames_rejected": health.frames_rejected if health else None,
            "sensor_reconnects": health.reconnects if health else None,
            "sensor_errors": self.reader.errors if hasattr(self, "reader") else 0,
            "outbox_depth": self.outbox.depth(),
            "task_restarts": {name: r.restarts for name, r in self.supervisor.tasks.items()},
            "watchdog": self.verdict.reason,
        }
