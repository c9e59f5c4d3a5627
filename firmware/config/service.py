"""``[service]``: how the daemon supervises itself (watchdog, restarts, status, logging)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from firmware.config.base import Section


class ServiceSection(Section):
    """Timings of the daemon's self-supervision.

    The systemd watchdog period itself is ``WatchdogSec=`` in the unit file (the daemon reads it
    from ``WATCHDOG_USEC``); these keys decide *when* the daemon still deserves to pet it.
    """

    # a frame handed to the pipeline that has not come out after this long means the pipeline hung
    pipeline_stall_s: float = Field(default=5.0, ge=0.5, le=120.0)
    # no frame from the sensor for this long (at least 3 frame periods): a `trouble` event goes
    # upstream, other duties continue; a driver that reports its port lost is trouble after 0.5 s
    sensor_dead_s: float = Field(default=2.0, ge=0.5, le=600.0)
    # the event loop is unresponsive when a 1-s heartbeat arrives later than this
    loop_lag_s: float = Field(default=2.0, ge=0.1, le=60.0)
    restart_backoff_min_s: float = Field(default=1.0, ge=0.05, le=60.0)
    restart_backoff_max_s: float = Field(default=60.0, ge=1.0, le=3600.0)
    status_interval_s: float = Field(default=5.0, ge=0.5, le=600.0)
    shutdown_timeout_s: float = Field(default=4.0, ge=0.5, le=30.0)
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @model_validator(mode="after")
    def _backoff_order(self) -> ServiceSection:
        if self.restart_backoff_min_s > self.restart_backoff_max_s:
            raise ValueError("restart_backoff_min_s must not exceed restart_backoff_max_s")
        return self
