from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from firmware.config.base import Section


class MqttSection(Section):
    """Keys ``host port username password ca cert key`` are fixed for tooling."""

    enabled: bool = True
    host: str = "localhost"
    port: int = Field(default=8883, ge=1, le=65535)
    username: str | None = None
    password: str | None = None
    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    prefix: str = "parkvakt"
    discovery: bool = True
    discovery_prefix: str = "homeassistant"
    keepalive_s: int = Field(default=60, ge=5, le=3600)
    telemetry_interval_s: float = Field(default=60.0, ge=1.0, le=3600.0)

    @model_validator(mode="after")
    def _cert_and_key_together(self) -> MqttSection:
        if (self.cert is None) != (self.key is None):
            raise ValueError("cert and key must be given together")
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password must be given together")
        return self
