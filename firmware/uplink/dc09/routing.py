"""Which events the alarm centre gets: fire, intrusion (a person in an armed zone), tamper,
trouble and the periodic test, each start and end. Use it to choose the outbox sinks::

    outbox.put(event, sinks=("mqtt", "dc09") if dc09_wants(event) else ("mqtt",))
"""

from __future__ import annotations

from firmware.events import Event
from firmware.uplink.dc09.codes import code_for


def dc09_wants(event: Event) -> bool:
    return code_for({"type": event.type, "phase": event.phase, "zone": event.zone, "detail": event.detail}) is not None
