"""Home Assistant MQTT discovery: the unit shows up as one device with its entities.

Published retained to ``<discovery_prefix>/<component>/<node_id>/<object_id>/config`` on every
connect. Full key names are used (HA accepts them and they read better than the abbreviations).
Every entity shares one ``device`` block (identifiers, name, model, manufacturer, sw_version)
and takes its availability from the unit's ``status`` topic (``online``/``offline``, the Last
Will), so HA greys the unit out when it drops off.

State comes from the retained ``state`` JSON (``armed`` and ``active.<type>``) and the
``telemetry`` JSON (``cpu_temp_c``, ``outbox.depth``).

HA cannot sign commands, so the armed switch and the buttons publish to ``<root>/ha/<name>``,
which the unit obeys only with ``[mqtt] ha_control = true`` (restrict that topic in the broker's
ACL to Home Assistant first); otherwise they are rejected and counted like any forged command.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from firmware.uplink.topics import Topics

ALARM_SENSORS: tuple[tuple[str, str, str], ...] = (
    # (event type, friendly name, HA binary_sensor device class)
    ("fire", "Fire", "heat"),
    ("person", "Person", "occupancy"),
    ("motion", "Motion", "motion"),
    ("tamper", "Tamper", "tamper"),
)

HA_CONTROLS: dict[str, dict[str, str]] = {
    # HA topic name → {payload HA sends: unit command}
    "armed": {"ON": "arm", "OFF": "disarm"},
    "selftest": {"PRESS": "selftest"},
    "silence": {"PRESS": "silence"},
}


@dataclass(frozen=True)
class DeviceInfo:
    unit: str
    name: str
    model: str
    sw_version: str
    manufacturer: str = "Parkvakt"


def ha_topic(topics: Topics, control: str) -> str:
    return f"{topics.root}/ha/{control}"


def _node_id(unit: str) -> str:
    """HA node ids allow only ``[a-zA-Z0-9_-]``."""
    return "parkvakt_" + re.sub(r"[^A-Za-z0-9_-]", "_", unit)


def discovery_messages(topics: Topics, device: DeviceInfo, discovery_prefix: str) -> list[tuple[str, str]]:
    """``(topic, JSON payload)`` for every entity, to be published retained."""
    node = _node_id(device.unit)
    dev = {
        "identifiers": [node],
        "name": device.name or f"Parkvakt {device.unit}",
        "model": device.model,
        "manufacturer": device.manufacturer,
        "sw_version": device.sw_version,
    }
    common: dict[str, Any] = {
        "availability_topic": topics.status,
        "payload_available": "online",
        "payload_not_available": "offline",
        "device": dev,
    }
    out: list[tuple[str, dict[str, Any]]] = []
    for event_type, label, device_class in ALARM_SENSORS:
        out.append(
            (
                f"binary_sensor/{node}/{event_type}",
                {
                    "name": label,
                    "unique_id": f"{node}_{event_type}",
                    "state_topic": topics.state,
                    "value_template": (
                        "{{ 'ON' if value_json.active is defined and value_json.active." + event_type + " else 'OFF' }}"
                    ),
                    "payload_on": "ON",
                    "payload_off": "OFF",
                    "device_class": device_class,
                },
            )
        )
    out.append(
        (
            f"switch/{node}/armed",
            {
                "name": "Armed",
                "unique_id": f"{node}_armed",
                "state_topic": topics.state,
                "value_template": "{{ 'ON' if value_json.armed else 'OFF' }}",
                "state_on": "ON",
                "state_off": "OFF",
                "command_topic": ha_topic(topics, "armed"),
                "payload_on": "ON",
                "payload_off": "OFF",
                "icon": "mdi:shield-lock",
            },
        )
    )
    buttons = (("selftest", "Self-test", "mdi:clipboard-check"), ("silence", "Silence", "mdi:volume-off"))
    for control, label, icon in buttons:
        button: dict[str, Any] = {
            "name": label,
            "unique_id": f"{node}_{control}",
            "command_topic": ha_topic(topics, control),
            "payload_press": "PRESS",
            "icon": icon,
        }
        if control == "selftest":
            button["entity_category"] = "diagnostic"
        out.append((f"button/{node}/{control}", button))
    out.append(
        (
            f"sensor/{node}/cpu_temperature",
            {
                "name": "CPU temperature",
                "unique_id": f"{node}_cpu_temperature",
                "state_topic": topics.telemetry,
                "value_template": "{{ value_json.cpu_temp_c }}",
                "device_class": "temperature",
                "state_class": "measurement",
                "unit_of_measurement": "°C",
                "entity_category": "diagnostic",
            },
        )
    )
    out.append(
        (
            f"sensor/{node}/outbox_depth",
            {
                "name": "Outbox depth",
                "unique_id": f"{node}_outbox_depth",
                "state_topic": topics.telemetry,
                "value_template": "{{ value_json.outbox.depth }}",
                "state_class": "measurement",
                "unit_of_measurement": "events",
                "icon": "mdi:tray-full",
                "entity_category": "diagnostic",
            },
        )
    )
    return [(f"{discovery_prefix}/{path}/config", json.dumps({**common, **cfg})) for path, cfg in out]
