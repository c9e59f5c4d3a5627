"""``parkvakt run``: the unit's one process.

Threads: the sensor reader (blocking ``read``), the engine worker (pipeline + policy, one call at a
time). Event loop: the outbox, the uplinks (MQTT, DC-09), remote commands, the watchdog, the
status line, signals. Data flows one way: frame → engine → events into the outbox (durable first)
and actions to the outputs (the policy drives its pins itself).

systemd: ``READY=1`` once the first frame went through the engine and the uplink task runs (or,
with a sensor that is dead from boot, once that is known and reported, so the unit still does its
other duties); ``STATUS=`` one line; ``WATCHDOG=1`` per ``Liveness`` (dead sensor: still petted,
hung pipeline: not). SIGTERM/SIGINT: outputs safe, outbox flushed, ``offline`` published, exit.
SIGHUP: reload (reload.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from firmware import __version__
from firmware.config import UnitConfig
from firmware.engine import Engine, StepResult, build_engine
from firmware.events import Event
from firmware.service.debug import faults_from_env
from firmware.service.frames import EngineWorker, SensorReader, name_os_thread
from firmware.service.liveness import Liveness, Verdict
from firmware.service.notify import SystemdNotifier
from firmware.service.privacy import AccessLog, sweep_retention
from firmware.service.recorder import EventRecorder
from firmware.service.reload import ReloadResult, reload_config
from firmware.service.supervisor import Supervisor
from firmware.service.uplinks import UplinkRunner
from firmware.service.watch import SystemdDuties
from firmware.sources import open_source, parse_source_override
from hw.frame import ThermalFrame

if TYPE_CHECKING:
    from gpiozero import Factory

log = logging.getLogger("parkvakt.daemon")

TRACE_ENV = "PARKVAKT_LATENCY_TRACE"
"""Benchmarks only: a file that gets one JSON line per event and action with frame-arrival times."""


class Daemon(SystemdDuties, EventRecorder):
    def __init__(
        self,
        config_path: Path,
        config: UnitConfig,
        *,
        source_override: str | None = None,
        pin_factory: Factory | None = None,
        play_audio: bool = False,
        env: Mapping[str, str] = os.environ,
    ) -> None:
        self.config_path = config_path
        self.config = config
        self.source_override = source_override
        self.pin_factory = pin_factory
        self.play_audio = play_audio
        self.notifier = SystemdNotifier(env)
        self.faults = faults_from_env(env)
        self.state_dir = config.unit.resolved_state_dir()
        self.service = config.service
        self.read_timeout_s = max(0.5, 2.0 / float(config.sensor.rate_hz))
        self.liveness = Liveness(
            pipeline_stall_s=self.service.pipeline_stall_s,
            # at least three frame periods, so a slow sensor (0.5 Hz) is not called dead between frames
            sensor_dead_s=max(self.service.sensor_dead_s, 3.0 / float(config.sensor.rate_hz)),
            read_timeout_s=self.read_timeout_s,
        )
        self.outputs: dict[str, str] = {}
        self.events_recorded = 0
        self.actions_taken = 0
        self.frames_dropped = 0
        self.verdict = Verdict(True, "starting")
        self.engine: Engine | None = None
        self._frame_queued = False
        self._first_frame_seen = False
        self._incident_armed: dict[str, bool] = {}
        self._sensor_trouble: str | None = None
        self._stopping = asyncio.Event()
        self._fps = 0.0
        self._trace = open(env[TRACE_ENV], "a", buffering=1) if env.get(TRACE_ENV) else None  # noqa: SIM115
        self._step_wall: float | None = None  # wall time of the frame the engine thread is on
        self._health: Any = None
        self._background: set[asyncio.Future[None]] = set()

    # ------------------------------------------------------------------ lifecycle

    async def run(self) -> int:
        self._loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._loop.add_signal_handler(sig, self.request_stop, sig)
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            from firmware.uplink.outbox import Outbox

            self.outbox = Outbox(self.state_dir / "outbox.sqlite", unit=self.config.unit.id)
        except Exception as exc:
            log.critical("cannot open the outbox in %s: %s", self.state_dir, exc)
            return 1
        self._open_health()
        privacy = self.config.privacy
        self.access_log = AccessLog(self.state_dir / privacy.access_log_file, enabled=privacy.access_log)
        self.worker = EngineWorker()
        try:
            self.engine = await asyncio.wrap_future(self.worker.submit(self._build_engine))
        except Exception as exc:
            log.critical("cannot build the pipeline and policy: %s", exc, exc_info=exc)
            self.outbox.close()
            return 1
        self.supervisor = Supervisor(
            self._task_trouble,
            backoff_min_s=self.service.restart_backoff_min_s,
            backoff_max_s=self.service.restart_backoff_max_s,
        )
        self.uplinks = UplinkRunner(self, self.supervisor)
        self.uplinks.start()
        self.supervisor.start("watchdog", self._watchdog_task)
        self.supervisor.start("status", self._status_task)
        self.supervisor.start("inputs", self._inputs_task)
        self.supervisor.start("sensor", self._sensor_task)
        self.supervisor.start("retention", self._retention_task)
        self.reader = SensorReader(self._open_source, self._on_frame, self.liveness, read_timeout_s=self.read_timeout_s)
        self.reader.start()
        self._loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.reload()))
        log.info("parkvakt %s running: unit %s, state in %s", __version__, self.config.unit.id, self.state_dir)
        try:
            await self._stopping.wait()
        finally:
            await self._shutdown()
        return 0

    def request_stop(self, sig: signal.Signals | None = None) -> None:
        if not self._stopping.is_set():
            log.info("stopping (%s)", sig.name if sig else "requested")
        self._stopping.set()

    async def _shutdown(self) -> None:
        started = time.monotonic()
        self.notifier.stopping()
        self.reader.stop()
        self._outputs_safe()
        budget = self.service.shutdown_timeout_s
        await self.uplinks.stop(deadline=started + budget)
        await self.supervisor.stop(timeout=max(0.1, started + budget - time.monotonic()))
        self.worker.stop()
        self.outbox.close()
        if self._trace:
            self._trace.close()
        log.info("stopped in %.2f s", time.monotonic() - started)

    def _outputs_safe(self) -> None:
        """Every output to its safe state, called directly: the engine thread may be the one that hung.

        In a helper thread with a time limit, so a policy lock held by a hung engine thread cannot
        stop the shutdown; the relays' own default state (hw/WIRING.md) covers what follows.
        """
        policy = self.engine.policy if self.engine else None
        safe = getattr(policy, "safe", None)
        if safe is None:
            return
        outcome: list[BaseException | None] = []

        def run() -> None:
            try:
                safe()
                outcome.append(None)
            except BaseException as exc:
                outcome.append(exc)

        helper = threading.Thread(target=run, name="pv-safe", daemon=True)
        helper.start()
        helper.join(1.0)
        if not outcome:
            log.critical("outputs could not be made safe within 1 s (policy busy); relying on the relay defaults")
        elif outcome[0] is not None:
            log.error("could not put the outputs in their safe state: %s", outcome[0])
        else:
            log.info("outputs in their safe state")

    # ------------------------------------------------------------------ engine

    def _build_engine(self) -> Engine:
        # threads the policy's devices start (gpiozero input sampling, timers) inherit this name
        name_os_thread("pv-gpio")
        try:
            engine = build_engine(self.config, pin_factory=self.pin_factory, play_audio=self.play_audio)
        finally:
            name_os_thread("pv-engine")
        engine.write_ahead = self._write_ahead
        return engine

    def _write_ahead(self, event: Event) -> None:
        """Engine thread: the event is in the outbox before the policy switches anything for it."""
        self.record_event(event, frame_wall=self._step_wall)

    def armed(self) -> bool | None:
        return self.armed_at(time.monotonic())

    def armed_at(self, t: float) -> bool | None:
        is_armed = getattr(self.engine.policy if self.engine else None, "is_armed", None)
        return bool(is_armed(t)) if is_armed else None

    def _open_source(self) -> Any:
        sensor = self.config.sensor
        if self.source_override:
            sensor = parse_source_override(self.source_override, sensor)
        return open_source(sensor)

    def _on_frame(self, frame: ThermalFrame, wall: float) -> None:
        """Reader thread: queue one step; frames are perishable, so a busy engine skips, not stacks."""
        if self._frame_queued:
            self.frames_dropped += 1
            return
        self._frame_queued = True
        self.worker.submit(lambda: self._step(frame, wall))

    def _step(self, frame: ThermalFrame, wall: float) -> None:
        """Engine thread."""
        self._frame_queued = False
        self._step_wall = wall
        assert self.engine is not None
        self.liveness.step_begins()
        self.faults.maybe_hang(self.liveness.frames_done)
        result = self.engine.step(frame)
        done = time.monotonic()
        self.liveness.step_ends()
        if result.events or result.actions or not self._first_frame_seen:
            # most frames change nothing: the event loop is woken only for the ones that do
            self._loop.call_soon_threadsafe(self._on_result, result, frame, wall, done)
        self._inject_inputs()

    def _inject_inputs(self) -> None:
        """Engine thread: tamper switch and PIR changes the policy queued, routed like pipeline events."""
        assert self.engine is not None
        drain = getattr(self.engine.policy, "drain_local_events", None)
        if drain is None:
            return
        for event in drain():
            self._step_wall = time.time()  # not from a frame: its latency counts from now
            result = self.engine.inject(event)
            self._loop.call_soon_threadsafe(self._on_result, result, None, time.time(), time.monotonic())

    async def _inputs_task(self) -> None:
        """Inputs and timed policy steps keep working when no frame comes (a dead sensor)."""
        self.faults.maybe_crash("inputs")
        while True:
            await asyncio.sleep(0.2)
            if self.liveness.last_frame_done is None or time.monotonic() - self.liveness.last_frame_done > 0.5:
                await asyncio.wrap_future(self.worker.submit(self._idle_tick))

    def _idle_tick(self) -> None:
        assert self.engine is not None
        self._inject_inputs()
        if self.engine.policy is not None:
            actions = self.engine.policy.tick(time.monotonic())
            if actions:
                result = StepResult(actions=actions)
                self._loop.call_soon_threadsafe(self._on_result, result, None, time.time(), time.monotonic())

    async def call_engine(self, fn: Callable[[Engine], Any]) -> Any:
        """Run ``fn(engine)`` in the engine thread (remote commands, reload)."""
        assert self.engine is not None
        engine = self.engine
        return await asyncio.wrap_future(self.worker.submit(lambda: fn(engine)))

    # ------------------------------------------------------------------ results

    def _on_result(self, result: StepResult, frame: ThermalFrame | None, wall: float, done: float) -> None:
        for event in result.events:
            if not result.recorded:
                self.record_event(event, frame_wall=wall)
            if frame is not None and event.is_alarm and event.phase == "start":
                self._send_snapshot(frame, event)
        for action in result.actions:
            self._record_action(action, frame, done)
        if result.actions and self.uplinks.mqtt is not None:
            self.uplinks.mqtt.state_changed()
        if frame is not None and not self._first_frame_seen:
            self._first_frame_seen = True
            log.info("first frame processed (%dx%d)", frame.shape[1], frame.shape[0])
            self._health_mark("frame", True, f"frame {frame.seq} processed")
        self._maybe_ready()

    async def _retention_task(self) -> None:
        self.faults.maybe_crash("retention")
        while True:
            await asyncio.to_thread(sweep_retention, self.state_dir, self.config.privacy.retention_hours)
            await asyncio.sleep(600.0)

    # ------------------------------------------------------------------ reload

    async def reload(self) -> ReloadResult:
        self.notifier.reloading()
        result = reload_config(self.config_path, self.config)
        if result.ok and result.changed:
            await self._apply(result)
        self.notifier.status(("reload rejected · " if not result.ok else "") + self.status_line())
        self.notifier.ready()
        return result

    async def _apply(self, result: ReloadResult) -> None:
        self.config = result.config
        if {"detection", "deterrence", "unit"} & set(result.changed):

            def rebuild(old: Engine) -> Engine:
                close = getattr(old.policy, "close", None) or getattr(old.policy, "safe", None)
                if close:
                    close()
                return self._build_engine()

            self.engine = await self.call_engine(rebuild)
        if "sensor" in result.changed:
            self.read_timeout_s = max(0.5, 2.0 / float(self.config.sensor.rate_hz))
            self.reader.read_timeout_s = self.read_timeout_s
            self.reader.reopen()
        if {"mqtt", "alarm_centre"} & set(result.changed):
            await self.uplinks.restart()

    # ------------------------------------------------------------------ health file (update agent)

    def _open_health(self) -> None:
        try:
            from firmware.update.health import HealthWriter

            self._health = HealthWriter(self.state_dir, __version__)
        except Exception as exc:  # the update agent is optional on a bench
            log.debug("no health file: %s", exc)

    def _health_mark(self, check: str, ok: bool, detail: str) -> None:
        if self._health is not None:
            with contextlib.suppress(Exception):
                self._health.mark(check, ok, detail)


CommandHandler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
