"""Power cut during an alarm, and a network outage for a whole scenario: nothing lost, outputs safe."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from hil.broker import Message
from hil.conftest import Row
from hil.feeds import scenario_feed
from hil.rig import Rig, wait_for


def seqs(messages: list[Message]) -> list[int]:
    return [int(m.payload["seq"]) for m in messages]


def test_kill_during_alarm_then_delivered_after_restart(rig: Rig, feeds_dir: Path, summary: list[Row]) -> None:
    feed = scenario_feed("car-fire", feeds_dir, seed=1001, seconds=240, around="fire", lead_s=20, tail_s=12)
    rig.start_unit(feed)
    assert wait_for(lambda: rig.broker.status() == "online", 30), "unit never came online"
    rig.cut_network()
    siren = rig.wait_output("siren", True, timeout=60)
    assert siren is not None, "no alarm to interrupt: the siren never came on"
    killed_wall = dt.datetime.now(dt.UTC)
    rig.kill_unit()
    safe = {name: rig.wait_output(name, False, timeout=2, after=siren) for name in ("floodlight", "strobe", "siren")}
    assert all(t is not None for t in safe.values()), f"outputs not released after the kill: {safe}"

    rig.restore_network()
    rig.restart_unit()
    assert wait_for(lambda: any(_ts(m) < killed_wall for m in rig.broker.events("fire", "start")), 30), (
        "the fire alarm raised before the power cut never reached the broker"
    )
    events = rig.broker.events()
    got = sorted(set(seqs(events)))
    assert got == list(range(1, got[-1] + 1)), f"events lost: seq {got}"
    fire_ids = {m.payload["id"] for m in rig.broker.events("fire", "start") if _ts(m) < killed_wall}
    assert len(fire_ids) == 1
    assert rig.centre.wait("FA", timeout=15) is not None, "the centre never got the fire alarm"
    release = max(t for t in safe.values() if t is not None) - max(siren, 0)
    summary.append(
        Row(
            "kill -9 during fire alarm",
            "outputs safe; alarm delivered once by id; no gap",
            f"safe, 1 fire id, seq 1..{got[-1]}",
            f"release ≤ {release:.2f} s after siren",
        )
    )


def test_broker_outage_for_a_whole_scenario(rig: Rig, feeds_dir: Path, summary: list[Row]) -> None:
    feed = scenario_feed("car-fire", feeds_dir, seed=1001, seconds=240, around="fire", lead_s=20, tail_s=12)
    rig.start_unit(feed)
    assert wait_for(lambda: rig.broker.status() == "online", 30), "unit never came online"
    before = len(rig.broker.events())
    rig.cut_network()
    started = rig.wait_frames_started()
    time.sleep(max(0.0, started + feed.duration - rig.now()))
    assert rig.wait_output("siren", True, timeout=1) is not None, "the outage must not stop local deterrence"
    restored = rig.now()
    rig.restore_network()
    assert wait_for(lambda: rig.broker.events("fire", "start"), 30), (
        f"the fire never arrived after the outage; unit log:\n{rig.unit_log()[-4000:]}"
    )
    time.sleep(2)
    events = rig.broker.events()
    got = seqs(events)
    assert sorted(set(got)) == list(range(1, max(got) + 1)), f"events lost: {got}"
    fire = rig.broker.events("fire", "start")[0]
    queued = events[before:]
    # fire goes before everything queued with it; the rest keeps its order
    assert queued[0].payload["type"] == "fire", f"first after the outage: {[m.payload['type'] for m in queued]}"
    others = [m for m in queued if m.payload["type"] != "fire"]
    assert seqs(others) == sorted(seqs(others)), f"out of order: {seqs(others)}"
    summary.append(
        Row(
            "broker outage over a scenario",
            "every event after return, in order",
            f"{len(queued)} events, seq 1..{max(got)}",
            f"fire {fire.received_at - restored:.2f} s after return",
        )
    )


def _ts(message: Message) -> dt.datetime:
    return dt.datetime.fromisoformat(message.payload["ts"].replace("Z", "+00:00"))
