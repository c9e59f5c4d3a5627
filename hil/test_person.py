"""A person loitering in an armed zone: the ladder on the wires, in order and on time; silence when
disarmed; no sound in quiet hours."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from hil.conftest import Row
from hil.feeds import scenario_feed
from hil.rig import Rig

LOITER_S = 5.0
LADDER = [
    {"output": "floodlight", "after_s": 0.0},
    {"output": "voice", "after_s": 5.0},
    {"output": "strobe", "after_s": 10.0},
    {"output": "siren", "after_s": 15.0},
]
TOLERANCE_S = 1.0


def person_config(**deterrence: object) -> dict:
    return {
        "detection": {"zones": [{"name": "lot", "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]], "loiter_s": LOITER_S}]},
        "deterrence": {"ladder": LADDER, "quiet_hours": [], **deterrence},
    }


def clock(t: dt.datetime) -> str:
    return t.strftime("%H:%M")


def test_ladder_in_order_and_on_time(rig: Rig, feeds_dir: Path, summary: list[Row]) -> None:
    feed = scenario_feed("person-loitering", feeds_dir, seed=1003, seconds=300, around="person", lead_s=10, tail_s=40)
    rig.start_unit(feed, config=person_config())
    started = rig.wait_frames_started()
    first = rig.wait_output("floodlight", True, timeout=feed.duration, after=started)
    assert first is not None, f"the floodlight never came on; events: {[m.payload for m in rig.broker.events()]}"
    steps = {"amplifier": 5.0, "strobe": 10.0, "siren": 15.0}
    seen = {
        name: rig.wait_output(name, True, timeout=after + 3 * TOLERANCE_S, after=first) for name, after in steps.items()
    }
    offsets = {name: (t - first if t is not None else None) for name, t in seen.items()}
    for name, after in steps.items():
        got = offsets[name]
        assert got is not None, f"{name} never came on; offsets {offsets}"
        assert abs(got - after) <= TOLERANCE_S, f"{name} at +{got:.2f} s, expected +{after:.0f} s; {offsets}"
    person = rig.broker.wait_event("person", "start", timeout=1)
    assert person is not None
    summary.append(
        Row(
            "person loitering, armed",
            "flood→voice→strobe→siren at 0/5/10/15 s",
            " ".join(f"{n}+{o:.1f}" for n, o in offsets.items()),
            f"flood {first - started:.1f} s into feed",
        )
    )


def test_disarmed_period_is_quiet_but_reported(rig: Rig, feeds_dir: Path, summary: list[Row]) -> None:
    now = dt.datetime.now(ZoneInfo("Europe/Stockholm"))
    later = now + dt.timedelta(hours=12)
    armed = [{"start": clock(later), "end": clock(later + dt.timedelta(minutes=1))}]
    feed = scenario_feed("person-loitering", feeds_dir, seed=1003, seconds=300, around="person", lead_s=10, tail_s=25)
    rig.start_unit(feed, config=person_config(armed=armed))
    started = rig.wait_frames_started()
    time.sleep(max(0.0, started + feed.duration - rig.now()))
    assert not rig.ever_on(since=started), f"outputs switched while disarmed: {rig.ever_on(since=started)}"
    assert not [a for a in rig.centre.received() if a.code == "BA"], "a burglary alarm while disarmed"
    summary.append(Row("person loitering, disarmed", "no output, no BA", "quiet", f"{feed.duration:.0f} s watched"))


def test_quiet_hours_keep_sound_off(rig: Rig, feeds_dir: Path, summary: list[Row]) -> None:
    now = dt.datetime.now(ZoneInfo("Europe/Stockholm"))
    quiet = [{"start": clock(now - dt.timedelta(hours=1)), "end": clock(now + dt.timedelta(hours=1))}]
    feed = scenario_feed("person-loitering", feeds_dir, seed=1003, seconds=300, around="person", lead_s=10, tail_s=35)
    rig.start_unit(feed, config=person_config(quiet_hours=quiet))
    started = rig.wait_frames_started()
    light = rig.wait_output("floodlight", True, timeout=feed.duration, after=started)
    assert light is not None, "no floodlight in quiet hours: light is allowed, only sound is not"
    time.sleep(max(0.0, light + 18 - rig.now()))
    sound = [name for name in ("siren", "amplifier") if name in rig.ever_on(since=started)]
    assert not sound, f"sound in quiet hours: {sound}"
    assert rig.outputs["strobe"].first_on(after=light) is not None, "the silent steps of the ladder still run"
    summary.append(
        Row(
            "person loitering, quiet hours",
            "light and strobe, no siren or voice",
            "no sound",
            f"flood {light - started:.1f} s into feed",
        )
    )
