"""kill -9 while the centre has not yet ACKed: after a restart the same alarm goes out again."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from firmware.events import Event
from firmware.uplink.outbox import Outbox
from tests.conftest import REPO
from tests.dc09.scripted import ScriptedReceiver
from tests.dc09.support import ACCOUNT


async def _start_transmitter(db: Path, state: Path, port: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.dc09.transmitter_process", str(db), str(state), str(port), cwd=REPO
    )


async def test_kill_9_with_a_message_in_flight_then_delivered_after_restart(tmp_path: Path) -> None:
    rx = await ScriptedReceiver(ACCOUNT, ["silent"]).start()  # the centre takes the message but never ACKs it
    db, state = tmp_path / "outbox.db", tmp_path / "state"
    state.mkdir()
    box = Outbox(db, unit="unit-7")
    box.put(Event("fire", "start", 1.0, zone="entrance", incident="f1"), sinks=("mqtt", "dc09"))

    first = await _start_transmitter(db, state, rx.port)
    try:
        async with asyncio.timeout(20):
            while not rx.received:
                await asyncio.sleep(0.02)
    finally:
        first.kill()
        assert await first.wait() == -signal.SIGKILL
    assert box.depth("dc09") == 1  # in flight is not delivered

    second = await _start_transmitter(db, state, rx.port)
    try:
        async with asyncio.timeout(20):
            while box.depth("dc09"):
                await asyncio.sleep(0.02)
    finally:
        second.kill()
        await second.wait()
        await rx.stop()

    assert [(r.seq, r.code, r.answered) for r in rx.received] == [("0001", "FA", "silent"), ("0001", "FA", "ack")]
    assert box.depth("mqtt") == 1  # delivery to the centre does not take the operator's copy away
    box.close()
