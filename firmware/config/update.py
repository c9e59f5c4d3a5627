"""``[update]``: where the unit finds signed releases and how the agent installs and judges them."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from firmware.config.base import Section

DEFAULT_INSTALL_ROOT = Path("/opt/parkvakt")
DEFAULT_AGENT_DIR = Path("/var/lib/parkvakt-update")


class UpdateSection(Section):
    enabled: bool = True
    # the TUF repository: ``<repository_url>/metadata/`` and ``<repository_url>/targets/``;
    # a ``file://`` URL points at an exported USB stick
    repository_url: str = ""
    # the agent's own state (job, downloads, trusted metadata): root-only, out of the daemon's reach.
    # A relative path is under [unit] state_dir (benches and tests)
    agent_dir: Path = DEFAULT_AGENT_DIR
    # trusted TUF metadata, relative to agent_dir; provisioning writes the first root.json there
    metadata_dir: Path = Path("tuf")
    install_root: Path = DEFAULT_INSTALL_ROOT
    restart_command: list[str] = Field(default_factory=lambda: ["systemctl", "restart", "parkvakt"])
    # the daemon's journal, quoted in a rollback report
    log_command: list[str] = Field(default_factory=lambda: ["journalctl", "-u", "parkvakt", "-n", "40", "--no-pager"])
    health_deadline_s: float = Field(default=180.0, ge=1.0, le=3600.0)
    # a release that fails this many times is not tried again (loop guard)
    max_attempts: int = Field(default=2, ge=1, le=10)
    max_target_bytes: int = Field(default=512 * 1024 * 1024, ge=1024)
    keep_releases: int = Field(default=2, ge=2, le=5)

    @field_validator("repository_url")
    @classmethod
    def _http_or_file(cls, v: str) -> str:
        if v and not v.startswith(("https://", "http://", "file://")):
            raise ValueError("must start with https://, http:// or file://")
        return v.rstrip("/")

    @field_validator("restart_command")
    @classmethod
    def _non_empty(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("must name a program")
        return v
