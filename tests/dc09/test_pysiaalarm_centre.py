"""The unit talks to pysiaalarm's receiver, with and without AES, in both formats, for every event type."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from firmware.events import Event
from firmware.uplink.dc09.routing import dc09_wants
from firmware.uplink.dc09.transmitter import Dc09Transmitter, LinkSettings
from firmware.uplink.outbox import Outbox
from tests.dc09.support import ACCOUNT, TEXT_KEYS, drain

ZONES = {"entrance": 3, "lot-north": 12}

# (event, SIA code, Contact ID qualifier+event, zone number) as a centre operator reads them
EXPECTED: list[tuple[Event, str, str, int]] = [
    (Event("fire", "start", 1.0, zone="entrance", incident="f"), "FA", "1110", 3),
    (Event("fire", "end", 2.0, zone="entrance", incident="f"), "FH", "3110", 3),
    (Event("person", "start", 3.0, zone="lot-north", incident="p", detail={"armed": True}), "BA", "1130", 12),
    (Event("person", "end", 4.0, zone="lot-north", incident="p", detail={"armed": True}), "BH", "3130", 12),
    (Event("tamper", "start", 5.0, incident="t"), "TA", "1137", 0),
    (Event("tamper", "end", 6.0, incident="t"), "TR", "3137", 0),
    # the daemon names the failing part in detail.component
    (
        Event("trouble", "start", 7.0, incident="s", detail={"component": "sensor", "reason": "no frames"}),
        "UT",
        "1380",
        0,
    ),
    (Event("trouble", "end", 8.0, incident="s", detail={"component": "sensor"}), "UJ", "3380", 0),
    (Event("trouble", "start", 9.0, incident="l", detail={"kind": "link"}), "YC", "1350", 0),
    (Event("trouble", "end", 10.0, incident="l", detail={"kind": "link"}), "YK", "3350", 0),
    (Event("trouble", "instant", 11.0, detail={"component": "task:pipeline", "reason": "crashed"}), "YX", "1300", 0),
    (Event("selftest", "instant", 12.0), "RP", "1602", 0),
]
NOT_FOR_THE_CENTRE = [
    Event("person", "start", 13.0, zone="lot-north", detail={"armed": False}),
    Event("vehicle", "start", 14.0, zone="lot-north"),
    Event("motion", "instant", 15.0),
]


def settings_for(centre_address: tuple[str, int], token: str, text_key: str | None, **kw: object) -> LinkSettings:
    base: dict[str, object] = {
        "receivers": (centre_address,),
        "account": ACCOUNT,
        "token": token,
        "key": text_key.encode("ascii") if text_key else None,
        "zones": ZONES,
        "ack_timeout_s": 2.0,
        "backoff_s": 0.05,
        "backoff_max_s": 0.2,
    }
    base.update(kw)
    return LinkSettings(**base)  # type: ignore[arg-type]


def put_all(outbox: Outbox, events: list[Event]) -> None:
    for event in events:
        outbox.put(event, sinks=("mqtt", "dc09") if dc09_wants(event) else ("mqtt",))


@pytest.mark.parametrize("token", ["SIA-DCS", "ADM-CID"])
@pytest.mark.parametrize("key_name", list(TEXT_KEYS))
async def test_centre_accepts_every_event_type(start_centre, outbox: Outbox, token: str, key_name: str) -> None:
    centre = await start_centre(TEXT_KEYS[key_name])
    put_all(outbox, [e for e, *_ in EXPECTED] + NOT_FOR_THE_CENTRE)
    assert outbox.depth("dc09") == len(EXPECTED)

    tx = Dc09Transmitter(outbox, settings_for(centre.address, token, TEXT_KEYS[key_name]))
    await drain(tx, outbox)
    await centre.wait_for_events(len(EXPECTED))

    assert centre.client.counts.valid_events == len(EXPECTED)
    assert centre.errors() == dict.fromkeys(centre.errors(), 0)
    assert all(ev.account == ACCOUNT and ev.encrypted == (key_name != "none") for ev in centre.events)
    # the outbox sends fire first, then by priority; compare as sets of what the operator sees
    if token == "SIA-DCS":
        seen = sorted((ev.code, int(ev.message)) for ev in centre.events)
        assert seen == sorted((sia, zone) for _, sia, _, zone in EXPECTED)
    else:
        seen = sorted((ev.event_qualifier + ev.event_type, int(ev.ri)) for ev in centre.events)
        assert seen == sorted((cid, zone) for _, _, cid, zone in EXPECTED)
    assert tx.counts["delivered"] == len(EXPECTED)
    assert outbox.depth("mqtt") == len(EXPECTED) + len(NOT_FOR_THE_CENTRE)  # MQTT still owes its copies


async def test_sequence_numbers_are_distinct_and_follow_each_other(start_centre, outbox: Outbox) -> None:
    centre = await start_centre(None)
    put_all(outbox, [e for e, *_ in EXPECTED[:4]])
    await drain(Dc09Transmitter(outbox, settings_for(centre.address, "SIA-DCS", None)), outbox)
    await centre.wait_for_events(4)
    assert [ev.sequence for ev in centre.events] == ["0001", "0002", "0003", "0004"]


async def test_skewed_unit_clock_is_corrected_from_the_centres_nak(start_centre, outbox: Outbox) -> None:
    centre = await start_centre(TEXT_KEYS["aes128"])
    put_all(outbox, [EXPECTED[0][0]])
    tx = Dc09Transmitter(
        outbox, settings_for(centre.address, "SIA-DCS", TEXT_KEYS["aes128"]), wall_clock=lambda: time.time() - 3600
    )
    await drain(tx, outbox)
    await centre.wait_for_events(1)

    assert centre.client.counts.error_timestamp == 1  # the first try, an hour late, was refused
    assert centre.client.counts.valid_events == 1
    assert tx.counts["nak"] == 1
    assert 3590 < tx.clock_offset_s < 3610
    assert centre.events[0].code == "FA"


async def test_supervision_poll_is_accepted_when_idle(start_centre, outbox: Outbox) -> None:
    centre = await start_centre(TEXT_KEYS["aes256"])
    tx = Dc09Transmitter(
        outbox, settings_for(centre.address, "SIA-DCS", TEXT_KEYS["aes256"], supervision_interval_s=0.1)
    )
    task = asyncio.create_task(tx.run())
    try:
        await centre.wait_for_events(2)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert {ev.message_type.value for ev in centre.events} == {"NULL"}
    assert centre.errors() == dict.fromkeys(centre.errors(), 0)
    assert tx.counts["poll"] >= 2 and tx.health()["trouble"] is False
