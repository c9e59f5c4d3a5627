"""The durable outbox: order, acknowledgement per sink, restarts, the size cap and a full disk."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from firmware.events import Event
from firmware.uplink.outbox import Outbox, OutboxError


def ev(kind: str = "person", phase: str = "start", **kw: object) -> Event:
    return Event(type=kind, phase=phase, t=1.0, **kw)  # type: ignore[arg-type]


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    box = Outbox(tmp_path / "outbox.db", unit="u1")
    yield box
    box.close()


def test_put_stores_the_published_json_with_consecutive_seq(outbox: Outbox) -> None:
    a = outbox.put(ev("person", zone="north", bbox=(1, 2, 3, 4), confidence=0.91))
    b = outbox.put(ev("motion"))
    assert (a.seq, b.seq) == (1, 2)
    p = a.payload
    assert p["id"] == a.id and p["unit"] == "u1" and p["type"] == "person" and p["phase"] == "start"
    assert p["zone"] == "north" and p["bbox"] == [1, 2, 3, 4] and p["confidence"] == 0.91
    assert p["ts"].endswith("Z") and p["ts"][:4].isdigit()
    assert [e.id for e in outbox.pending("mqtt")] == [a.id, b.id]


def test_fire_goes_before_everything_queued_behind_it(outbox: Outbox) -> None:
    motion = outbox.put(ev("motion"))
    person = outbox.put(ev("person"))
    fire = outbox.put(ev("fire"))
    tamper = outbox.put(ev("tamper", "instant"))
    assert [e.id for e in outbox.pending("mqtt")] == [fire.id, person.id, tamper.id, motion.id]
    assert [e.id for e in outbox.pending("mqtt", limit=2)] == [fire.id, person.id]


def test_entry_leaves_only_when_every_sink_it_was_meant_for_acked(outbox: Outbox) -> None:
    alarm = outbox.put(ev("fire"), sinks=("mqtt", "dc09"))
    motion = outbox.put(ev("motion"))
    assert outbox.depth() == 2 and outbox.depth("dc09") == 1 and outbox.depth("mqtt") == 2
    outbox.ack("mqtt", [alarm.rowid, motion.rowid])
    assert outbox.depth("mqtt") == 0
    assert [e.id for e in outbox.pending("dc09")] == [alarm.id]
    assert outbox.depth() == 1
    outbox.ack("dc09", [alarm.rowid])
    assert outbox.depth() == 0 and outbox.pending("dc09") == [] and outbox.oldest_age() is None


def test_entries_and_seq_survive_a_restart(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", unit="u1")
    first = [box.put(ev("person")) for _ in range(3)]
    box.ack("mqtt", [first[0].rowid])
    box.close()
    box = Outbox(tmp_path / "o.db", unit="u1")
    assert [e.id for e in box.pending("mqtt")] == [e.id for e in first[1:]]
    assert box.put(ev("motion")).seq == 4
    box.ack("mqtt", [e.rowid for e in box.pending("mqtt")])
    box.close()
    box = Outbox(tmp_path / "o.db", unit="u1")
    assert box.depth() == 0
    assert box.put(ev("motion")).seq == 5, "seq must keep counting after the outbox emptied"
    box.close()


def test_oldest_age_counts_from_the_oldest_pending_entry(outbox: Outbox) -> None:
    a = outbox.put(ev("person"))
    outbox.put(ev("motion"), sinks=("dc09",))
    assert outbox.oldest_age("mqtt", now=a.created + 30) == pytest.approx(30)
    assert outbox.oldest_age("nobody") is None


def test_full_outbox_sheds_old_motion_first_and_never_an_alarm(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", unit="u1", max_entries=4)
    m1 = box.put(ev("motion"))
    f1 = box.put(ev("fire"))
    m2 = box.put(ev("motion"))
    v1 = box.put(ev("vehicle"))
    p1 = box.put(ev("person"))  # full: the oldest motion goes
    ids = {e.id for e in box.pending("mqtt")}
    assert m1.id not in ids and {f1.id, m2.id, v1.id, p1.id} <= ids
    t1 = box.put(ev("tamper", "instant"))  # m2 goes
    box.put(ev("fire"))  # then the vehicle
    alarms_only = box.put(ev("person"))  # nothing sheddable left: the alarm is kept past the cap
    m3 = box.put(ev("motion"))  # a motion into an outbox full of alarms is shed itself
    ids = {e.id for e in box.pending("mqtt")}
    assert {f1.id, p1.id, t1.id, alarms_only.id} <= ids
    assert m2.id not in ids and v1.id not in ids and m3.id not in ids and m3.rowid == 0
    assert box.stats()["shed"] == {"motion": 3, "vehicle": 1}
    box.close()
    box = Outbox(tmp_path / "o.db", unit="u1", max_entries=4)
    assert box.stats()["shed_total"] == 4, "shedding counts are reported across restarts"
    box.close()


def test_full_disk_is_a_counted_error_and_loses_nothing(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", unit="u1")
    stored = [box.put(ev("fire")) for _ in range(5)]
    pages = box._db.execute("PRAGMA page_count").fetchone()[0]
    box._db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is now full
    big = {"note": "x" * 20_000}
    spilled = [box.put(ev("person", detail=big)) for _ in range(3)]
    stats = box.stats()
    assert stats["write_errors"] >= 3 and stats["spilled"] == 3
    assert all(e.rowid < 0 for e in spilled)
    pending = box.pending("mqtt", limit=100)
    assert {e.id for e in pending} == {e.id for e in stored + spilled}
    assert [e.seq for e in spilled] == [6, 7, 8]
    box.ack("mqtt", [spilled[0].rowid])  # delivered from memory while the disk was full
    box._db.execute("PRAGMA max_page_count = 1073741823")  # room again
    later = box.put(ev("tamper", "instant"))
    assert later.rowid > 0 and box.stats()["spilled"] == 0
    box.close()
    box = Outbox(tmp_path / "o.db", unit="u1")
    expected = {e.id for e in stored + spilled[1:]} | {later.id}
    assert {e.id for e in box.pending("mqtt")} == expected
    box.close()


def test_a_corrupt_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(OutboxError, match="cannot open the outbox"):
        Outbox(path, unit="u1")


async def test_wait_wakes_on_a_put_from_another_thread(outbox: Outbox) -> None:
    assert outbox.pending("mqtt") == []
    assert await outbox.wait("mqtt", timeout=0.01) is False
    waiter = asyncio.create_task(outbox.wait("mqtt", timeout=30))
    await asyncio.sleep(0)
    threading.Thread(target=outbox.put, args=(ev("fire"),)).start()
    assert await waiter is True


async def test_wait_returns_at_once_for_a_put_since_the_last_pending(outbox: Outbox) -> None:
    outbox.pending("dc09")
    outbox.put(ev("fire"), sinks=("dc09",))
    assert await outbox.wait("dc09", timeout=30) is True
    assert await outbox.wait("mqtt", timeout=0.01) is False, "a put for another sink is not news for mqtt"


def test_an_unwritable_database_keeps_acks_in_memory_and_serves_on(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", unit="u1")
    a, b = box.put(ev("fire")), box.put(ev("person"))
    box._db.execute("PRAGMA query_only = ON")  # every write now fails, as on a full disk
    box.ack("mqtt", [a.rowid])
    c = box.put(ev("tamper", "instant"))
    assert box.stats()["write_errors"] == 2 and c.rowid < 0
    assert [e.id for e in box.pending("mqtt")] == [b.id, c.id], "the acked fire is not offered again"
    assert box.depth("mqtt") == 2
    box._db.execute("PRAGMA query_only = OFF")
    box.ack("mqtt", [b.rowid])  # retries the held ack too
    assert [e.id for e in box.pending("mqtt")] == [c.id]
    box.close()
    box = Outbox(tmp_path / "o.db", unit="u1")
    assert [e.id for e in box.pending("mqtt")] == [c.id]
    box.close()


@pytest.mark.parametrize("turns", range(6))
async def test_a_waiter_cancelled_as_news_arrives_is_cancelled(outbox: Outbox, turns: int) -> None:
    """A stop that lands in the same loop turn as a put must still stop the consumer (a swallowed
    cancellation would leave a stopping daemon's transmitter running until systemd kills it)."""
    outbox.pending("dc09")
    waiter = asyncio.create_task(outbox.wait("dc09", timeout=30))
    await asyncio.sleep(0)
    outbox.put(ev("fire"), sinks=("dc09",))
    for _ in range(turns):
        await asyncio.sleep(0)
    if not waiter.cancel():
        assert waiter.result() is True, "it had returned with the news before the stop"
        return
    with pytest.raises(asyncio.CancelledError):
        await waiter
