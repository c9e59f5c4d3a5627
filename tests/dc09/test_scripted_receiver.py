"""NAK, DUH, silence, sequence wrap and failover, against a receiver that answers per script."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from firmware.events import Event
from firmware.uplink.dc09.routing import dc09_wants
from firmware.uplink.dc09.sequence import SequenceCounter
from firmware.uplink.dc09.transmitter import Dc09Transmitter, LinkSettings
from firmware.uplink.outbox import Outbox
from tests.dc09.scripted import ScriptedReceiver
from tests.dc09.support import ACCOUNT, TEXT_KEYS, drain

FIRE = Event("fire", "start", 1.0, zone="entrance", incident="f1")


@pytest.fixture
async def receivers() -> AsyncIterator[Callable[..., ScriptedReceiver]]:
    made: list[ScriptedReceiver] = []

    def make(
        script: list[str] | None = None, default: str = "ack", port: int = 0, key: str | None = None
    ) -> ScriptedReceiver:
        r = ScriptedReceiver(ACCOUNT, script, default, port, key)
        made.append(r)
        return r

    yield make
    for r in made:
        await r.stop()


def settings(*addresses: tuple[str, int], **kw: object) -> LinkSettings:
    base: dict[str, object] = {
        "receivers": addresses,
        "account": ACCOUNT,
        "ack_timeout_s": 0.5,
        "backoff_s": 0.1,
        "backoff_max_s": 0.4,
        "retries": 5,
    }
    base.update(kw)
    return LinkSettings(**base)  # type: ignore[arg-type]


async def test_nak_from_a_receiver_with_the_right_time_corrects_the_unit_clock(receivers, outbox: Outbox) -> None:
    rx = await receivers(default="clock").start()
    outbox.put(FIRE, sinks=("dc09",))
    tx = Dc09Transmitter(outbox, settings(rx.address), wall_clock=lambda: time.time() - 7200)

    await drain(tx, outbox)

    first, second = rx.received
    assert (first.answered, second.answered) == ("nak", "ack")
    assert first.seq == second.seq == "0001"  # the resend keeps its sequence number
    assert first.code == second.code == "FA"
    assert abs((second.timestamp - first.timestamp).total_seconds() - 7200) < 5
    assert tx.counts["nak"] == 1 and 7190 < tx.clock_offset_s < 7210
    # later messages go out with the corrected time straight away
    outbox.put(Event("fire", "end", 2.0, zone="entrance", incident="f1"), sinks=("dc09",))
    await drain(tx, outbox)
    assert [r.answered for r in rx.received] == ["nak", "ack", "ack"]


async def test_nak_when_clocks_agree_is_a_refusal_not_a_clock_problem(receivers, outbox: Outbox) -> None:
    rx = await receivers(["nak"]).start()
    outbox.put(FIRE, sinks=("dc09",))
    tx = Dc09Transmitter(outbox, settings(rx.address))

    await drain(tx, outbox)

    assert [(r.seq, r.answered) for r in rx.received] == [("0001", "nak"), ("0001", "ack")]
    assert tx.clock_offset_s == 0.0 and tx.counts["nak"] == 1
    assert "clocks agree" in tx.last_error


async def test_duh_is_retried_with_growing_backoff_and_the_same_sequence(receivers, outbox: Outbox) -> None:
    rx = await receivers(["duh", "duh", "duh"]).start()
    outbox.put(FIRE, sinks=("dc09",))
    tx = Dc09Transmitter(outbox, settings(rx.address))

    await drain(tx, outbox)

    assert [r.answered for r in rx.received] == ["duh", "duh", "duh", "ack"]
    assert {r.seq for r in rx.received} == {"0001"}
    gaps = [b.at - a.at for a, b in zip(rx.received, rx.received[1:], strict=False)]
    # backoff 0.1 s doubling, with at most 20 % jitter taken off: at least 0.08, 0.16, 0.32 s
    assert gaps[0] >= 0.08 and gaps[1] >= 0.16 and gaps[2] >= 0.32
    assert tx.counts["duh"] == 3 and tx.counts["delivered"] == 1
    assert outbox.depth("dc09") == 0


async def test_no_answer_times_out_reconnects_and_resends(receivers, outbox: Outbox) -> None:
    rx = await receivers(["silent", "close"]).start()
    outbox.put(FIRE, sinks=("dc09",))
    tx = Dc09Transmitter(outbox, settings(rx.address, ack_timeout_s=0.3))

    await drain(tx, outbox)

    assert [r.answered for r in rx.received] == ["silent", "close", "ack"]
    assert {r.seq for r in rx.received} == {"0001"}
    assert rx.connections == 3  # a fresh connection after each failure
    assert tx.counts["timeout"] == 1 and tx.counts["error"] == 1
    first, second, third = (r.at for r in rx.received)
    assert second - first >= 0.3 + 0.08  # waited out the ACK timeout, then backed off
    assert third - second >= 0.16  # the backoff doubled after the second failure


async def test_receiver_closing_after_each_ack_costs_no_retry(receivers, outbox: Outbox) -> None:
    rx = await receivers(default="ack-close").start()
    for i in range(3):
        outbox.put(Event("tamper", "start", float(i), incident=f"t{i}"), sinks=("dc09",))
    tx = Dc09Transmitter(outbox, settings(rx.address))

    await drain(tx, outbox)

    assert [r.seq for r in rx.received] == ["0001", "0002", "0003"]
    assert rx.connections == 3
    assert tx.counts["error"] == tx.counts["timeout"] == 0


async def test_entry_stays_in_the_outbox_until_the_ack(receivers, outbox: Outbox) -> None:
    rx = await receivers(default="silent").start()
    outbox.put(FIRE, sinks=("dc09",))
    tx = Dc09Transmitter(outbox, settings(rx.address, ack_timeout_s=0.2))
    task = asyncio.create_task(tx.run())
    try:
        async with asyncio.timeout(10):
            while len(rx.received) < 3:
                await asyncio.sleep(0.01)
        assert outbox.depth("dc09") == 1
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_sequence_wraps_from_9999_to_0001_and_survives_a_restart(
    receivers, outbox: Outbox, tmp_path: Path
) -> None:
    rx = await receivers().start()
    seq_file = tmp_path / "dc09-sequence.json"
    seq_file.write_text(json.dumps({"next": 9998, "inflight": None}))
    for i in range(3):
        outbox.put(Event("tamper", "start", float(i), incident=f"t{i}"), sinks=("dc09",))

    await drain(Dc09Transmitter(outbox, settings(rx.address), sequence=SequenceCounter(seq_file)), outbox)

    assert [r.seq for r in rx.received] == ["9998", "9999", "0001"]
    assert SequenceCounter(seq_file).next_number == 2


async def test_failover_to_the_backup_and_back_with_trouble_reported(receivers, outbox: Outbox) -> None:
    primary = await receivers().start()
    primary_address = primary.address
    await primary.stop()  # the primary path is down: connections are refused
    backup = await receivers().start()
    troubles: list[Event] = []

    def on_trouble(event: Event) -> None:
        troubles.append(event)
        outbox.put(event, sinks=("mqtt", "dc09") if dc09_wants(event) else ("mqtt",))

    tx = Dc09Transmitter(
        outbox, settings(primary_address, backup.address, retries=2, primary_retry_s=0.3), on_trouble=on_trouble
    )
    outbox.put(FIRE, sinks=("dc09",))
    task = asyncio.create_task(tx.run())
    try:
        async with asyncio.timeout(15):
            while outbox.depth("dc09") or len(backup.received) < 2:
                await asyncio.sleep(0.01)
            # the fire and the unit's own "communication trouble" reached the centre over the backup
            assert [r.code for r in backup.received[:2]] == ["FA", "YC"]
            assert tx.health()["path"] == "backup" and tx.counts["failover"] == 1
            assert [(t.type, t.phase, t.detail["kind"]) for t in troubles] == [("trouble", "start", "link")]

            revived = await receivers(port=primary_address[1]).start()  # the primary comes back
            while tx.health()["path"] != "primary" or outbox.depth("dc09"):
                await asyncio.sleep(0.01)
            outbox.put(Event("fire", "end", 2.0, zone="entrance", incident="f1"), sinks=("dc09",))
            while outbox.depth("dc09"):
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    assert [(t.phase, t.incident) for t in troubles] == [("start", troubles[0].incident), ("end", troubles[0].incident)]
    codes_at_primary = [r.code for r in revived.received if r.message_type != "NULL"]
    assert codes_at_primary == ["YK", "FH"]  # trouble restore, then the next event, on the primary
    assert tx.health()["trouble"] is False
    assert outbox.depth("mqtt") == 2  # both trouble events also wait for the operator's MQTT link


async def test_forged_plain_ack_to_an_encrypted_message_is_not_trusted(receivers, outbox: Outbox) -> None:
    key = TEXT_KEYS["aes128"]
    rx = await receivers(["plain-ack", "garbage", "stale-ack"], key=key).start()
    outbox.put(FIRE, sinks=("dc09",))
    tx = Dc09Transmitter(outbox, settings(rx.address, key=key.encode("ascii")))
    task = asyncio.create_task(tx.run())
    try:
        async with asyncio.timeout(10):
            while len(rx.received) < 2:
                await asyncio.sleep(0.01)
            assert outbox.depth("dc09") == 1  # neither the forged ACK nor garbage released the alarm
            while outbox.depth("dc09"):
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    # the third try got an ACK for another sequence first (skipped), then its own
    assert [r.answered for r in rx.received] == ["plain-ack", "garbage", "stale-ack"]
    assert tx.counts["error"] == 2 and tx.counts["delivered"] == 1


async def test_single_receiver_down_raises_trouble_and_restores_it(receivers, outbox: Outbox) -> None:
    rx = await receivers(["close", "close", "close"]).start()
    troubles: list[Event] = []
    outbox.put(FIRE, sinks=("dc09",))
    tx = Dc09Transmitter(outbox, settings(rx.address, retries=3, backoff_s=0.05), on_trouble=troubles.append)

    await drain(tx, outbox)

    assert [r.answered for r in rx.received] == ["close", "close", "close", "ack"]
    assert [t.phase for t in troubles] == ["start", "end"]
    assert troubles[0].detail["receiver"] == f"127.0.0.1:{rx.port}"
    assert tx.counts["failover"] == 0 and tx.health()["path"] == "primary"


async def test_an_entry_the_centre_has_no_code_for_is_dropped_from_its_queue_and_counted(
    receivers, outbox: Outbox
) -> None:
    rx = await receivers().start()
    outbox.put(Event("vehicle", "start", 1.0), sinks=("mqtt", "dc09"))  # routed here by mistake
    outbox.put(FIRE, sinks=("dc09",))
    tx = Dc09Transmitter(outbox, settings(rx.address))

    await drain(tx, outbox)

    assert [r.code for r in rx.received] == ["FA"]
    assert tx.counts["unreportable"] == 1
    assert outbox.depth("mqtt") == 1


def test_unreadable_sequence_file_starts_again_at_0001(tmp_path: Path) -> None:
    seq_file = tmp_path / "dc09-sequence.json"
    seq_file.write_text("{not json")
    counter = SequenceCounter(seq_file)
    assert counter.for_message("a") == 1
    assert counter.for_message("a") == 1  # a retry keeps its number
    assert counter.for_message("b") == 2
    assert json.loads(seq_file.read_text()) == {"next": 3, "inflight": ["b", 2]}
