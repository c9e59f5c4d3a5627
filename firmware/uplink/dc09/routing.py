"""Which events the alarm centre gets: fire, intrusion (a person in an armed zone), tamper,
trouble and the periodic test, each start and end. Use it to choose the outbox sinks::

    outbox.put(event, sinks=("mqtt", "dc09") if dc09_wants(event, armed=policy.is_armed(now)) else ("mqtt",))

A person is an intrusion only while the unit and the zone are armed. The event says so in
``detail["armed"]``; a caller that knows it better (the daemon asks the policy) passes
``armed=``. Without either, a person counts as armed: better one call too many to the centre
than a missed intruder.
"""

from __future__ import annotations

from firmware.events import Event
from firmware.uplink.dc09.codes import code_for


def dc09_wants(event: Event, *, armed: bool | None = None) -> bool:
    payload = {"type": event.type, "phase": event.phase, "zone": event.zone, "detail": event.detail}
    return code_for(payload, armed=armed) is not None
