"""``[mqtt]``: the operator uplink (``firmware/uplink``).

No default credentials: the broker is reached over TLS by default (system CA store unless ``ca``
is given), with the unit's client certificate (``cert``/``key``, mTLS) and/or ``username``/
``password`` from provisioning. Plain MQTT is allowed only to a loopback broker (a local bridge),
or anywhere when the site writes ``insecure = true`` on purpose.

Remote commands need ``command_key``: a file holding the unit's HMAC-SHA256 key (at least 16
bytes); without it every command is rejected.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, model_validator

from firmware.config.base import Section

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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
    # TLS to the broker; turning it off is allowed for a loopback host, elsewhere only with `insecure`
    tls: bool = True
    insecure: bool = False
    client_id: str | None = None  # default "parkvakt-<unit id>"
    prefix: str = Field(default="parkvakt", min_length=1, pattern=r"^[^#+\s]+$")
    discovery: bool = True
    # obey Home Assistant's unsigned armed switch and buttons on <root>/ha/<name>; enable only
    # after restricting that topic to Home Assistant in the broker's ACL
    ha_control: bool = False
    discovery_prefix: str = Field(default="homeassistant", min_length=1, pattern=r"^[^#+\s]+$")
    keepalive_s: int = Field(default=60, ge=5, le=3600)
    # how long to wait for the broker's CONNACK (and subscribe/status acknowledgements)
    connect_timeout_s: float = Field(default=10.0, gt=0.0, le=120.0)
    telemetry_interval_s: float = Field(default=60.0, ge=1.0, le=3600.0)
    # QoS 1 events awaiting PUBACK at once: bounds memory, keeps a backlog drain fast
    inflight: int = Field(default=400, ge=1, le=1000)
    # reconnect after a failure: a random delay in [0, min(cap, initial·2^attempt)] (full jitter).
    # The 5 s cap keeps "broker back → 10,000-event backlog delivered" under 10 s (docs/performance.md)
    # while spreading a fleet's reconnects evenly over those 5 s (500 units ≈ 100 connects/s)
    backoff_initial_s: float = Field(default=1.0, gt=0.0, le=60.0)
    backoff_max_s: float = Field(default=5.0, gt=0.0, le=3600.0)
    command_key: Path | None = None
    command_window_s: float = Field(default=60.0, ge=5.0, le=3600.0)

    @model_validator(mode="after")
    def _cert_and_key_together(self) -> MqttSection:
        if (self.cert is None) != (self.key is None):
            raise ValueError("cert and key must be given together")
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password must be given together")
        if not self.tls and (self.ca is not None or self.cert is not None):
            raise ValueError("ca/cert/key are given but tls = false; remove them or enable tls")
        if self.enabled and not self.tls and not self.insecure and not is_loopback(self.host):
            raise ValueError(
                f"refusing plain MQTT to {self.host!r}: set tls = true (recommended) "
                "or insecure = true to send events and credentials unencrypted on purpose"
            )
        if self.backoff_max_s < self.backoff_initial_s:
            raise ValueError("backoff_max_s must be at least backoff_initial_s")
        return self
