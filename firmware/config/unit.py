from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, field_validator

from firmware.config.base import Section

DEFAULT_STATE_DIR = Path("/var/lib/parkvakt")


class UnitSection(Section):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    name: str = ""
    site: str = ""
    timezone: str = "Europe/Stockholm"
    state_dir: Path = DEFAULT_STATE_DIR

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    def resolved_state_dir(self) -> Path:
        """``PARKVAKT_STATE_DIR`` wins over the config, so a bench or test can redirect state."""
        env = os.environ.get("PARKVAKT_STATE_DIR")
        return Path(env) if env else self.state_dir
