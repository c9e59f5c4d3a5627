"""What the daemon does with the engine's results: events into the outbox (durable first, with
the sinks that want them and the armed flag the alarm centre needs), output changes tracked and
logged, alarm snapshots when privacy allows, ``trouble`` events. A mixin of ``Daemon``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from typing import TYPE_CHECKING

from firmware.events import Action, Event
from firmware.service.logging import event_fields
from firmware.service.privacy import alarm_snapshot_png
from hw.frame import ThermalFrame

if TYPE_CHECKING:
    from firmware.service.daemon import Daemon

log = logging.getLogger("parkvakt.daemon")


class EventRecorder:
    def record_event(self: Daemon, event: Event, *, frame_wall: float | None = None) -> None:
        event = self._with_armed(event)
        sinks = self.sinks_for(event)
        self.outbox.put(event, sinks=sinks)
        self.events_recorded += 1
        level = logging.WARNING if event.is_alarm or event.type == "trouble" else logging.INFO
        log.log(
            level,
            "%s %s%s",
            event.type,
            event.phase,
            f" in {event.zone}" if event.zone else "",
            extra=event_fields(event),
        )
        if self._trace and frame_wall is not None:
            self._trace.write(json.dumps({"kind": "event", "id": event.id, "frame_wall": frame_wall}) + "\n")

    def _with_armed(self: Daemon, event: Event) -> Event:
        """A person event says whether the unit and its zone were armed (``detail["armed"]``), so
        the alarm centre gets a burglary only for an armed zone; the end carries its start's flag."""
        if event.type != "person" or "armed" in event.detail:
            return event
        key = event.incident or event.id
        armed = self._incident_armed.pop(key, None) if event.phase == "end" else None
        if armed is None:
            zone = next((z for z in self.config.detection.zones if z.name == event.zone), None)
            armed = self.armed_at(event.t) is not False and (zone is None or zone.armed)
            if event.phase == "start":
                self._incident_armed[key] = armed
        return dataclasses.replace(event, detail={**event.detail, "armed": armed})

    def _record_action(self: Daemon, action: Action, frame: ThermalFrame | None, done: float) -> None:
        self.outputs[action.output] = action.state
        self.actions_taken += 1
        log.info(
            "output %s %s (%s)",
            action.output,
            action.state,
            action.reason,
            extra={"OUTPUT": action.output, "STATE": action.state},
        )
        if self._trace and frame is not None:
            line = {
                "kind": "action",
                "output": action.output,
                "state": action.state,
                "frame_to_switch_s": done - frame.timestamp,
            }
            self._trace.write(json.dumps(line) + "\n")

    def _send_snapshot(self: Daemon, frame: ThermalFrame, event: Event) -> None:
        mqtt = self.uplinks.mqtt
        if mqtt is None:
            return
        masks = [z.polygon for z in self.config.detection.zones if z.kind == "mask"]
        png = alarm_snapshot_png(self.config.privacy, frame, event, masks)
        if png is None:
            return

        async def send() -> None:
            sent = await mqtt.publish_snapshot(png)
            if sent:
                self.access_log.record("mqtt-operator", "snapshot", event_id=event.id, type=event.type, bytes=len(png))

        task = asyncio.ensure_future(send())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def sinks_for(self: Daemon, event: Event) -> tuple[str, ...]:
        sinks: list[str] = []
        if self.config.mqtt.enabled:
            sinks.append("mqtt")
        if getattr(self.config.alarm_centre, "enabled", False):
            from firmware.uplink.dc09.routing import dc09_wants

            if dc09_wants(event):
                sinks.append("dc09")
        # with no uplink configured the outbox still keeps the record for MQTT, so enabling it
        # later delivers what happened meanwhile
        return tuple(sinks) or ("mqtt",)

    def trouble(
        self: Daemon, component: str, reason: str, *, phase: str = "instant", incident: str | None = None
    ) -> None:
        event = Event(
            type="trouble",
            phase=phase,  # type: ignore[arg-type]
            t=time.monotonic(),
            incident=incident,
            detail={"component": component, "reason": reason},
        )
        self.record_event(event)

    def _task_trouble(self: Daemon, task: str, reason: str, failing: bool) -> None:
        self.trouble(f"task:{task}", reason)
