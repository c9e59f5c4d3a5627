"""What the alarm centre sees for each event: Contact ID (ADM-CID) and SIA-DCS codes.

| event | Contact ID | SIA new / restore |
|---|---|---|
| fire | 110 Fire | FA / FH |
| person in an armed zone | 130 Burglary | BA / BH |
| tamper | 137 Tamper | TA / TR |
| trouble of a communication path (link, mqtt, dc09) | 350 Communication trouble | YC / YK |
| trouble of the sensor (sensor, camera) | 380 Sensor trouble | UT / UJ |
| trouble, anything else | 300 System trouble | YX / YZ |
| self-test | 602 Periodic test report | RP |

A ``start`` or ``instant`` event is a new event (Contact ID qualifier 1, the SIA alarm code); an
``end`` is its restore (qualifier 3, the SIA restore code). Vehicles, motion and persons in a zone
that is not armed are not reported to the centre (``code_for`` gives None).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NEW_EVENT = 1
RESTORE = 3


@dataclass(frozen=True)
class AlarmCode:
    cid: int
    sia: str
    sia_restore: str


FIRE = AlarmCode(110, "FA", "FH")
BURGLARY = AlarmCode(130, "BA", "BH")
TAMPER = AlarmCode(137, "TA", "TR")
SYSTEM_TROUBLE = AlarmCode(300, "YX", "YZ")
COMMUNICATION_TROUBLE = AlarmCode(350, "YC", "YK")
SENSOR_TROUBLE = AlarmCode(380, "UT", "UJ")
PERIODIC_TEST = AlarmCode(602, "RP", "RP")

TROUBLE_KINDS: dict[str, AlarmCode] = {
    "link": COMMUNICATION_TROUBLE,
    "network": COMMUNICATION_TROUBLE,
    "uplink": COMMUNICATION_TROUBLE,
    "mqtt": COMMUNICATION_TROUBLE,
    "dc09": COMMUNICATION_TROUBLE,
    "sensor": SENSOR_TROUBLE,
    "camera": SENSOR_TROUBLE,
}
"""Trouble events name what failed in ``detail.kind`` or, as the daemon writes them, ``detail.component``."""


def _detail(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    detail = payload.get("detail")
    return detail if isinstance(detail, Mapping) else {}


def is_armed(payload: Mapping[str, Any]) -> bool:
    """Whether the zone was armed when the event happened; the policy marks unarmed ones False."""
    if "armed" in payload:
        return bool(payload["armed"])
    return bool(_detail(payload).get("armed", True))


def code_for(payload: Mapping[str, Any], *, armed: bool | None = None) -> AlarmCode | None:
    """The code for an outbox payload (``type``, ``phase``, ``zone``, ``detail``); None: not for the centre.

    ``armed`` overrides what the payload says about a person's zone being armed.
    """
    kind = payload.get("type")
    if kind == "fire":
        return FIRE
    if kind == "person":
        return BURGLARY if (is_armed(payload) if armed is None else armed) else None
    if kind == "tamper":
        return TAMPER
    if kind == "trouble":
        detail = _detail(payload)
        return TROUBLE_KINDS.get(str(detail.get("kind") or detail.get("component") or ""), SYSTEM_TROUBLE)
    if kind == "selftest":
        return PERIODIC_TEST
    return None


def is_restore(payload: Mapping[str, Any]) -> bool:
    return payload.get("phase") == "end"


def data_field(
    payload: Mapping[str, Any],
    *,
    token: str,
    account: str,
    partition: int,
    zones: Mapping[str, int],
    armed: bool | None = None,
) -> str | None:
    """The text inside ``[...]`` for this event, or None when the centre does not get it.

    ``zones`` maps zone names to the numbers agreed with the centre; an event without a zone or
    with a zone not in the table is reported on zone 0 (the unit itself).
    """
    code = code_for(payload, armed=armed)
    if code is None:
        return None
    zone_name = payload.get("zone")
    zone = zones.get(zone_name, 0) if isinstance(zone_name, str) else 0
    restore = is_restore(payload)
    if token == "ADM-CID":
        qualifier = RESTORE if restore else NEW_EVENT
        return f"#{account}|{qualifier}{code.cid:03d} {partition:02d} {zone:03d}"
    if token == "SIA-DCS":
        sia = code.sia_restore if restore else code.sia
        return f"#{account}|Nri{partition}/{sia}{zone:03d}"
    raise ValueError(f"unknown DC-09 token {token!r}")
