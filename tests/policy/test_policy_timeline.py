"""The timeline picture in docs/deterrence.md is drawn from replay lines; check it shows what happened."""

from __future__ import annotations

import json
import xml.dom.minidom
from collections.abc import Callable

from policy_rig import T0, Rig, person

from firmware.commands.replay import action_line
from firmware.policy.timeline import bars_from_lines, render_svg, render_text


def test_timeline_bars_follow_the_policy_actions(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.send(person("start", 10))
    rig.run_until(T0 + 100, events=[person("end", 70)])
    lines = [json.dumps({**action_line(a), "t": a.t - T0}) for a in rig.actions]
    lines.insert(0, json.dumps({"kind": "event", "type": "person", "phase": "start", "t": 10.0, "id": "p1"}))
    lines.append(json.dumps({"kind": "event", "type": "person", "phase": "end", "t": 70.0, "id": "p1"}))
    bars, end_t = bars_from_lines(lines)
    spans = {(b.lane, b.start, b.end) for b in bars if b.lane != "voice"}
    assert spans == {
        ("person", 10.0, 70.0),
        ("floodlight", 10.0, 75.0),
        ("strobe", 30.0, 75.0),
        ("siren", 40.0, 60.0),
    }
    assert [b.start for b in bars if b.lane == "voice"] == [20.0]
    svg = render_svg(bars, end_t, title="t")
    xml.dom.minidom.parseString(svg)
    assert svg.count("<rect") == 1 + len(bars)
    text = render_text(bars, end_t).splitlines()
    assert [row.split("|")[0].strip() for row in text[:-1]] == ["person", "floodlight", "voice", "strobe", "siren"]
