"""A sensor cable pulled out, then a line full of noise: trouble within 2 s each time, recovery after."""

from __future__ import annotations

from pathlib import Path

from hil.conftest import Row
from hil.feeds import constant_feed
from hil.rig import Rig, wait_for


def trouble_events(rig: Rig, phase: str) -> list:
    return [m for m in rig.broker.events("trouble", phase) if "sensor" in str(m.payload.get("detail", m.payload))]


def test_unplugged_and_noisy_serial_line(rig: Rig, feeds_dir: Path, summary: list[Row]) -> None:
    script = [{"frames": 60}, {"unplug": 4}, {"frames": 60}, {"noise": 4}, {"frames": 400}]
    rig.start_unit(None)
    rig.play(constant_feed(feeds_dir, seconds=120), script=script)
    assert wait_for(lambda: len(rig.serial_steps) >= 5, 60), f"serial script stalled: {rig.serial_steps}"
    assert wait_for(lambda: len(trouble_events(rig, "end")) >= 2, 15), (
        f"sensor trouble not raised and cleared twice; events: {[m.payload for m in rig.broker.events()]}"
    )
    steps = dict(rig.serial_steps)
    starts = trouble_events(rig, "start")
    ends = trouble_events(rig, "end")
    unplug_latency = starts[0].received_at - steps["unplug"]
    noise_latency = starts[1].received_at - steps["noise"]
    assert unplug_latency <= 2.0, f"trouble {unplug_latency:.2f} s after the cable was pulled"
    assert noise_latency <= 2.0, f"trouble {noise_latency:.2f} s after the noise began"
    # recovery is reported once frames flow again, not before
    back_after_unplug = [t for name, t in rig.serial_steps if name == "frames"][1]
    assert ends[0].received_at >= back_after_unplug
    assert not rig.ever_on(), "a sensor fault must not switch outputs"
    summary.append(Row("serial unplugged", "trouble ≤ 2 s, restore", "trouble + restore", f"{unplug_latency:.2f} s"))
    summary.append(Row("serial noise", "trouble ≤ 2 s, restore", "trouble + restore", f"{noise_latency:.2f} s"))
