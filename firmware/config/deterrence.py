from __future__ import annotations

from firmware.config.base import Section


class DeterrenceSection(Section):
    pass
