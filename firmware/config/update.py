from __future__ import annotations

from firmware.config.base import Section


class UpdateSection(Section):
    pass
