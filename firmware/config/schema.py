"""The unit's configuration: one TOML file, validated whole at load.

Every problem is reported, each as ``PATH: dotted.key: reason``; a config with only
``[unit] id = "..."`` is valid.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from firmware.config.alarm_centre import AlarmCentreSection
from firmware.config.base import Section
from firmware.config.detection import DetectionSection
from firmware.config.deterrence import DeterrenceSection
from firmware.config.mqtt import MqttSection
from firmware.config.privacy import PrivacySection
from firmware.config.sensor import SensorSection
from firmware.config.service import ServiceSection
from firmware.config.unit import UnitSection
from firmware.config.update import UpdateSection

DEFAULT_CONFIG_PATH = Path("/etc/parkvakt/unit.toml")


class UnitConfig(Section):
    unit: UnitSection
    sensor: SensorSection = SensorSection()
    detection: DetectionSection = DetectionSection()
    deterrence: DeterrenceSection = DeterrenceSection()
    mqtt: MqttSection = MqttSection()
    alarm_centre: AlarmCentreSection = AlarmCentreSection()
    service: ServiceSection = ServiceSection()
    update: UpdateSection = UpdateSection()
    privacy: PrivacySection = PrivacySection()


class ConfigError(Exception):
    """A config that cannot be used; ``problems`` holds one ``(dotted.key, reason)`` per fault."""

    def __init__(self, path: str | os.PathLike[str], problems: list[tuple[str, str]]):
        self.path = str(path)
        self.problems = problems
        super().__init__(self.report())

    def report(self) -> str:
        return "\n".join(f"{self.path}: {key}: {reason}" for key, reason in self.problems)


def _dotted(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int) and parts:
            parts[-1] = f"{parts[-1]}[{item}]"
        else:
            parts.append(str(item))
    return ".".join(parts) or "<root>"


def _reason(err: dict[str, Any]) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key"
    if err["type"] == "missing":
        return "required key is missing"
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")


def problems_from_validation(exc: ValidationError) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for err in exc.errors(include_url=False):
        # pydantic appends the type tag of a tagged union or a function-validator name to loc;
        # drop the pieces that are not keys a technician typed
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        out.append((_dotted(loc), _reason(err)))
    return out


def parse_config(data: dict[str, Any], path: str | os.PathLike[str] = "<config>") -> UnitConfig:
    try:
        return UnitConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(path, problems_from_validation(exc)) from None


def load_config(path: str | os.PathLike[str]) -> UnitConfig:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(path, [("<file>", exc.strerror or str(exc))]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(path, [("<file>", f"not UTF-8 text: {exc.reason}")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [("<toml>", str(exc))]) from None
    return parse_config(data, path)
