from __future__ import annotations

from firmware.config.base import Section


class ServiceSection(Section):
    pass
