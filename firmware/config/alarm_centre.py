"""``[alarm_centre]``: the SIA DC-09 link to the security company's alarm receiving centre.

Every value here is agreed with the centre (docs/alarm-centre.md): receiver addresses,
account, receiver and line numbers, protocol token, the AES key and the zone numbers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from firmware.config.base import Section

_HEX = re.compile(r"[0-9A-Fa-f]+")
_ENDPOINT = re.compile(r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9_.-]+)):(?P<port>\d{1,5})")
KEY_HEX_LENGTHS = (32, 48, 64)


def parse_endpoint(text: str) -> tuple[str, int]:
    """``host:port`` or ``[ipv6]:port`` → ``(host, port)``."""
    m = _ENDPOINT.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"{text!r} is not host:port")
    port = int(m["port"])
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is outside 1-65535")
    return m["v6"] or m["host"], port


def parse_key(text: str) -> bytes:
    """An AES-128/192/256 key written as 32, 48 or 64 hex digits."""
    text = text.strip()
    if len(text) not in KEY_HEX_LENGTHS or not _HEX.fullmatch(text):
        raise ValueError(f"key must be 32, 48 or 64 hex digits (AES-128/192/256), got {len(text)} characters")
    return bytes.fromhex(text)


def read_key_file(path: Path) -> bytes:
    try:
        text = path.read_text("ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read key file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return parse_key(text)
    except ValueError as exc:
        raise ValueError(f"key file {path}: {exc}") from None


class AlarmCentreSection(Section):
    enabled: bool = False
    # receivers as host:port; the backup is used after `retries` failures on the primary
    primary: str = ""
    backup: str = ""
    account: str = ""
    receiver: str = Field(default="0", description="receiver number, 1-6 hex digits (R field)")
    line: str = Field(default="0", description="line/prefix number, 1-6 hex digits (L field)")
    token: Literal["SIA-DCS", "ADM-CID"] = "SIA-DCS"
    # AES key as hex, or a file holding it (readable by the daemon only); none: unencrypted
    key: str = ""
    key_file: Path | None = None
    partition: int = Field(default=1, ge=0, le=99)
    zones: dict[str, int] = Field(default_factory=dict)
    supervision_interval_s: float = Field(default=90.0, ge=10.0, le=86400.0)
    ack_timeout_s: float = Field(default=10.0, ge=1.0, le=120.0)
    retries: int = Field(default=3, ge=1, le=20)
    backoff_s: float = Field(default=2.0, ge=0.1, le=60.0)
    backoff_max_s: float = Field(default=60.0, ge=1.0, le=3600.0)
    primary_retry_s: float = Field(default=300.0, ge=10.0, le=86400.0)

    @field_validator("primary", "backup")
    @classmethod
    def _endpoint(cls, v: str) -> str:
        if v:
            parse_endpoint(v)
        return v.strip()

    @field_validator("account")
    @classmethod
    def _account(cls, v: str) -> str:
        if v and not (3 <= len(v) <= 16 and _HEX.fullmatch(v)):
            raise ValueError("account must be 3 to 16 hex digits")
        return v.upper()

    @field_validator("receiver", "line")
    @classmethod
    def _number(cls, v: str) -> str:
        if not (1 <= len(v) <= 6 and _HEX.fullmatch(v)):
            raise ValueError("must be 1 to 6 hex digits")
        return v.upper()

    @field_validator("key")
    @classmethod
    def _key(cls, v: str) -> str:
        if v:
            parse_key(v)
        return v.strip()

    @field_validator("zones")
    @classmethod
    def _zone_numbers(cls, v: dict[str, int]) -> dict[str, int]:
        bad = [name for name, n in v.items() if not 1 <= n <= 999]
        if bad:
            raise ValueError(f"zone numbers are 1-999 (0 is the unit itself): {', '.join(sorted(bad))}")
        return v

    @model_validator(mode="after")
    def _usable(self) -> AlarmCentreSection:
        if self.key and self.key_file is not None:
            raise ValueError("give key or key_file, not both")
        if self.backoff_max_s < self.backoff_s:
            raise ValueError("backoff_max_s must not be less than backoff_s")
        if self.enabled:
            if not self.primary:
                raise ValueError("enabled needs primary = 'host:port'")
            if not self.account:
                raise ValueError("enabled needs the account number the centre gave")
            if self.key_file is not None:
                read_key_file(self.key_file)
        return self

    def key_bytes(self) -> bytes | None:
        """The AES key, read from ``key_file`` at each call so a rotated key needs only a restart."""
        if self.key:
            return parse_key(self.key)
        if self.key_file is not None:
            return read_key_file(self.key_file)
        return None

    def endpoints(self) -> list[tuple[str, int]]:
        return [parse_endpoint(e) for e in (self.primary, self.backup) if e]
