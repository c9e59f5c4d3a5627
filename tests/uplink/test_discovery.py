"""Home Assistant discovery payloads against HA's documented MQTT discovery schema.

The reference below is transcribed from the Home Assistant documentation (integrations
binary_sensor.mqtt, sensor.mqtt, switch.mqtt, button.mqtt, the "MQTT Discovery" page with its
device block, and ``homeassistant/components/mqtt/abbreviations.py``): the keys each component
accepts, the required ones, the device keys, the device classes and the topic format. HA rejects
a discovery payload with an unknown key, so an extra or misspelt key here fails the test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jinja2
import pytest

from firmware.config import parse_config
from firmware.uplink.discovery import DeviceInfo, discovery_messages
from firmware.uplink.mqtt import UplinkService
from firmware.uplink.outbox import Outbox
from firmware.uplink.topics import Topics
from tests.support.mosquitto import Mosquitto
from tests.uplink.helpers import UNIT, next_message, operator, payload_json, unit_config, uplink

COMMON = {
    "availability", "availability_mode", "availability_template", "availability_topic", "payload_available",
    "payload_not_available", "device", "enabled_by_default", "encoding", "entity_category", "entity_picture", "icon",
    "json_attributes_template", "json_attributes_topic", "name", "object_id", "default_entity_id", "qos",
    "unique_id", "origin", "platform",
}  # fmt: skip
COMPONENT_KEYS = {
    "binary_sensor": {
        "device_class", "expire_after", "force_update", "off_delay", "payload_off", "payload_on", "state_topic",
        "value_template",
    },
    "sensor": {
        "device_class", "expire_after", "force_update", "last_reset_value_template", "options",
        "suggested_display_precision", "state_class", "state_topic", "unit_of_measurement", "value_template",
    },
    "switch": {
        "command_template", "command_topic", "device_class", "optimistic", "payload_off", "payload_on", "retain",
        "state_off", "state_on", "state_topic", "value_template",
    },
    "button": {"command_template", "command_topic", "device_class", "payload_press", "retain"},
}  # fmt: skip
REQUIRED = {"binary_sensor": {"state_topic"}, "sensor": {"state_topic"}, "button": {"command_topic"}, "switch": set()}
DEVICE_KEYS = {
    "configuration_url", "connections", "hw_version", "identifiers", "manufacturer", "model", "model_id", "name",
    "serial_number", "suggested_area", "sw_version", "via_device",
}  # fmt: skip
ABBREVIATIONS = {
    "avty": "availability", "avty_mode": "availability_mode", "avty_t": "availability_topic",
    "avty_tpl": "availability_template", "cmd_t": "command_topic", "cmd_tpl": "command_template", "dev": "device",
    "dev_cla": "device_class", "e": "encoding", "en": "enabled_by_default", "ent_cat": "entity_category",
    "exp_aft": "expire_after", "frc_upd": "force_update", "ic": "icon", "json_attr_t": "json_attributes_topic",
    "json_attr_tpl": "json_attributes_template", "obj_id": "object_id", "off_dly": "off_delay", "opt": "optimistic",
    "ops": "options", "pl_avail": "payload_available", "pl_not_avail": "payload_not_available", "pl_off": "payload_off",
    "pl_on": "payload_on", "pl_prs": "payload_press", "ret": "retain", "stat_cla": "state_class",
    "stat_off": "state_off", "stat_on": "state_on", "stat_t": "state_topic", "uniq_id": "unique_id",
    "unit_of_meas": "unit_of_measurement", "val_tpl": "value_template", "o": "origin", "p": "platform",
}  # fmt: skip
DEVICE_ABBREVIATIONS = {
    "cns": "connections", "cu": "configuration_url", "ids": "identifiers", "mf": "manufacturer", "mdl": "model",
    "mdl_id": "model_id", "sw": "sw_version", "hw": "hw_version", "sn": "serial_number", "sa": "suggested_area",
}  # fmt: skip
BINARY_SENSOR_CLASSES = {
    "battery", "battery_charging", "carbon_monoxide", "cold", "connectivity", "door", "garage_door", "gas", "heat",
    "light", "lock", "moisture", "motion", "moving", "occupancy", "opening", "plug", "power", "presence", "problem",
    "running", "safety", "smoke", "sound", "tamper", "update", "vibration", "window",
}  # fmt: skip
SENSOR_CLASSES_USED = {"temperature": {"°C", "°F", "K"}}
BUTTON_CLASSES = {"identify", "restart", "update"}
SWITCH_CLASSES = {"outlet", "switch"}
STATE_CLASSES = {"measurement", "measurement_angle", "total", "total_increasing"}
ENTITY_CATEGORIES = {"config", "diagnostic"}
TOPIC = re.compile(r"^homeassistant/(binary_sensor|sensor|switch|button)/([A-Za-z0-9_-]+/)?[A-Za-z0-9_-]+/config$")

TOPICS = Topics("parkvakt", UNIT)
DEVICE = DeviceInfo(unit=UNIT, name="North lot", model="Parkvakt thermal guard", sw_version="1.2.3")


def expanded(payload: dict[str, Any]) -> dict[str, Any]:
    out = {ABBREVIATIONS.get(k, k): v for k, v in payload.items()}
    assert len(out) == len(payload), "a key is given both abbreviated and in full"
    if isinstance(out.get("device"), dict):
        out["device"] = {DEVICE_ABBREVIATIONS.get(k, k): v for k, v in out["device"].items()}
    return out


@pytest.fixture
def messages() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for topic, text in discovery_messages(TOPICS, DEVICE, "homeassistant"):
        match = TOPIC.match(topic)
        assert match, f"{topic} is not <prefix>/<component>/[<node_id>/]<object_id>/config"
        out.append((topic, match.group(1), expanded(json.loads(text))))
    return out


def test_every_payload_uses_only_documented_keys_and_has_the_required_ones(messages: list[Any]) -> None:
    components = [c for _, c, _ in messages]
    assert components.count("binary_sensor") == 4 and components.count("sensor") == 2
    assert components.count("switch") == 1 and components.count("button") == 2
    for topic, component, cfg in messages:
        unknown = set(cfg) - COMMON - COMPONENT_KEYS[component]
        assert not unknown, f"{topic}: keys HA does not accept for {component}: {unknown}"
        assert REQUIRED[component] <= set(cfg), f"{topic}: missing {REQUIRED[component] - set(cfg)}"
        assert cfg.get("unique_id") and cfg.get("name"), f"{topic}: needs unique_id (for the device) and a name"
        if "entity_category" in cfg:
            assert cfg["entity_category"] in ENTITY_CATEGORIES
        if "state_class" in cfg:
            assert cfg["state_class"] in STATE_CLASSES
    assert len({cfg["unique_id"] for _, _, cfg in messages}) == len(messages), "unique_id must be unique"


def test_one_device_block_and_availability_from_the_status_topic(messages: list[Any]) -> None:
    devices = [cfg["device"] for _, _, cfg in messages]
    assert all(d == devices[0] for d in devices), "every entity must name the same device"
    device = devices[0]
    assert set(device) <= DEVICE_KEYS
    assert device.get("identifiers") or device.get("connections"), "a device needs identifiers or connections"
    assert device["model"] == "Parkvakt thermal guard" and device["sw_version"] == "1.2.3"
    assert device["name"] == "North lot" and device["manufacturer"]
    for topic, _, cfg in messages:
        assert not ("availability" in cfg and "availability_topic" in cfg), f"{topic}: both availability forms"
        assert cfg["availability_topic"] == TOPICS.status
        assert (cfg["payload_available"], cfg["payload_not_available"]) == ("online", "offline")


def test_device_classes_and_units_are_ones_ha_knows(messages: list[Any]) -> None:
    by_id = {cfg["unique_id"].rsplit("_", 1)[-1]: (c, cfg) for _, c, cfg in messages}
    for _, component, cfg in messages:
        cls = cfg.get("device_class")
        if cls is None:
            continue
        if component == "binary_sensor":
            assert cls in BINARY_SENSOR_CLASSES
        elif component == "sensor":
            assert cfg["unit_of_measurement"] in SENSOR_CLASSES_USED[cls]
        elif component == "button":
            assert cls in BUTTON_CLASSES
        else:
            assert cls in SWITCH_CLASSES
    assert by_id["fire"][1]["device_class"] == "heat" and by_id["tamper"][1]["device_class"] == "tamper"
    assert by_id["motion"][1]["device_class"] == "motion"


def _render(template: str, payload: dict[str, Any]) -> str:
    """HA renders value templates with Jinja2 and ``value_json`` = the parsed payload."""
    return jinja2.Environment().from_string(template).render(value_json=payload, value=json.dumps(payload)).strip()


def test_templates_turn_the_units_state_and_telemetry_into_what_ha_expects(messages: list[Any], tmp_path: Path) -> None:
    cfgs = {cfg["unique_id"].removeprefix(f"parkvakt_{UNIT}_"): cfg for _, _, cfg in messages}
    state = {"armed": True, "active": {"fire": True, "person": False}}
    assert _render(cfgs["fire"]["value_template"], state) == cfgs["fire"]["payload_on"]
    assert _render(cfgs["person"]["value_template"], state) == cfgs["person"]["payload_off"]
    assert _render(cfgs["tamper"]["value_template"], {"armed": False}) == "OFF", "no 'active' key yet: off"
    assert _render(cfgs["armed"]["value_template"], state) == cfgs["armed"]["state_on"]
    assert _render(cfgs["armed"]["value_template"], {"armed": False}) == cfgs["armed"]["state_off"]

    config = parse_config({"unit": {"id": UNIT, "state_dir": str(tmp_path)}})
    outbox = Outbox(tmp_path / "o.db", unit=UNIT)
    telemetry = UplinkService(config, outbox).telemetry_payload()
    telemetry = json.loads(json.dumps(telemetry, default=str))
    assert _render(cfgs["outbox_depth"]["value_template"], telemetry) == "0"
    cpu = _render(cfgs["cpu_temperature"]["value_template"], telemetry)
    assert cpu == str(telemetry["cpu_temp_c"])
    outbox.close()


async def test_discovery_is_published_retained_on_connect(mosquitto: Mosquitto, tmp_path: Path) -> None:
    config = unit_config(mosquitto, tmp_path / "state", listener="tls")
    async with uplink(config), operator(mosquitto) as ha:
        await ha.subscribe("homeassistant/#", qos=1)
        seen = {}
        while len(seen) < 9:
            message = await next_message(ha, "homeassistant/#")
            assert message.retain, "discovery must be retained so HA finds it after its own restart"
            seen[str(message.topic)] = payload_json(message)
        await ha.subscribe(TOPICS.status, qos=1)
        status = await next_message(ha, TOPICS.status)
        assert status.payload == b"online" and status.retain
    assert set(seen) == {t for t, _ in discovery_messages(TOPICS, DEVICE, "homeassistant")}
