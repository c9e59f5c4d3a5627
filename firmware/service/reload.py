"""Config reload (SIGHUP or the ``reload`` command): re-read, validate, and say what changed.

An invalid new file is rejected with the usual ``PATH: dotted.key: reason`` lines and the running
config is kept; the unit never runs on half a config.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from firmware.config import ConfigError, UnitConfig, load_config

log = logging.getLogger("parkvakt.reload")


@dataclass(frozen=True, slots=True)
class ReloadResult:
    ok: bool
    config: UnitConfig
    changed: tuple[str, ...] = ()
    message: str = ""


def changed_sections(old: UnitConfig, new: UnitConfig) -> tuple[str, ...]:
    return tuple(name for name in type(old).model_fields if getattr(old, name) != getattr(new, name))


def reload_config(path: Path, running: UnitConfig) -> ReloadResult:
    try:
        new = load_config(path)
    except ConfigError as exc:
        report = exc.report()
        for line in report.splitlines():
            log.error("reload rejected: %s", line)
        log.error("reload rejected; keeping the running config")
        return ReloadResult(False, running, message=report)
    if new.unit.id != running.unit.id:
        message = f"{path}: unit.id: cannot change from {running.unit.id!r} to {new.unit.id!r} without a restart"
        log.error("reload rejected: %s", message)
        return ReloadResult(False, running, message=message)
    changed = changed_sections(running, new)
    log.info("config reloaded; changed sections: %s", ", ".join(changed) or "none")
    return ReloadResult(True, new, changed, "reloaded: " + (", ".join(changed) or "no change"))
