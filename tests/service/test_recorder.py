"""Person events carry whether the unit and the zone were armed, so the alarm centre only gets a
burglary for an armed zone; the restore carries its start's flag even if arming changed since."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from gpiozero.pins.mock import MockFactory

from firmware.config import parse_config
from firmware.engine import build_engine
from firmware.events import Event
from firmware.service.daemon import Daemon
from firmware.uplink.dc09.routing import dc09_wants


def _daemon(tmp_path: Path, **deterrence: object) -> Daemon:
    config = parse_config(
        {
            "unit": {"id": "rec", "state_dir": str(tmp_path)},
            "mqtt": {"enabled": False},
            "detection": {
                "zones": [
                    {"name": "lot", "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]]},
                    {"name": "entrance", "polygon": [[0, 0], [0.2, 0], [0.2, 0.2]], "armed": False},
                ]
            },
            "deterrence": deterrence,
        }
    )
    daemon = Daemon(tmp_path / "unit.toml", config, pin_factory=MockFactory(), env={})
    daemon.engine = build_engine(config, pin_factory=MockFactory())
    return daemon


def test_armed_zone_is_a_burglary_for_the_centre(tmp_path: Path) -> None:
    daemon = _daemon(tmp_path)
    start = daemon._with_armed(Event(type="person", phase="start", t=time.monotonic(), zone="lot", incident="i1"))
    assert start.detail["armed"] is True
    assert dc09_wants(start)
    daemon.engine.policy.disarm(time.monotonic())
    end = daemon._with_armed(Event(type="person", phase="end", t=time.monotonic(), zone="lot", incident="i1"))
    assert end.detail["armed"] is True, "the restore follows its alarm even after a disarm"
    daemon.engine.policy.close()


def test_unarmed_zone_or_disarmed_unit_is_not_sent_to_the_centre(tmp_path: Path) -> None:
    later = dt.datetime.now(ZoneInfo("Europe/Stockholm")) + dt.timedelta(hours=12)
    window = [{"start": later.strftime("%H:%M"), "end": (later + dt.timedelta(minutes=1)).strftime("%H:%M")}]
    daemon = _daemon(tmp_path, armed=window)
    now = time.monotonic()
    in_lot = daemon._with_armed(Event(type="person", phase="start", t=now, zone="lot", incident="i2"))
    assert in_lot.detail["armed"] is False
    assert not dc09_wants(in_lot)
    daemon.engine.policy.close()
    daemon = _daemon(tmp_path)
    entrance = daemon._with_armed(Event(type="person", phase="start", t=now, zone="entrance", incident="i3"))
    assert entrance.detail["armed"] is False
    fire = daemon._with_armed(Event(type="fire", phase="start", t=now, zone="entrance"))
    assert "armed" not in fire.detail and dc09_wants(fire), "fire is reported whatever the arming"
    daemon.engine.policy.close()
