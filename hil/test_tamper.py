"""Opening the enclosure (the tamper input) raises a tamper event upstream and an alarm at the centre."""

from __future__ import annotations

from pathlib import Path

from hil.conftest import Row
from hil.feeds import constant_feed
from hil.rig import Rig, wait_for


def test_tamper_input_raises_event_and_alarm(rig: Rig, feeds_dir: Path, summary: list[Row]) -> None:
    rig.start_unit(constant_feed(feeds_dir, seconds=120))
    assert rig.broker.wait_event("motion", phase=None, timeout=0.1) is None
    # the unit is up once it tells the broker so
    status = wait_for(lambda: rig.broker.status() == "online", 30)
    assert status, f"unit never came online:\n{rig.unit_log()[-3000:]}"

    opened = rig.now()
    rig.drive("tamper", active=True)
    event = rig.broker.wait_event("tamper", phase="start", timeout=10)
    alarm = rig.centre.wait("TA", timeout=15)
    assert event is not None, f"no tamper event at the broker:\n{rig.unit_log()[-3000:]}"
    assert alarm is not None, f"no tamper alarm (TA) at the centre; got {rig.centre.received()}"
    summary.append(
        Row(
            "tamper input",
            "tamper event + TA alarm",
            "event + TA",
            f"{event.received_at - opened:.2f} s / {alarm.received_at - opened:.2f} s",
        )
    )
