"""The MQTT uplink task: drains the outbox with QoS 1, publishes status, state and telemetry,
answers authenticated commands and announces the unit to Home Assistant.

The daemon runs ``UplinkService.run()`` as one asyncio task; it never returns on its own and
survives any broker trouble: a failed or lost connection is logged, counted and retried after a
random delay in ``[0, min(backoff_max_s, backoff_initial_s · 2^attempt)]`` ("full jitter"), so a
fleet does not stampede a broker that comes back.

Delivery: an outbox entry is acknowledged (and so may leave the outbox) only after the broker's
PUBACK. Up to ``[mqtt] inflight`` publishes await their PUBACK at once; after each completion
the next entries are taken from the outbox again, so a fire queued behind a backlog goes next.
A connection lost mid-flight leaves the unacknowledged entries in the outbox, to be sent again
(at-least-once; receivers deduplicate by ``id``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import aiomqtt

from firmware import __version__
from firmware.uplink.commands import (
    CommandKeyError,
    CommandProcessor,
    Handler,
    ReplayGuard,
    load_command_key,
)
from firmware.uplink.discovery import HA_CONTROLS, DeviceInfo, discovery_messages
from firmware.uplink.outbox import Outbox, OutboxEntry
from firmware.uplink.payload import iso_utc
from firmware.uplink.telemetry import system_telemetry
from firmware.uplink.topics import Topics

if TYPE_CHECKING:
    from firmware.config import UnitConfig
    from firmware.config.mqtt import MqttSection

log = logging.getLogger(__name__)

SINK = "mqtt"
T = TypeVar("T")
StateProvider = Callable[[], Mapping[str, Any]]
"""Current unit state for the retained ``state`` topic: ``armed``, ``outputs``, ``sensor`` health,
``model`` version; ``active`` ({type: bool}) is derived from delivered events unless given.
Called from the event loop; keep it cheap."""
TelemetryProvider = Callable[[], Mapping[str, Any]]
"""The daemon's share of telemetry: ``fps``, ``frames_rejected`` and the like."""

ACTIVE_TYPES: tuple[str, ...] = ("fire", "person", "vehicle", "motion", "tamper")
"""``state.active.<type>``: an incident of that type is open (from the events delivered), unless
the daemon's state provider supplies ``active`` itself."""

STABLE_CONNECTION_S = 30.0
"""A connection that lasted this long resets the backoff; a flapping one keeps backing off."""


def backoff_delay(attempt: int, initial: float, cap: float, rng: random.Random) -> float:
    """Full jitter: uniform in ``[0, min(cap, initial · 2^attempt)]``."""
    return rng.uniform(0.0, min(cap, initial * (2.0 ** min(attempt, 30))))


def tls_context(cfg: MqttSection) -> ssl.SSLContext | None:
    """Server verification against ``ca`` (or the system store) and, with ``cert``/``key``, mTLS."""
    if not cfg.tls:
        return None
    ctx = ssl.create_default_context(cafile=str(cfg.ca) if cfg.ca else None)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if cfg.cert is not None and cfg.key is not None:
        ctx.load_cert_chain(str(cfg.cert), str(cfg.key))
    return ctx


async def _checked(call: Awaitable[T]) -> T:
    """Await an aiomqtt call, then honour a cancellation it may have swallowed.

    aiomqtt waits with ``asyncio.wait_for``, which on Python 3.11 can drop a cancellation that
    arrives as the PUBACK does (fixed in 3.12); without this check a cancelled loop would go on
    waiting and the uplink would never stop.
    """
    task = asyncio.current_task()
    # compare with the count before the call: a TaskGroup that lost a connection may leave an
    # old request counted, and treating that as new would end the uplink at the next reconnect
    before = task.cancelling() if task is not None else 0
    result = await call
    if task is not None and task.cancelling() > before:
        raise asyncio.CancelledError
    return result


def _no_state() -> Mapping[str, Any]:
    return {}


class UplinkService:
    def __init__(
        self,
        config: UnitConfig,
        outbox: Outbox,
        *,
        state: StateProvider = _no_state,
        telemetry: TelemetryProvider = _no_state,
        handlers: Mapping[str, Handler] | None = None,
        device: DeviceInfo | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.cfg = config.mqtt
        self.unit = config.unit.id
        self.outbox = outbox
        self.topics = Topics(self.cfg.prefix, self.unit)
        self.state_dir = config.unit.resolved_state_dir()
        self._state_provider = state
        self._telemetry_provider = telemetry
        self.device = device or DeviceInfo(
            unit=self.unit, name=config.unit.name, model="Parkvakt thermal guard", sw_version=__version__
        )
        self._rng = rng or random.Random()
        self.key_error: str | None = None
        try:
            key = load_command_key(self.cfg.command_key)
        except CommandKeyError as exc:
            key, self.key_error = None, str(exc)
            log.error("%s; every remote command will be refused", exc)
        self.commands = CommandProcessor(
            self.topics,
            key,
            handlers or {},
            ReplayGuard(self.state_dir / "command-ids.db", window_s=self.cfg.command_window_s),
            window_s=self.cfg.command_window_s,
        )
        self.ha_rejected = 0
        self.connected = False
        self.connects = 0
        self.connect_failures = 0
        self.last_error: str | None = None
        self.published = 0
        self.rtt_ms: float | None = None
        self._started = time.monotonic()
        self._state_dirty = asyncio.Event()
        self._client: aiomqtt.Client | None = None
        self._run_task: asyncio.Task[None] | None = None
        self._open_incidents: dict[str, set[str]] = {}

    # -- public ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """Connect, serve, reconnect with backoff; forever, until cancelled or ``stop()``."""
        self._run_task = asyncio.current_task()
        try:
            await self._run()
        finally:
            self._run_task = None

    async def stop(self) -> None:
        """End ``run()``: publish a retained ``offline`` (a clean DISCONNECT fires no Last Will) and close."""
        task = self._run_task
        if task is None or task.done():
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait({task})

    async def _run(self) -> None:
        attempt = 0
        while True:
            began = time.monotonic()
            try:
                await self._serve_one_connection()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._record_failure(exc)
            finally:
                self.connected = False
                self._client = None
            if time.monotonic() - began >= STABLE_CONNECTION_S:
                attempt = 0
            delay = backoff_delay(attempt, self.cfg.backoff_initial_s, self.cfg.backoff_max_s, self._rng)
            attempt += 1
            log.info("MQTT reconnect in %.1f s (attempt %d)", delay, attempt)
            await asyncio.sleep(delay)

    def state_changed(self) -> None:
        """Publish the retained state soon (the daemon calls this after arming, outputs, faults)."""
        self._state_dirty.set()

    async def publish(self, suffix: str, payload: bytes) -> None:
        """QoS 1 to ``<root>/<suffix>``; returns once the broker has it, waiting out any outage."""
        while True:
            client = self._client
            if client is not None and self.connected:
                try:
                    await _checked(client.publish(f"{self.topics.root}/{suffix}", payload, qos=1))
                    return
                except aiomqtt.MqttError as exc:
                    log.debug("publish to %s deferred: %s", suffix, exc)
            await asyncio.sleep(0.5)

    async def publish_snapshot(self, png: bytes) -> bool:
        """Send an alarm snapshot (built by ``snapshot.alarm_snapshot``); False while offline."""
        client = self._client
        if client is None:
            return False
        try:
            await client.publish(self.topics.snapshot, png, qos=1)
        except aiomqtt.MqttError as exc:
            log.warning("snapshot not sent: %s", exc)
            return False
        return True

    def health(self) -> dict[str, Any]:
        return {
            "connected": self.connected,
            "connects": self.connects,
            "connect_failures": self.connect_failures,
            "last_error": self.last_error,
            "published": self.published,
            "rtt_ms": self.rtt_ms,
        }

    def telemetry_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"ts": iso_utc(time.time()), "unit": self.unit}
        payload.update(system_telemetry(self.state_dir, started_monotonic=self._started))
        try:
            payload.update(self._telemetry_provider())
        except Exception as exc:
            log.exception("telemetry provider failed")
            payload["telemetry_error"] = str(exc)
        stats = self.outbox.stats()
        stats["oldest_age_s"] = self.outbox.oldest_age(SINK)
        payload["outbox"] = stats
        payload["commands"] = {**self.commands.counters(), "ha_rejected": self.ha_rejected}
        payload["link"] = self.health()
        return payload

    # -- one connection ---------------------------------------------------------------------------

    def _make_client(self) -> aiomqtt.Client:
        client = aiomqtt.Client(
            self.cfg.host,
            self.cfg.port,
            username=self.cfg.username,
            password=self.cfg.password,
            identifier=self.cfg.client_id or f"parkvakt-{self.unit}",
            clean_session=True,
            will=aiomqtt.Will(self.topics.status, b"offline", qos=1, retain=True),
            keepalive=self.cfg.keepalive_s,
            tls_context=tls_context(self.cfg),
            max_inflight_messages=self.cfg.inflight,
            max_queued_incoming_messages=1000,
            timeout=self.cfg.connect_timeout_s,
        )
        client.pending_calls_threshold = self.cfg.inflight + 50
        return client

    async def _serve_one_connection(self) -> None:
        client = self._make_client()
        async with client:
            self._client = client
            self.connected = True
            self.connects += 1
            self.last_error = None
            log.info("MQTT connected to %s:%d", self.cfg.host, self.cfg.port)
            try:
                await _checked(client.publish(self.topics.status, b"online", qos=1, retain=True))
                if self.cfg.discovery:
                    for topic, payload in discovery_messages(self.topics, self.device, self.cfg.discovery_prefix):
                        await _checked(client.publish(topic, payload, qos=1, retain=True))
                await _checked(client.subscribe([(self.topics.command_filter, 1), (f"{self.topics.root}/ha/+", 1)]))
                self._state_dirty.set()
                async with asyncio.TaskGroup() as tg:
                    tg.create_task(self._drain(client, tg))
                    tg.create_task(self._receive(client))
                    tg.create_task(self._telemetry_loop(client))
                    tg.create_task(self._state_loop(client))
            except asyncio.CancelledError:
                # shutting down: say so, since a clean DISCONNECT does not fire the Last Will
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(client.publish(self.topics.status, b"offline", qos=1, retain=True), 2.0)
                raise

    def _track_incident(self, event: Mapping[str, Any]) -> None:
        """Keep ``state.active`` (Home Assistant's binary sensors) in step with the events delivered."""
        kind, phase = str(event.get("type")), event.get("phase")
        key = str(event.get("incident") or event.get("id"))
        if phase == "start":
            self._open_incidents.setdefault(kind, set()).add(key)
        elif phase == "end":
            self._open_incidents.get(kind, set()).discard(key)
        else:
            return
        self._state_dirty.set()

    def _record_failure(self, exc: BaseException) -> None:
        if isinstance(exc, BaseExceptionGroup):
            exc = exc.exceptions[0]
        self.last_error = f"{type(exc).__name__}: {exc}"
        if self.connected:
            log.warning("MQTT connection lost: %s", self.last_error)
        else:
            self.connect_failures += 1
            log.warning("MQTT connect to %s:%d failed: %s", self.cfg.host, self.cfg.port, self.last_error)

    async def _drain(self, client: aiomqtt.Client, tg: asyncio.TaskGroup) -> None:
        window = self.cfg.inflight
        ack_timeout = max(10.0, float(self.cfg.keepalive_s))  # a slow link may take long over a full window
        in_flight: set[int] = set()
        done: list[int] = []
        progress = asyncio.Event()

        async def send(entry: OutboxEntry) -> None:
            try:
                body = json.dumps(entry.payload, separators=(",", ":"))
                await _checked(client.publish(self.topics.event, body, qos=1, timeout=ack_timeout))
            finally:
                progress.set()
            done.append(entry.rowid)
            self.published += 1
            self._track_incident(entry.payload)

        refill_at = max(1, window // 4)  # refill in batches: one outbox query per several PUBACKs
        while True:
            if done:
                acked, done[:] = list(done), []
                self.outbox.ack(SINK, acked)
                in_flight.difference_update(acked)
            free = window - len(in_flight)
            refilled = free >= refill_at or not in_flight
            if refilled:
                for entry in self.outbox.pending(SINK, limit=free, exclude=in_flight):
                    in_flight.add(entry.rowid)
                    tg.create_task(send(entry))
            progress.clear()
            if not in_flight:
                await self.outbox.wait(SINK, timeout=30.0)
            elif not refilled:
                await progress.wait()
            else:
                news = asyncio.ensure_future(self.outbox.wait(SINK, timeout=None))
                step = asyncio.ensure_future(progress.wait())
                try:
                    await asyncio.wait({news, step}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    news.cancel()
                    step.cancel()

    async def _receive(self, client: aiomqtt.Client) -> None:
        ha_prefix = f"{self.topics.root}/ha/"
        async for message in client.messages:
            topic = str(message.topic)
            payload = message.payload if isinstance(message.payload, bytes | bytearray) else b""
            if topic.startswith(ha_prefix):
                await self._ha_control(client, topic.removeprefix(ha_prefix), bytes(payload))
                continue
            outcome = await self.commands.process(topic, payload)
            if outcome.accepted and outcome.name and outcome.result is not None:
                await _checked(client.publish(self.topics.result(outcome.name), json.dumps(outcome.result), qos=1))
                self._state_dirty.set()

    async def _ha_control(self, client: aiomqtt.Client, control: str, payload: bytes) -> None:
        """Home Assistant's switch and buttons: obeyed only with ``[mqtt] ha_control = true``."""
        command = HA_CONTROLS.get(control, {}).get(payload.decode("utf-8", "replace").strip())
        if not self.cfg.ha_control or command is None:
            self.ha_rejected += 1
            log.warning("Home Assistant control %r %r ignored (ha_control off or unknown)", control, payload[:40])
            return
        result = await self.commands.run_trusted(command, f"ha-{int(time.time() * 1000)}", {})
        await _checked(client.publish(self.topics.result(command), json.dumps(result), qos=1))
        self._state_dirty.set()

    async def _telemetry_loop(self, client: aiomqtt.Client) -> None:
        while True:
            payload = json.dumps(self.telemetry_payload(), default=str)
            began = time.monotonic()
            await _checked(client.publish(self.topics.telemetry, payload, qos=1))
            self.rtt_ms = round((time.monotonic() - began) * 1000.0, 1)
            await asyncio.sleep(self.cfg.telemetry_interval_s)

    async def _state_loop(self, client: aiomqtt.Client) -> None:
        while True:
            await self._state_dirty.wait()
            self._state_dirty.clear()
            try:
                state = dict(self._state_provider())
            except Exception:
                log.exception("state provider failed; state not published")
                continue
            active = {kind: bool(self._open_incidents.get(kind)) for kind in ACTIVE_TYPES}
            payload = {"ts": iso_utc(time.time()), "unit": self.unit, "firmware": __version__, "active": active}
            payload.update(state)
            await _checked(client.publish(self.topics.state, json.dumps(payload, default=str), qos=1, retain=True))
